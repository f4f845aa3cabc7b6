"""The sample queries demo apps run: one definition that runs them, times them and documents them.

Each query is a list of server calls (find_one, find or aggregate) built from parameters and the
results of earlier calls, plus a step that shapes the answer. SAMPLE_QUERIES.md is rendered from
these same calls, so the documentation shows exactly what runs. Every call is written so that
real MongoDB and the local server give the same answer (SPEC lists the constructs to avoid).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from pymongo.database import Database

from common import KitError
from zava.model.catalog import MONTHS
from zava.model.rules import LIVE, LOW_STOCK, REVENUE_STATUSES, UNITS_TO_ORDER

Build = Callable[["Params", list], Any]


@dataclass(frozen=True)
class Params:
    """The values the queries take; `example_params` reads them off the loaded data."""

    store_id: str = "store_seattle"
    sku: str = "PWR-DRILL-001"
    email: str = ""
    order_id: str = ""
    customer_id: str = ""
    aisle: str = "01"
    since: str = ""
    search: str = "cordless drill"


PLACEHOLDERS = Params(**{f: f":{f}" for f in Params.__dataclass_fields__})


class _Placeholder(dict):
    """Stands in for an earlier call's document when rendering: any field reads as a placeholder."""

    def __missing__(self, key: str) -> str:
        return f":{key}_from_above"


class _Earlier(list):
    """Stands in for an earlier call's result when rendering: one document, or a list of one."""

    def __getitem__(self, key):
        return _Placeholder()[key] if isinstance(key, str) else super().__getitem__(key)


@dataclass(frozen=True)
class Call:
    collection: str
    method: str  # find_one, find or aggregate
    build: Build  # -> filter (find_one), {"filter", "projection", "sort", "limit"} (find), pipeline (aggregate)


@dataclass(frozen=True)
class SampleQuery:
    name: str
    title: str
    calls: tuple[Call, ...]
    finish: Callable[[Params, list], Any]
    dql: str
    note: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)


def run_call(db: Database, call: Call, params: Params, earlier: list) -> Any:
    spec = call.build(params, earlier)
    collection = db[call.collection]
    if call.method == "find_one":
        filter_, projection = spec
        return collection.find_one(filter_, projection)
    if call.method == "find":
        cursor = collection.find(spec["filter"], spec.get("projection"))
        if "sort" in spec:
            cursor = cursor.sort(list(spec["sort"].items()))
        if "limit" in spec:
            cursor = cursor.limit(spec["limit"])
        return list(cursor)
    return list(collection.aggregate(spec))


def run_query(db: Database, query: SampleQuery, params: Params) -> Any:
    """Run every call in order and shape the answer."""
    results: list = []
    for call in query.calls:
        results.append(run_call(db, call, params, results))
    return query.finish(params, results)


def _js(value: Any) -> str:
    """Compact JSON; a pipeline gets one stage per line."""
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return "[\n" + ",\n".join(f"  {json.dumps(v, ensure_ascii=False)}" for v in value) + "\n]"
    return json.dumps(value, ensure_ascii=False)


def render_call(call: Call) -> str:
    """The mongosh form of one call, with :name placeholders for the parameters."""
    spec = call.build(PLACEHOLDERS, [_Earlier([_Placeholder()]) for _ in range(3)])
    target = f"db.getCollection({json.dumps(call.collection)})"
    if call.method == "find_one":
        filter_, projection = spec
        return f"{target}.findOne({_js(filter_)}, {_js(projection)})"
    if call.method == "find":
        text = f"{target}.find({_js(spec['filter'])}, {_js(spec.get('projection', {}))})"
        if "sort" in spec:
            text += f".sort({_js(spec['sort'])})"
        if "limit" in spec:
            text += f".limit({spec['limit']})"
        return text
    return f"{target}.aggregate({_js(spec)})"


# ---------------------------------------------------------------- the queries

PRODUCT_NAMES = {"_id": 0, "product_id": 1, "product_name": 1, "sku": 1}


def _month_key(path: str, start: int, length: int) -> dict:
    return {"$substrBytes": [path, start, length]}


