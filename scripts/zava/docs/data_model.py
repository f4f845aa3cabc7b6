"""docs/DATA_MODEL.md, rendered from the collection, index and id definitions and a generated sample."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from itertools import chain
from typing import Any

import bson

from zava.catalog.loader import load_catalog
from zava.generation.dataset import Dataset, DatasetSpec
from zava.model.collections import COLLECTIONS
from zava.model.ids import ID_FORMATS
from zava.model.indexes import INDEXES, VECTOR_INDEX_NAME
from zava.model.projects import PROJECTS
from zava.model.reference import TAX_RATE
from zava.model.rhythms import HOLIDAYS, HOUR_WEIGHT, KINDS, OPENING_HOURS, TIME_ZONE, WEEKDAY_WEIGHT, WEEKDAYS
from zava.model.rules import ORDER_STATUSES
from zava.model.shoppers import CONSUMABLES, HOME_BOOST, PRO_BULK, PRO_SHARE_BY_LINES, PRO_TILT, SEGMENTS, TRADES

SAMPLE_SPEC = DatasetSpec(25_000, 100_000, datetime(2023, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC), 42)


OPEN_MAPS = {"seasonal_multipliers": "<month>", "specifications": "<key>"}  # maps whose keys vary


FIELDS: dict[str, dict[str, str]] = {
    "stores": {
        "_id": "same as store_id",
        "store_id": "business id, e.g. store_seattle",
        "store_name": "display name",
        "rls_user_id": "UUID of the store's user in the original row-level security model",
        "is_online": "true for the online store",
        "location": "MAP of the address and coordinates",
        "location.address": "street address (absent for the online store)",
        "location.city": "city",
        "location.state": "state, WA",
        "location.zip": "ZIP code",
        "location.latitude": "latitude",
        "location.longitude": "longitude",
        "created_at": "when the store opened",
        "deleted": "soft-delete flag",
    },
    "categories": {
        "_id": "same as category_id",
        "category_id": "business id, e.g. cat_power_tools",
        "category_name": "display name",
        "seasonal_multipliers": "MAP of month -> demand multiplier",
        "seasonal_multipliers.<month>": "jan..dec: how much this category sells that month (1.0 = average)",
        "created_at": "creation time",
        "deleted": "soft-delete flag",
    },
    "product_types": {
        "_id": "same as type_id",
        "type_id": "business id, e.g. type_drills",
        "type_name": "display name",
        "category_id": "the category (categories.category_id)",
        "created_at": "creation time",
        "deleted": "soft-delete flag",
    },
    "products": {
        "_id": "same as product_id",
        "product_id": "prod_ + the SKU in lower case with _",
        "sku": "unique stock-keeping unit CAT-TYPE-NNN",
        "product_name": "display name",
        "category_id": "the category (categories.category_id)",
        "type_id": "the type (product_types.type_id)",
        "cost": "what the chain pays: base_price x 0.67",
        "base_price": "shelf price in dollars",
        "gross_margin_percent": "33.0 for every product",
        "product_description": "25-70 words about this item",
        "image_url": "placeholder image address",
        "specifications": "MAP of attributes that fit the type",
        "specifications.<key>": "a string, number or boolean; the same keys for every product of a type",
        "created_at": "creation time",
        "updated_at": "last change",
        "deleted": "soft-delete flag",
    },
    "product_embeddings": {
        "_id": "same as product_id",
        "product_id": "the product (products.product_id)",
        "description_embedding": "L2-normalised vector of the product's name, type, category, jobs and description",
        "embedding_model": "the model that made it (the local model's version and catalog fingerprint)",
        "dimensions": "vector length",
        "search_text": "what the vector was made of, as one text (the kit's text search index)",
        "created_at": "creation time",
        "deleted": "soft-delete flag",
    },
    "customers": {
        "_id": "same as customer_id",
        "customer_id": "business id cust_NNNNNN",
        "first_name": "first name",
        "last_name": "last name",
        "email": "unique email address",
        "phone": "(XXX) XXX-XXXX",
        "primary_store_id": "the store the customer usually buys at (stores.store_id)",
        "segment": "pro (contractors, remodelers, property managers) or diy (homeowners): see Who shops",
        "company_name": "a pro's business (pros only)",
        "created_at": "when the customer signed up",
        "updated_at": "last change",
        "deleted": "soft-delete flag",
    },
    "inventory": {
        "_id": "composite MAP {store_id, product_id}",
        "_id.store_id": "the store",
        "_id.product_id": "the product",
        "store_id": "the store, duplicated top-level for queries (stores.store_id)",
        "product_id": "the product, duplicated top-level (products.product_id)",
        "location": "MAP of where the product sits",
        "location.aisle": "aisle (W.. in the online warehouse)",
        "location.shelf": "shelf letter A-F",
        "location.bin": "bin number",
        "stock_level": "units on hand, never negative",
        "reorder_threshold": "reorder when stock_level falls to this",
        "last_updated": "last stock change",
        "last_counted": "last physical count",
        "notes": "free text, usually empty",
        "deleted": "soft-delete flag",
    },
    "orders": {
        "_id": "same as order_id",
        "order_id": "order_NNNNNNNN, numbered in date order",
        "customer_id": "the customer (customers.customer_id)",
        "store_id": "the store (stores.store_id)",
        "order_date": "when it was placed",
        "customer_name": "the customer's real name, denormalised",
        "customer_email": "the customer's email, denormalised",
        "store_name": "the store's name (stores.store_name), denormalised",
        "item_count": "number of order_items documents",
        "subtotal": "sum of the items' quantity x unit_price, before discounts",
        "discount_total": "sum of the items' discount_amount",
        "tax": f"(subtotal - discount_total) x {TAX_RATE * 100:g}%, rounded to cents",
        "total": "subtotal - discount_total + tax",
        "status": f"{', '.join(ORDER_STATUSES[:-1])} or {ORDER_STATUSES[-1]}",
        "created_at": "same as order_date",
        "updated_at": "last status change",
        "deleted": "soft-delete flag",
    },
    "order_items": {
        "_id": "UUID (created offline on any device without collisions)",
        "order_id": "the order (orders.order_id)",
        "store_id": "the order's store, duplicated for per-store subscriptions",
        "order_date": "the order's date, duplicated for time-window subscriptions",
        "product_id": "the product (products.product_id)",
        "sku": "the product's real SKU",
        "product_name": "the product's real name",
        "quantity": "units",
        "unit_price": "price paid per unit",
        "discount_percent": "0, or 5-25 on about 15% of lines",
        "discount_amount": "quantity x unit_price x discount_percent / 100, rounded to cents",
        "line_total": "quantity x unit_price - discount_amount",
        "created_at": "the order's date",
        "deleted": "soft-delete flag",
    },
}


def field_paths(doc: dict[str, Any]) -> dict[str, Any]:
    """A document's fields, one level into maps; maps with varying keys collapse to <key>."""
    paths: dict[str, Any] = {}
    for key, value in doc.items():
        paths[key] = value
        if isinstance(value, dict):
            for inner, inner_value in value.items():
                paths[f"{key}.{OPEN_MAPS.get(key, inner)}"] = inner_value
    return paths


