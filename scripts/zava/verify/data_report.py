"""Checks of a loaded dataset: integrity rules that must hold, and realism figures worth looking at.

The dataset is streamed: each collection is read once through a cursor in bounded batches, and each
document is checked as it passes and then dropped. What stays in memory does not grow with the
orders: the ids of the small collections and of the customers, fixed-size counters, and one block
of at most BATCH_SIZE orders with their items. Orders meet their items by a merge join of orders
sorted by _id with items sorted by order_id (both sorts are checked as they arrive); the money of
a block is then checked in one vectorised pass with the arithmetic of zava.model.money.
Everything is computed in Python: no server construct the local server might get wrong.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pymongo import ASCENDING
from pymongo.database import Database

from zava.catalog.loader import MONTHS
from zava.ditto.connector import METADATA_FIELDS, metadata_in, without_metadata
from zava.errors import KitError
from zava.model.collections import SYNCED_COLLECTIONS
from zava.model.ids import ID_FORMATS, ORDER_ID, is_live_order, valid_id
from zava.model.money import line_cents, order_cents
from zava.model.reference import STORES
from zava.settings import Config
from zava.verify.measured_rhythms import Rhythms
from zava.verify.shopping import Shopping

MAX_EXAMPLES = 5
TOP_PAIRS = 10  # type pairs shown, by lift
BLOCKS = " ▁▂▃▄▅▆▇█"
BATCH_SIZE = 5000  # documents per round trip: all a cursor holds at once, whatever the size of the dataset
IDS, ARRAYS, FOREIGN_KEYS, STOCK, LINES, TOTALS = (
    "ID formats",
    "no arrays in synced documents",
    "foreign keys resolve",
    "stock never negative",
    "line amounts match price, quantity and discount",
    "order totals match their items",
)
LINE_AMOUNTS = ("discount_amount", "line_total")
ORDER_AMOUNTS = ("subtotal", "discount_total", "tax", "total")


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
    rhythm: list[str] = field(default_factory=list)  # the weekday and hour profiles
    pairs: list[tuple[str, str, int, float]] = field(default_factory=list)  # the top type pairs by lift
    half_written: Counter = field(default_factory=Counter)  # "items", "orders": what a stopped simulator left
    connector_metadata: int = 0  # documents carrying the connector's metadata fields

    def rule(self, name: str) -> Rule:
        return self.rules.setdefault(name, Rule(name))

    @property
    def ok(self) -> bool:
        return all(r.broken == 0 for r in self.rules.values()) and all(
            expected is None or actual == expected for actual, expected in self.counts.values()
        )


def _arrays(doc: dict, path: str = "") -> list[str]:
    """The dotted paths of every array in a document, nested documents included."""
    found = []
    for key, value in doc.items():
        if isinstance(value, list):
            found.append(f"{path}{key}")
        elif isinstance(value, dict):
            found += _arrays(value, f"{path}{key}.")
    return found


def _label(collection: str, doc: dict) -> str:
    if collection == "inventory":
        return f"inventory {doc.get('store_id')}/{doc.get('product_id')}"
    return f"{collection} {doc.get('_id')}"


def _stream(
    db: Database, report: Report, collection: str, projection: dict | None = None, sort_by: str | None = None
) -> Iterator[dict]:
    """Each document of a collection in turn, checking its ID format and (whole synced documents) arrays as it passes.

    The cursor holds one batch of BATCH_SIZE documents at a time and nothing of a document is kept here."""
    ids = report.rule(IDS) if collection in ID_FORMATS else None
    arrays = report.rule(ARRAYS) if collection in SYNCED_COLLECTIONS and projection is None else None
    options: dict[str, Any] = {"batch_size": BATCH_SIZE}
    if sort_by:  # without an index, MongoDB sorts a big collection only when allowed to spill to disk
        options.update(sort=[(sort_by, ASCENDING)], allow_disk_use=True)
    with db[collection].find({}, projection, **options) as cursor:
        for doc in cursor:
            if ids is not None:
                ids.check(valid_id(collection, doc["_id"]), _label(collection, doc))
            report.connector_metadata += bool(metadata_in(doc))
            if arrays is not None:
                found = _arrays(without_metadata(doc))  # the connector's metadata holds arrays of its own
                arrays.check(not found, f"{_label(collection, doc)}: {found}")
            yield doc


def _in_order(docs: Iterator[dict], collection: str, key: str) -> Iterator[tuple[str | None, dict]]:
    """(key, document) of a stream the server sorted by a string field; the key is None when not a string.

    KitError when two string keys arrive out of order: the merge of orders with their items relies on it."""
    last = ""
    for doc in docs:
        value = doc.get(key)
        if not isinstance(value, str):
            yield None, doc
            continue
        if value < last:
            raise KitError(
                f"{collection} came back out of order by {key} ({last!r} before {value!r}); "
                "cannot match orders with their items"
            )
        last = value
        yield value, doc


@dataclass
class _Orders:
    """What the report keeps of the orders and their items: fixed-size counters, whatever their number."""

    revenue: dict[str, list[float]]  # category -> revenue by month, January first
    rhythms: Rhythms  # generated orders by local weekday and hour, item revenue by local day
    shopping: Shopping  # customers' orders and revenue, the types each order holds
    orders: int = 0
    generated: int = 0
    at_primary: int = 0
    per_year: Counter = field(default_factory=Counter)  # generated orders by year
    items: int = 0


def build_report(db: Database, config: Config) -> Report:
    """Stream the whole dataset once and check every rule."""
    report = Report()
    for name in (IDS, ARRAYS, FOREIGN_KEYS, STOCK, LINES, TOTALS):
        report.rule(name)
    fk = report.rule(FOREIGN_KEYS)

    stores = {s["_id"] for s in _stream(db, report, "stores")}
    names: dict[str, str] = {}
    multipliers: dict[str, list[float]] = {}
    for c in _stream(db, report, "categories"):
        names[c["_id"]] = c["category_name"]
        multipliers[c["_id"]] = [c["seasonal_multipliers"][m] for m in MONTHS]
    types: dict[str, str] = {}  # type -> its name
    for t in _stream(db, report, "product_types"):
        types[t["_id"]] = t.get("type_name", t["_id"])
        fk.check(t.get("category_id") in names, f"product_types {t['_id']}: category_id {t.get('category_id')}")
    category_of: dict[str, str | None] = {}  # product -> its category
    type_of: dict[str, str | None] = {}
    for p in _stream(db, report, "products"):
        category_of[p["_id"]] = p.get("category_id")
        type_of[p["_id"]] = p.get("type_id")
        fk.check(p.get("category_id") in names, f"products {p['_id']}: category_id {p.get('category_id')}")
        fk.check(p.get("type_id") in types, f"products {p['_id']}: type_id {p.get('type_id')}")
    embeddings = 0
    for e in _stream(db, report, "product_embeddings", {"_id": 1}):
        embeddings += 1
        fk.check(e["_id"] in category_of, f"product_embeddings {e['_id']}: no such product")
    primary: dict[str, str | None] = {}  # customer -> primary store
    online = {s.store_id for s in STORES if s.is_online}
    shopping = Shopping(type_of, category_of, online)
    for c in _stream(db, report, "customers"):
        primary[c["_id"]] = c.get("primary_store_id")
        shopping.add_customer(c)
        fk.check(c.get("primary_store_id") in stores, f"customers {c['_id']}: store {c.get('primary_store_id')}")
    inventory = 0
    stock = report.rule(STOCK)
    for i in _stream(db, report, "inventory"):
        inventory += 1
        label = _label("inventory", i)
        fk.check(i.get("store_id") in stores, f"{label}: store_id")
        fk.check(i.get("product_id") in category_of, f"{label}: product_id")
        stock.check(i.get("stock_level", 0) >= 0, f"{label}: stock {i.get('stock_level')}")

    seen = _Orders(revenue={c: [0.0] * 12 for c in names}, rhythms=Rhythms(online), shopping=shopping)
    _merge_orders_with_items(db, report, seen, stores, primary, category_of)

    physical = sum(not s.is_online for s in STORES)
    report.counts = {
        "stores": (len(stores), len(STORES)),
        "categories": (len(names), None),
        "product_types": (len(types), None),
        "products": (len(category_of), None),
        "product_embeddings": (embeddings, len(category_of)),
        "customers": (len(primary), config.customers),
        "inventory": (inventory, None),
        "orders (generated)": (seen.generated, config.orders),
        "orders (added live)": (seen.orders - seen.generated, None),
        "order_items": (seen.items, None),
    }
    report.figures.append(("inventory rows", f"{inventory:,}", f"{physical} stores x products + online"))
    report.figures.append(
        (
            f"documents with the connector's metadata ({', '.join(METADATA_FIELDS)})",
            f"{report.connector_metadata:,}",
            "the connector's: not checked",
        )  # fmt: skip
    )
    _realism(report, primary, seen, names, multipliers)
    report.figures += seen.rhythms.figures(names)
    report.figures += shopping.measures().figures()
    report.rhythm = seen.rhythms.tables()
    report.pairs = [(types.get(a, a), types.get(b, b), n, lift) for a, b, n, lift in shopping.top_pairs(TOP_PAIRS)]
    return report


def _merge_orders_with_items(
    db: Database,
    report: Report,
    seen: _Orders,
    stores: set[str],
    primary: dict[str, str | None],
    category_of: dict[str, str | None],
) -> None:
    """Orders sorted by _id beside items sorted by order_id: each order meets exactly its own items.

    An item whose order_id sorts before the next order's _id (or is not a string) has no order."""
    fk, money = report.rule(FOREIGN_KEYS), _Money(report.rule(LINES), report.rule(TOTALS))

    def take_item(item: dict, has_order: bool) -> dict:
        seen.items += 1
        fk.check(has_order, f"order_items {item['_id']}: order_id {item.get('order_id')}")
        fk.check(item.get("product_id") in category_of, f"order_items {item['_id']}: product_id")
        category = category_of.get(item.get("product_id"))
        if category in seen.revenue and isinstance(item.get("line_total"), (int, float)):
            seen.revenue[category][int(item["order_date"][5:7]) - 1] += item["line_total"]
            if ORDER_ID.matches(item.get("order_id")):
                seen.rhythms.add_item(item, category)
        if not has_order:
            money.add_orphan(item)
            report.half_written["items"] += is_live_order(item.get("order_id"))
        return item

    items = _in_order(_stream(db, report, "order_items", sort_by="order_id"), "order_items", "order_id")
    pending = next(items, None)
    for key, order in _in_order(_stream(db, report, "orders", sort_by="_id"), "orders", "_id"):
        lines: list[dict] = []
        if key is not None:
            while pending is not None and (pending[0] is None or pending[0] < key):
                take_item(pending[1], has_order=False)
                pending = next(items, None)
            while pending is not None and pending[0] == key:
                lines.append(take_item(pending[1], has_order=True))
                pending = next(items, None)
        seen.orders += 1
        report.half_written["orders"] += not lines and is_live_order(order["_id"])
        fk.check(order.get("customer_id") in primary, f"orders {order['_id']}: customer_id {order.get('customer_id')}")
        fk.check(order.get("store_id") in stores, f"orders {order['_id']}: store_id {order.get('store_id')}")
        seen.at_primary += primary.get(order.get("customer_id")) == order.get("store_id")
        if ORDER_ID.matches(order["_id"]):
            seen.generated += 1
            seen.per_year[order["order_date"][:4]] += 1
            seen.rhythms.add_order(order)
        money.add(order, lines)
        seen.shopping.add_order(order, lines)
    while pending is not None:
        take_item(pending[1], has_order=False)
        pending = next(items, None)
    money.flush()