def _low_stock_pipeline(p: Params, _: list) -> list:
    return [
        {"$match": {"store_id": p.store_id, **LIVE, **LOW_STOCK}},
        {"$lookup": {"from": "products", "localField": "product_id", "foreignField": "product_id", "as": "product"}},
        {"$unwind": "$product"},
        {"$lookup": {"from": "stores", "localField": "store_id", "foreignField": "store_id", "as": "store"}},
        {"$unwind": "$store"},
        {
            "$project": {
                "_id": 0,
                "product_id": 1,
                "sku": "$product.sku",
                "product_name": "$product.product_name",
                "store_name": "$store.name",
                "stock_level": 1,
                "reorder_threshold": 1,
                "aisle": "$location.aisle",
            }
        },
        {"$sort": {"stock_level": 1, "product_id": 1}},
    ]


def _by_aisle_pipeline(p: Params, _: list) -> list:
    return [
        {"$match": {"store_id": p.store_id, "location.aisle": p.aisle, **LIVE}},
        {"$lookup": {"from": "products", "localField": "product_id", "foreignField": "product_id", "as": "product"}},
        {"$unwind": "$product"},
        {
            "$project": {
                "_id": 0,
                "product_id": 1,
                "product_name": "$product.product_name",
                "shelf": "$location.shelf",
                "bin": "$location.bin",
                "stock_level": 1,
            }
        },
        {"$sort": {"shelf": 1, "bin": 1, "product_id": 1}},
    ]


def _category_months(p: Params, results: list) -> dict:
    """Fold product x month revenue into category x month, next to each category's multipliers."""
    product_revenue, products, categories = results
    category_of = {d["product_id"]: d["category_id"] for d in products}
    table: dict[str, dict[str, float]] = {c["category_id"]: dict.fromkeys(MONTHS, 0.0) for c in categories}
    for row in product_revenue:
        product_id, month = row["_id"].split("|")
        table[category_of[product_id]][MONTHS[int(month) - 1]] += row["revenue"]
    return {
        c["category_id"]: {
            "revenue": {m: round(v, 2) for m, v in table[c["category_id"]].items()},
            "multipliers": c["seasonal_multipliers"],
        }
        for c in categories
    }


def _store_months(p: Params, results: list) -> dict:
    answer: dict[str, dict[str, float]] = {}
    for row in results[0]:
        store_id, month = row["_id"].split("|")
        answer.setdefault(store_id, {})[month] = round(row["revenue"], 2)
    return answer


def _top_products(p: Params, results: list) -> list:
    names = {d["product_id"]: d for d in results[1]}
    return [
        {
            "product_id": r["_id"],
            "sku": names[r["_id"]]["sku"],
            "product_name": names[r["_id"]]["product_name"],
            "revenue": round(r["revenue"], 2),
            "units": r["units"],
        }
        for r in results[0]
    ]