def _type(value: Any) -> str:
    names = {bool: "bool", int: "int", float: "double", str: "string", dict: "map", list: "array"}
    if isinstance(value, str) and len(value) == 20 and value.endswith("Z") and value[10] == "T":
        return "string (ISO-8601 UTC)"
    return names.get(type(value), type(value).__name__)


def _example(value: Any) -> str:
    if isinstance(value, list):
        return f"[{len(value)} numbers]"
    if isinstance(value, dict):
        return "{…}"
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 48 else text[:45] + '…"'


def _bson_bytes(docs: list[dict]) -> int:
    """The summed BSON size of these documents, encoded in one call as the array of {"d": docs}: less the
    outer document's size, "d" header and NUL, the array's size and NUL, and each element's header (type byte,
    decimal index, NUL)."""
    digits, low, width = 0, 0, 1  # digits: of the indexes 0..n-1, counted by width (low..10^width-1)
    while low < len(docs):
        digits += width * (min(len(docs), 10**width) - low)
        low, width = 10**width, width + 1
    return len(bson.encode({"d": docs})) - (4 + 3 + 1) - (4 + 1) - (2 * len(docs) + digits)


Sample = tuple[dict[str, dict[str, dict]], dict[str, tuple[int, int]]]


def sample(spec: DatasetSpec = SAMPLE_SPEC, batches: Iterable[tuple[str, list[dict]]] | None = None) -> Sample:
    """Per collection: field -> (example, seen in how many docs), and (documents, total BSON bytes), of the dataset
    of `spec` (or of `batches`, that dataset's batches when the caller generates them).

    In a batch without maps (most are) a document's field paths are its keys: the documents are counted by
    their tuple of keys, and only the first of a tuple not met before is looked at for examples. A batch with
    maps is walked document by document."""
    examples: dict[str, dict[str, Any]] = defaultdict(dict)  # the first value of each path, in order of appearance
    seen: dict[str, Counter[str]] = defaultdict(Counter)
    sizes: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for name, docs in Dataset(spec, load_catalog()).batches() if batches is None else batches:
        sizes[name][0] += len(docs)
        sizes[name][1] += _bson_bytes(docs)
        first, counted = examples[name], seen[name]
        if any(issubclass(kind, dict) for kind in set(map(type, chain.from_iterable(map(dict.values, docs))))):
            shown = [field_paths(doc) for doc in docs]
            for paths in shown:
                counted.update(paths.keys())
        else:
            shapes = Counter(map(tuple, docs))
            for keys, n in shapes.items():
                for key in keys:
                    counted[key] += n
            new = {keys for keys in shapes if not first.keys() >= set(keys)}
            shown = []
            for doc in docs:
                if not new:
                    break
                if tuple(doc) in new:
                    new.discard(tuple(doc))
                    shown.append(doc)
        for paths in shown:
            for path, value in paths.items():
                first.setdefault(path, value)
    fields = {
        name: {path: {"example": value, "seen": seen[name][path]} for path, value in first.items()}
        for name, first in examples.items()
    }
    return fields, {name: (n, total) for name, (n, total) in sizes.items()}