def _number(value: Any) -> float:
    """A stored amount or count as a float; NaN (equal to nothing) when it is missing or not a number."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else float("nan")


def _cents(dollars: list[float]) -> np.ndarray:
    """Stored dollar amounts in cents, as floats so that a missing amount (NaN) matches nothing."""
    return np.round(np.array(dollars, dtype=np.float64).reshape(-1) * 100)


def _shown(cents: float) -> str:
    return "missing" if np.isnan(cents) else f"{cents / 100:.2f}"


class _Money:
    """Every item and order checked against the money rules (zava.model.money), a block at a time, vectorised.

    An item's discount_amount and line_total must follow from its quantity, unit_price and discount_percent;
    an order's item_count must be its number of items, and its subtotal, discount_total, tax and total
    must follow from its items' quantities, prices and discounts. A block holds BATCH_SIZE orders (with
    their items) or BATCH_SIZE items without an order, at most."""

    def __init__(self, lines: Rule, totals: Rule) -> None:
        self.lines, self.totals = lines, totals
        self.orders: list[tuple[Any, Any, tuple[float, ...]]] = []  # _id, item_count, stated amounts
        self.items: list[tuple[Any, tuple[float, ...], tuple[float, ...]]] = []  # _id, price inputs, stated
        self.counts: list[int] = []  # how many of the items each order has
        self.orphans: list[tuple[Any, tuple[float, ...], tuple[float, ...]]] = []  # items without an order

    def add(self, order: dict, items: list[dict]) -> None:
        """An order and its items (which follow each other in the block)."""
        self.orders.append((order["_id"], order.get("item_count"), tuple(_number(order.get(f)) for f in ORDER_AMOUNTS)))
        self.items += [self._item(i) for i in items]
        self.counts.append(len(items))
        if len(self.orders) >= BATCH_SIZE:
            self.flush()

    def add_orphan(self, item: dict) -> None:
        """An item without an order: only its own amounts are checked."""
        self.orphans.append(self._item(item))
        if len(self.orphans) >= BATCH_SIZE:
            self.flush()

    @staticmethod
    def _item(item: dict) -> tuple[Any, tuple[float, ...], tuple[float, ...]]:
        inputs = (_number(item.get("unit_price")), _number(item.get("quantity")), _number(item.get("discount_percent")))
        return item["_id"], inputs, tuple(_number(item.get(f)) for f in LINE_AMOUNTS)

    def flush(self) -> None:
        items = self.items + self.orphans
        inputs = np.array([i[1] for i in items], dtype=np.float64).reshape(-1, 3)
        usable = np.isfinite(inputs).all(axis=1) & (inputs[:, 1:] == np.round(inputs[:, 1:])).all(axis=1)
        whole = np.where(usable[:, None], np.column_stack([_cents(inputs[:, 0]), inputs[:, 1:]]), 0).astype(np.int64)
        gross, discount, line_total = line_cents(whole[:, 0], whole[:, 1], whole[:, 2])
        stated = _cents([i[2] for i in items]).reshape(-1, 2)
        expected = np.column_stack([discount, line_total]).astype(np.float64)
        fine = (stated == expected).all(axis=1) & usable
        for (item_id, _, _), ok, said, want, known in zip(
            items, fine.tolist(), stated.tolist(), expected.tolist(), usable.tolist()
        ):
            self.lines.check(ok, "" if ok else self._item_fault(item_id, said, want, known))

        in_orders = len(self.items)  # the orders' items come first, orphans after them
        expected_orders = np.column_stack(order_cents(gross[:in_orders], discount[:in_orders], self.counts))
        stated_orders = _cents([o[2] for o in self.orders]).reshape(-1, len(ORDER_AMOUNTS))
        for (order_id, item_count, _), count, said, want in zip(
            self.orders, self.counts, stated_orders.tolist(), expected_orders.astype(np.float64).tolist()
        ):
            problems = [] if item_count == count else [f"item_count {item_count} vs {count} items"]
            problems += [
                f"{name} {_shown(s)} vs {_shown(w)}" for name, s, w in zip(ORDER_AMOUNTS, said, want) if s != w
            ]
            self.totals.check(not problems, f"orders {order_id}: {', '.join(problems)}" if problems else "")
        self.orders, self.items, self.counts, self.orphans = [], [], [], []

    @staticmethod
    def _item_fault(item_id: Any, said: list[float], want: list[float], usable: bool) -> str:
        if not usable:
            return f"order_items {item_id}: unit_price, quantity or discount_percent missing or not a number"
        return f"order_items {item_id}: " + ", ".join(
            f"{name} {_shown(s)} vs {_shown(w)}" for name, s, w in zip(LINE_AMOUNTS, said, want) if s != w
        )


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


def _realism(
    report: Report,
    primary: dict[str, str | None],
    seen: _Orders,
    names: dict[str, str],
    multipliers: dict[str, list[float]],
) -> None:
    """Figures that show the data is believable: shares, growth, seasonality."""
    weight = {s.store_id: s.customer_weight for s in STORES}
    total_weight = sum(weight.values())
    shares = Counter(primary.values())
    worst = max((abs(shares[s] / max(len(primary), 1) - w / total_weight) for s, w in weight.items()), default=0)
    report.figures.append(("customer share vs store weight", f"max gap {worst * 100:.1f} points", "within 3 points"))
    at_primary = seen.at_primary / max(seen.orders, 1)
    report.figures.append(("orders at the customer's primary store", f"{at_primary:.1%}", "about 85-90%"))
    years = sorted(seen.per_year)
    full = [y for y in years[1:-1]]  # the first and last years of the window are partial
    for before, after in zip(full, full[1:]):
        report.figures.append(
            (
                f"orders {after} / {before}",
                f"{seen.per_year[after] / seen.per_year[before]:.3f}",
                "follows the year weights",
            )
        )
    revenue = {category: np.array(months) for category, months in seen.revenue.items()}
    report.heatmap = _heatmap(revenue, multipliers, names)
