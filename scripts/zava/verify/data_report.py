"""Checks of a loaded dataset: integrity rules that must hold, and realism figures worth looking at.

Everything is read with projections in one pass per collection and computed in Python: no server
construct the local server might get wrong.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pymongo.database import Database

from common import Config
from zava.model.catalog import MONTHS
from zava.model.collections import SYNCED_COLLECTIONS
from zava.model.ids import ID_FORMATS, ORDER_ID, valid_id
from zava.model.money import tax_cents, to_cents
from zava.model.reference import STORES

MAX_EXAMPLES = 5
BLOCKS = " ▁▂▃▄▅▆▇█"


@dataclass
class Rule:
    """One integrity rule: how many documents it checked and the first that break it."""

    name: str
    checked: int = 0
    broken: int = 0
    examples: list[str] = field(default_factory=list)

    def check(self, ok: bool, what: str) -> None:
        self.checked += 1
        if not ok:
            self.broken += 1
            if len(self.examples) < MAX_EXAMPLES:
                self.examples.append(what)


@dataclass
class Report:
    rules: dict[str, Rule] = field(default_factory=dict)
    counts: dict[str, tuple[int, int | None]] = field(default_factory=dict)  # actual, expected
    figures: list[tuple[str, str, str]] = field(default_factory=list)  # measure, value, target
    heatmap: list[str] = field(default_factory=list)

    def rule(self, name: str) -> Rule:
        return self.rules.setdefault(name, Rule(name))

    @property
    def ok(self) -> bool:
        return all(r.broken == 0 for r in self.rules.values()) and all(
            expected is None or actual == expected for actual, expected in self.counts.values()
        )


def _arrays(value: Any, path: str = "") -> Iterator[str]:
    if isinstance(value, list):
        yield path or "(document)"
    elif isinstance(value, dict):
        for key, inner in value.items():
            yield from _arrays(inner, f"{path}.{key}" if path else key)


def _label(collection: str, doc: dict) -> str:
    if collection == "inventory":
        return f"inventory {doc.get('store_id')}/{doc.get('product_id')}"
    return f"{collection} {doc.get('_id')}"


def _scan(db: Database, report: Report, collection: str, projection: dict | None = None) -> list[dict]:
    """Every document of a collection (projected), checking ID format, arrays and soft-delete flag on the way."""
    docs = list(db[collection].find({}, projection))
    for doc in docs:
        if collection in ID_FORMATS:
            report.rule("ID formats").check(valid_id(collection, doc["_id"]), _label(collection, doc))
        if collection in SYNCED_COLLECTIONS and projection is None:
            arrays = list(_arrays(doc))
            report.rule("no arrays in synced documents").check(not arrays, f"{_label(collection, doc)}: {arrays}")
    return docs


def _heatmap(revenue: dict[str, np.ndarray], multipliers: dict[str, list[float]], names: dict[str, str]) -> list[str]:
    lines = [f"{'category':<28} {'revenue J..D':<14}  {'multipliers':<14}  r"]
    for category, values in revenue.items():
        scaled = values / values.max() if values.max() > 0 else values
        mult = np.array(multipliers[category])
        r = float(np.corrcoef(values, mult)[0, 1]) if values.std() > 0 and mult.std() > 0 else float("nan")
        bars = "".join(BLOCKS[int(round(v * (len(BLOCKS) - 1)))] for v in scaled)
        mbars = "".join(BLOCKS[int(round(v * (len(BLOCKS) - 1)))] for v in mult / mult.max())
        lines.append(f"{names[category]:<28} {bars:<14}  {mbars:<14}  {r:+.2f}")
    return lines


def build_report(db: Database, config: Config) -> Report:
    """Read the whole dataset once and check every rule."""
    report = Report()
    stores = _scan(db, report, "stores")
    categories = _scan(db, report, "categories")
    types = _scan(db, report, "product_types")
    products = _scan(db, report, "products")
    embeddings = _scan(db, report, "product_embeddings", {"_id": 1})
    customers = _scan(db, report, "customers")
    inventory = _scan(db, report, "inventory")
    orders = _scan(db, report, "orders")
    items = _scan(db, report, "order_items")

    ids = {
        "stores": {d["_id"] for d in stores},
        "categories": {d["_id"] for d in categories},
        "product_types": {d["_id"] for d in types},
        "products": {d["_id"] for d in products},
        "customers": {d["_id"] for d in customers},
        "orders": {d["_id"] for d in orders},
    }
    physical = sum(not s.is_online for s in STORES)
    generated_orders = sum(ORDER_ID.matches(o["_id"]) for o in orders)
    report.counts = {
        "stores": (len(stores), len(STORES)),
        "categories": (len(categories), None),
        "product_types": (len(types), None),
        "products": (len(products), None),
        "product_embeddings": (len(embeddings), len(products)),
        "customers": (len(customers), config.customers),
        "inventory": (len(inventory), None),
        "orders (generated)": (generated_orders, config.orders),
        "orders (added live)": (len(orders) - generated_orders, None),
        "order_items": (len(items), None),
    }
    report.figures.append(("inventory rows", f"{len(inventory):,}", f"{physical} stores x products + online"))

    fk = report.rule("foreign keys resolve")
    for t in types:
        fk.check(
            t.get("category_id") in ids["categories"], f"product_types {t['_id']}: category_id {t.get('category_id')}"
        )
    for p in products:
        fk.check(p.get("category_id") in ids["categories"], f"products {p['_id']}: category_id {p.get('category_id')}")
        fk.check(p.get("type_id") in ids["product_types"], f"products {p['_id']}: type_id {p.get('type_id')}")
    for e in embeddings:
        fk.check(e["_id"] in ids["products"], f"product_embeddings {e['_id']}: no such product")
    for c in customers:
        fk.check(c.get("primary_store_id") in ids["stores"], f"customers {c['_id']}: store {c.get('primary_store_id')}")
    for i in inventory:
        label = _label("inventory", i)
        fk.check(i.get("store_id") in ids["stores"], f"{label}: store_id")
        fk.check(i.get("product_id") in ids["products"], f"{label}: product_id")
        report.rule("stock never negative").check(
            i.get("stock_level", 0) >= 0, f"{label}: stock {i.get('stock_level')}"
        )
    for o in orders:
        fk.check(o.get("customer_id") in ids["customers"], f"orders {o['_id']}: customer_id {o.get('customer_id')}")
        fk.check(o.get("store_id") in ids["stores"], f"orders {o['_id']}: store_id {o.get('store_id')}")
    lines_of: dict[str, list[dict]] = defaultdict(list)
    for item in items:
        fk.check(item.get("order_id") in ids["orders"], f"order_items {item['_id']}: order_id {item.get('order_id')}")
        fk.check(item.get("product_id") in ids["products"], f"order_items {item['_id']}: product_id")
        lines_of[item.get("order_id")].append(item)

    totals = report.rule("order totals match their items")
    for o in orders:
        mine = lines_of.get(o["_id"], [])
        cents = int(to_cents([i["line_total"] for i in mine]).sum())
        subtotal, tax, total = to_cents([o.get("subtotal", 0), o.get("tax", 0), o.get("total", 0)]).tolist()
        consistent = (
            o.get("item_count") == len(mine) and subtotal == cents and tax == tax_cents(cents) and total == cents + tax
        )
        totals.check(
            consistent,
            f"orders {o['_id']}: item_count {o.get('item_count')} vs {len(mine)} items, "
            f"subtotal {o.get('subtotal')} vs {cents / 100:.2f}",
        )

    _realism(report, stores, customers, orders, items, products, categories)
    return report


def _realism(report: Report, stores, customers, orders, items, products, categories) -> None:
    """Figures that show the data is believable: shares, growth, seasonality."""
    weight = {s.store_id: s.customer_weight for s in STORES}
    total_weight = sum(weight.values())
    shares = Counter(c.get("primary_store_id") for c in customers)
    worst = max((abs(shares[s] / max(len(customers), 1) - w / total_weight) for s, w in weight.items()), default=0)
    report.figures.append(("customer share vs store weight", f"max gap {worst * 100:.1f} points", "within 3 points"))
    primary = {c["_id"]: c.get("primary_store_id") for c in customers}
    at_primary = sum(primary.get(o.get("customer_id")) == o.get("store_id") for o in orders) / max(len(orders), 1)
    report.figures.append(("orders at the customer's primary store", f"{at_primary:.1%}", "about 85-90%"))
    per_year = Counter(o["order_date"][:4] for o in orders if ORDER_ID.matches(o["_id"]))
    years = sorted(per_year)
    full = [y for y in years[1:-1]]  # the first and last years of the window are partial
    for before, after in zip(full, full[1:]):
        report.figures.append(
            (f"orders {after} / {before}", f"{per_year[after] / per_year[before]:.3f}", "follows the year weights")
        )
    category_of = {p["_id"]: p.get("category_id") for p in products}
    revenue = {c["_id"]: np.zeros(12) for c in categories}
    for item in items:
        category = category_of.get(item.get("product_id"))
        if category in revenue:
            revenue[category][int(item["order_date"][5:7]) - 1] += item.get("line_total", 0.0)
    multipliers = {c["_id"]: [c["seasonal_multipliers"][m] for m in MONTHS] for c in categories}
    report.heatmap = _heatmap(revenue, multipliers, {c["_id"]: c["category_name"] for c in categories})