def _rhythm_lines() -> list[str]:
    """The week, the day and the holidays of zava.model.rhythms."""
    names = {c.category_id: c.category_name for c in load_catalog().categories}
    opens, closes = OPENING_HOURS["physical"]
    lines = [
        "",
        "## When orders happen",
        "",
        f"In the stores' time zone ({TIME_ZONE.key}, daylight saving included). Physical stores take orders from",
        f"{opens}:00 to {closes}:00 local time, the online store around the clock. Each weight is relative to the",
        "kind's average; months, store shares and year growth stay as above.",
        "",
        "| store kind | " + " | ".join(WEEKDAYS) + " |",
        "|---|" + "---|" * len(WEEKDAYS),
    ]
    lines += [f"| {kind} | " + " | ".join(f"{w:.2f}" for w in WEEKDAY_WEIGHT[kind]) + " |" for kind in KINDS]
    lines += ["", "| local hour | " + " | ".join(KINDS) + " |", "|---|" + "---|" * len(KINDS)]
    lines += [f"| {h:02d}:00 | " + " | ".join(f"{HOUR_WEIGHT[k][h] * 24:.2f}" for k in KINDS) + " |" for h in range(24)]
    lines += ["", "| holiday | when | orders | categories lifted (share of lines) |", "|---|---|---|---|"]
    lines += [
        f"| {h.name} | {h.rule} | x{h.volume} | "
        + ", ".join(f"{names[c]} x{lift}" for c, lift in h.lifts.items())
        + " |"
        for h in HOLIDAYS
    ]
    return lines


def _shopper_lines() -> list[str]:
    """The segments, regulars and projects of zava.model.shoppers and zava.model.projects."""
    catalog = load_catalog()
    categories = {c.category_id: c.category_name for c in catalog.categories}
    types = {t.type_id: t.type_name for t in catalog.product_types}
    lines = [
        "",
        "## Who shops and what goes in a basket",
        "",
        "Each customer has a `segment`, an ordering rate (log-normal across the segment's customers, so a few",
        "order every week and many once) and a home category they come back to. An order's time is drawn as",
        "above; whether it is a pro's follows its number of lines and its hour, so pros take the weekday",
        "mornings while the store totals keep the profiles above.",
        "",
        "| segment | who | customers | rate spread (sigma) | orders start in (x usual) |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| `{s.name}` | {s.label} | {s.customer_share:.0%} | {s.rate_spread} | "
        + (", ".join(f"{categories[c]} x{w}" for c, w in s.category_weight.items()) or "the season alone")
        + " |"
        for s in SEGMENTS
    ]
    lines += [
        "",
        "Share of orders placed by pros, by lines per order (at an average hour; x"
        + f"{PRO_TILT[0, 0, 7]:.1f} at 7:00 on a weekday in a store, x{PRO_TILT[0, 6, 12]:.2f} on a Sunday at noon): "
        + ", ".join(f"{n} line{'s' if n > 1 else ''} {share:.0%}" for n, share in enumerate(PRO_SHARE_BY_LINES, 1))
        + ".",
        "A pro's line of " + ", ".join(f"{types[t]} x{k}" for t, k in PRO_BULK.items()) + " takes that many times the",
        "usual quantity. Pros' trades (their home categories and company names): "
        + ", ".join(f"{t.name} {t.share:.0%} ({categories[t.category_id]})" for t in TRADES)
        + ".",
        f"Regulars: a customer's orders start in their home category x{HOME_BOOST:g} as often as the season says;",
        "single-item errands lean to consumables: "
        + ", ".join(f"{types[t]} x{w}" for t, w in CONSUMABLES.items())
        + ".",
        "",
        "An order of one line is an errand. An order of more lines is a project of its category: the core type first,",
        "each further line of a companion type by weight (a type may come twice: two products of it). The months of",
        "the categories are calibrated so that each category's revenue, companions included, follows its multipliers.",
        "",
        "| project | core type | companions (weight) | homeowners | pros | months |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {p.name} | {types[p.core]} | "
        + ", ".join(f"{types[t]} {w:g}" for t, w in p.companions.items())
        + f" | {p.diy:g} | {p.pro:g} | "
        + (", ".join(f"{m} x{w:g}" for m, w in p.months.items()) or "")
        + " |"
        for p in PROJECTS
    ]
    return lines