QUERIES: tuple[SampleQuery, ...] = (
    SampleQuery(
        "store_by_id",
        "A store by its id",
        (Call("stores", "find_one", lambda p, _: ({"store_id": p.store_id}, {"_id": 0})),),
        lambda p, r: r[0],
        "SELECT * FROM stores WHERE _id = :store_id",
    ),
    SampleQuery(
        "product_by_sku",
        "A product by SKU (barcode scan)",
        (Call("products", "find_one", lambda p, _: ({"sku": p.sku, **LIVE}, {"_id": 0})),),
        lambda p, r: r[0],
        "SELECT * FROM products WHERE sku = :sku AND deleted = false",
    ),
    SampleQuery(
        "customer_by_email",
        "A customer by email",
        (Call("customers", "find_one", lambda p, _: ({"email": p.email}, {"_id": 0})),),
        lambda p, r: r[0],
        "SELECT * FROM customers WHERE email = :email",
    ),
    SampleQuery(
        "store_inventory",
        "A store's inventory (first 20 products)",
        (
            Call(
                "inventory",
                "find",
                lambda p, _: {
                    "filter": {"store_id": p.store_id, **LIVE},
                    "projection": {"_id": 0, "product_id": 1, "stock_level": 1, "reorder_threshold": 1, "location": 1},
                    "sort": {"product_id": 1},
                    "limit": 20,
                },
            ),
        ),
        lambda p, r: r[0],
        "SELECT * FROM inventory WHERE store_id = :store_id AND deleted = false ORDER BY product_id LIMIT 20",
    ),
    SampleQuery(
        "low_stock",
        "Low stock at a store, with product and store names",
        (Call("inventory", "aggregate", _low_stock_pipeline),),
        lambda p, r: r[0],
        "SELECT * FROM inventory WHERE store_id = :store_id AND stock_level <= reorder_threshold "
        "AND deleted = false ORDER BY stock_level",
        note="DQL has no joins: the app reads product names from its local `products` collection.",
    ),
    SampleQuery(
        "products_by_aisle",
        "What is in one aisle of a store",
        (Call("inventory", "aggregate", _by_aisle_pipeline),),
        lambda p, r: r[0],
        "SELECT * FROM inventory WHERE store_id = :store_id AND location.aisle = :aisle AND deleted = false "
        "ORDER BY location.shelf, location.bin",
    ),
    SampleQuery(
        "order_with_items",
        "An order with its items and customer",
        (
            Call("orders", "find_one", lambda p, _: ({"order_id": p.order_id}, {"_id": 0})),
            Call(
                "order_items",
                "find",
                lambda p, _: {
                    "filter": {"order_id": p.order_id},
                    "projection": {
                        "_id": 1,
                        "sku": 1,
                        "product_name": 1,
                        "quantity": 1,
                        "unit_price": 1,
                        "discount_percent": 1,
                        "line_total": 1,
                    },
                    "sort": {"sku": 1, "_id": 1},
                },
            ),
            Call(
                "customers",
                "find_one",
                lambda p, r: (
                    {"customer_id": r[0]["customer_id"]},
                    {"_id": 0, "customer_id": 1, "first_name": 1, "last_name": 1, "email": 1},
                ),
            ),
        ),
        lambda p, r: {"order": r[0], "items": r[1], "customer": r[2]},
        "SELECT * FROM orders WHERE _id = :order_id;\nSELECT * FROM order_items WHERE order_id = :order_id",
    ),
    SampleQuery(
        "customer_history",
        "A customer's last five orders with their items",
        (
            Call(
                "orders",
                "find",
                lambda p, _: {
                    "filter": {"customer_id": p.customer_id, **LIVE},
                    "projection": {"_id": 0, "order_id": 1, "order_date": 1, "store_name": 1, "total": 1, "status": 1},
                    "sort": {"order_date": -1, "order_id": -1},
                    "limit": 5,
                },
            ),
            Call(
                "order_items",
                "find",
                lambda p, r: {
                    "filter": {"order_id": {"$in": [o["order_id"] for o in r[0]]}},
                    "projection": {
                        "_id": 0,
                        "order_id": 1,
                        "sku": 1,
                        "product_name": 1,
                        "quantity": 1,
                        "line_total": 1,
                    },
                    "sort": {"order_id": -1, "sku": 1},
                },
            ),
        ),
        lambda p, r: [{**o, "items": [i for i in r[1] if i["order_id"] == o["order_id"]]} for o in r[0]],
        "SELECT * FROM orders WHERE customer_id = :customer_id AND deleted = false ORDER BY order_date DESC LIMIT 5",
    ),
    SampleQuery(
        "top_products_30_days",
        "Top 10 products by revenue in the last 30 days of the data",
        (
            Call(
                "order_items",
                "aggregate",
                lambda p, _: [
                    {"$match": {"order_date": {"$gte": p.since}, **LIVE}},
                    {
                        "$group": {
                            "_id": "$product_id",
                            "revenue": {"$sum": "$line_total"},
                            "units": {"$sum": "$quantity"},
                        }
                    },
                    {"$sort": {"revenue": -1, "_id": 1}},
                    {"$limit": 10},
                ],
            ),
            Call(
                "products",
                "find",
                lambda p, r: {"filter": {"product_id": {"$in": [x["_id"] for x in r[0]]}}, "projection": PRODUCT_NAMES},
            ),
        ),
        _top_products,
        "SELECT product_id, SUM(line_total) AS revenue, SUM(quantity) AS units FROM order_items "
        "WHERE order_date >= :since AND deleted = false GROUP BY product_id ORDER BY revenue DESC LIMIT 10",
    ),
    SampleQuery(
        "revenue_by_store_month",
        "Revenue by store by month (completed, shipped and pending orders)",
        (
            Call(
                "orders",
                "aggregate",
                lambda p, _: [
                    {"$match": {"status": {"$in": list(REVENUE_STATUSES)}, **LIVE}},
                    {
                        "$group": {
                            "_id": {"$concat": ["$store_id", "|", _month_key("$order_date", 0, 7)]},
                            "revenue": {"$sum": "$total"},
                        }
                    },
                    {"$sort": {"_id": 1}},
                ],
            ),
        ),
        _store_months,
        "SELECT store_id, SUBSTR(order_date, 0, 7) AS month, SUM(total) AS revenue FROM orders "
        "WHERE status IN ['pending', 'shipped', 'completed'] AND deleted = false "
        "GROUP BY store_id, SUBSTR(order_date, 0, 7)",
        note="The group key is one string (`store|month`): the local server treats a document-valued `_id` "
        "in `$group` as a literal.",
    ),
    SampleQuery(
        "category_month_revenue",
        "Revenue per category per calendar month, next to its seasonal multipliers",
        (
            Call(
                "order_items",
                "aggregate",
                lambda p, _: [
                    {"$match": LIVE},
                    {
                        "$group": {
                            "_id": {"$concat": ["$product_id", "|", _month_key("$order_date", 5, 2)]},
                            "revenue": {"$sum": "$line_total"},
                        }
                    },
                ],
            ),
            Call(
                "products",
                "find",
                lambda p, _: {"filter": {}, "projection": {"_id": 0, "product_id": 1, "category_id": 1}},
            ),
            Call(
                "categories",
                "find",
                lambda p, _: {
                    "filter": {},
                    "projection": {"_id": 0, "category_id": 1, "seasonal_multipliers": 1},
                    "sort": {"category_id": 1},
                },
            ),
        ),
        _category_months,
        "SELECT product_id, SUBSTR(order_date, 5, 2) AS month, SUM(line_total) AS revenue FROM order_items "
        "WHERE deleted = false GROUP BY product_id, SUBSTR(order_date, 5, 2)",
        note="Items are summed per product and month on the server (424 x 12 rows at most) and folded into "
        "categories by the client: a `$lookup` per item is slow on the local server.",
    ),
    SampleQuery(
        "reorder_report",
        "Reorder report: lines at or below threshold and units to order, per store",
        (
            Call(
                "inventory",
                "aggregate",
                lambda p, _: [
                    {"$match": {**LIVE, **LOW_STOCK}},
                    {
                        "$group": {
                            "_id": "$store_id",
                            "lines": {"$sum": 1},
                            "units_to_order": {"$sum": UNITS_TO_ORDER},
                        }
                    },
                    {"$sort": {"_id": 1}},
                ],
            ),
        ),
        lambda p, r: r[0],
        "SELECT store_id, COUNT(*) AS lines, SUM(reorder_threshold * 3 - stock_level) AS units_to_order "
        "FROM inventory WHERE stock_level <= reorder_threshold AND deleted = false GROUP BY store_id",
        note="Each low line is ordered back up to three times its threshold.",
    ),
)


def example_params(db: Database) -> Params:
    """Parameters taken from the loaded data: the latest order, its customer, a real email and aisle."""
    latest = db.orders.find_one(
        {}, {"order_id": 1, "customer_id": 1, "order_date": 1}, sort=[("order_date", -1), ("order_id", -1)]
    )
    if latest is None:
        raise KitError("the orders collection is empty: run python scripts/generate_mongodb_data.py first")
    customer = db.customers.find_one({"customer_id": latest["customer_id"]}, {"email": 1}) or {}
    store = Params().store_id
    slot = db.inventory.find_one({"store_id": store}, {"location.aisle": 1}, sort=[("product_id", 1)]) or {}
    since = datetime.strptime(latest["order_date"][:10], "%Y-%m-%d") - timedelta(days=29)
    product = db.products.find_one({}, {"sku": 1}, sort=[("sku", 1)]) or {}
    return replace(
        Params(),
        email=customer.get("email", ""),
        order_id=latest["order_id"],
        customer_id=latest["customer_id"],
        aisle=slot.get("location", {}).get("aisle", "01"),
        since=since.strftime("%Y-%m-%dT00:00:00Z"),
        sku=product.get("sku", Params().sku),
    )