def render(sampled: Sample | None = None) -> str:
    """The document; `sampled`: sample() of SAMPLE_SPEC when the caller has it already."""
    fields, sizes = sampled or sample()
    lines = [
        "# Data model",
        "",
        "Rendered by `python scripts/data_model.py` from the collection, index and connector definitions",
        "and from a dataset generated at the default sizes (seed 42, orders 2023-01-01 to 2025-12-31);",
        "a test keeps this file equal to that output. Timestamps are ISO-8601 UTC strings",
        "(`YYYY-MM-DDTHH:MM:SSZ`), money is in dollars rounded to cents, synced documents hold no arrays.",
        "",
        "| collection | documents | average size | `_id` format | Ditto connector |",
        "|---|---|---|---|---|",
    ]
    for c in COLLECTIONS:
        n, total = sizes[c.name]
        mapping = (
            "not synced"
            if not c.synced
            else "match `_id`"
            if c.id_fields == ("_id",)
            else " + ".join(f"`{f}`" for f in c.id_fields)
        )
        id_format = (
            f"`{ID_FORMATS[c.name]}`".replace("|", "\\|") if c.name in ID_FORMATS else "`{store_id, product_id}`"
        )
        lines.append(f"| `{c.name}` | {n:,} | {total / n / 1024:.2f} KiB | {id_format} | {mapping} |")
    lines += [
        "",
        "## Money",
        "",
        "Amounts are computed in whole cents and stored as dollars; every rounding is to the cent, half to even.",
        "",
        "- each item: `discount_amount = round(quantity x unit_price x discount_percent / 100)` and",
        "  `line_total = quantity x unit_price - discount_amount`;",
        "- each order: `subtotal` = the sum of its items' `quantity x unit_price` (before discounts),",
        "  `discount_total` = the sum of their `discount_amount`,",
        f"  `tax = round({TAX_RATE} x (subtotal - discount_total))` and `total = subtotal - discount_total + tax`.",
    ]
    lines += _rhythm_lines()
    lines += _shopper_lines()
    for c in COLLECTIONS:
        n = sizes[c.name][0]
        lines += ["", f"## {c.name}", "", "| field | type | required | example | meaning |", "|---|---|---|---|---|"]
        for path, meaning in FIELDS[c.name].items():
            entry = fields[c.name][path]
            required = "yes" if entry["seen"] >= n else "no"
            lines.append(
                f"| `{path}` | {_type(entry['example'])} | {required} | {_example(entry['example'])} | {meaning} |"
            )
        indexes = [ix for ix in INDEXES if ix.collection == c.name]
        if indexes:
            lines += [
                "",
                "Indexes: "
                + "; ".join(
                    f"`{ix.name}` ({', '.join(f for f, _ in ix.keys)}{', unique' if ix.unique else ''}) for {ix.serves}"
                    for ix in indexes
                )
                + ".",
            ]
        if c.name == "product_embeddings":
            lines += [
                "",
                f"On Atlas, the vector index `{VECTOR_INDEX_NAME}` (cosine) serves semantic search. There are no",
                "product images (`products.image_url` is a placeholder address), so there is no image embedding",
                "and no image search.",
            ]
    lines += [
        "",
        "## Fields added by the scripts",
        "",
        "- `sync_triggered_at` (string, ISO-8601 UTC): set on every synced document by",
        "  `trigger_initial_sync.py`, one value per run.",
        "- Updates from apps may add `deleted_at` next to `deleted: true` (soft delete).",
    ]
    return "\n".join(lines) + "\n"
