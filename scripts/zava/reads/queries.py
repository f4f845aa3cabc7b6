"""The sample queries demo apps run: one definition that runs them, times them and documents them.

Each query is a list of typed server calls (zava.reads.calls) plus a step that shapes the answer;
a call that needs an earlier call's result reads it through an `Earlier` marker. SAMPLE_QUERIES.md
renders these same calls (zava.reads.mongosh), zava.ditto.translate turns them into the DQL an app
runs, and the local Ditto check runs them against MongoDB for its expected answers. Every call is
written so that real MongoDB and the local server give the same answer.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta
from typing import Any

from pymongo.database import Database

from zava.catalog.loader import MONTHS
from zava.errors import ConfigError, KitError
from zava.model.rules import EARNS_REVENUE, LIVE, LOW_STOCK, UNITS_TO_ORDER
from zava.model.shoppers import DIY, PRO, SEGMENT_NAMES
from zava.reads.calls import (
    KEY_SEPARATOR,
    Aggregate,
    Call,
    Earlier,
    Find,
    FindOne,
    Param,
    make_call,
    markers_in,
    named_key,
    run_call,
)


@dataclass(frozen=True)
class Params:
    """The values the queries take; `example_params` reads them off the loaded data."""

    store_id: str = "store_seattle"
    sku: str = "PWR-DRILL-001"
    email: str = ""
    order_id: str = ""
    customer_id: str = ""
    aisle: str = "01"
    since: str = ""  # 30 days before the latest order
    year_since: str = ""  # a year before the latest order
    trend_since: str = ""  # the first of the month a year before the latest order
    category_id: str = "cat_power_tools"
    min_price: float = 50
    max_price: float = 150
    search: str = "cordless drill"


PLACEHOLDERS = Params(**{f.name: Param(f.name) for f in fields(Params)})
P = PLACEHOLDERS  # what the calls below are written with


@dataclass(frozen=True, kw_only=True)
class SampleQuery:
    name: str
    title: str
    calls: tuple[Call, ...]
    finish: Callable[[Params, list], Any] = lambda p, results: results[0]
    # The name each call's result goes by in the mongosh text (`const order = ...`), when there are several.
    results: tuple[str, ...] = ()
    # The calls an app makes in DQL, in order. The others fetch what an app reads from its own
    # collections instead (names and SKUs: DQL has no joins) or what its role does not hold.
    dql_calls: tuple[int, ...] = (0,)
    note: str = ""

    def ditto_calls(self) -> list[Call]:
        """The calls behind the query's DQL, with their Param markers (each is built from parameters only)."""
        calls = [self.calls[i] for i in self.dql_calls]
        if any(isinstance(m, Earlier) for c in calls for m in markers_in(c)):
            raise KitError(f"{self.name}: a DQL call cannot depend on earlier results")
        return calls

    def __post_init__(self) -> None:
        if len(self.calls) > 1 and len(self.results) != len(self.calls):
            raise KitError(f"{self.name}: name the result of each of its {len(self.calls)} calls")


def run_query(db: Database, query: SampleQuery, params: Params) -> Any:
    """Run every call in order and shape the answer."""
    results: list = []
    for step in query.calls:
        results.append(run_call(db, make_call(step, params, results)))
    return query.finish(params, results)


PRODUCT_NAMES = {"_id": 0, "product_id": 1, "product_name": 1, "sku": 1}
CUSTOMER_NAMES = {"_id": 0, "customer_id": 1, "first_name": 1, "last_name": 1, "company_name": 1}
PRO_SEGMENT, DIY_SEGMENT = SEGMENT_NAMES[PRO], SEGMENT_NAMES[DIY]  # every customer is one or the other
CATALOG_FIELDS = {"_id": 0, "product_id": 1, "sku": 1, "product_name": 1, "category_id": 1, "base_price": 1}


def _revenue_orders_since(since: Param) -> dict:
    """The $match of the live orders that earn revenue, dated on or after `since`."""
    return {"$match": {"order_date": {"$gte": since}, **EARNS_REVENUE, **LIVE}}


def _month_key(path: str, start: int, length: int) -> dict:
    return {"$substrBytes": [path, start, length]}


def _joined(*parts: Any) -> dict:
    """One string key of several parts, `a|b` (see Aggregate.key_names)."""
    joined: list[Any] = []
    for part in parts:
        joined += [KEY_SEPARATOR, part] if joined else [part]
    return {"$concat": joined}


def _category_months(p: Params, results: list) -> dict:
    """Fold product x month revenue into category x month, next to each category's multipliers."""
    product_revenue, products, categories = results
    category_of = {d["product_id"]: d["category_id"] for d in products}
    table: dict[str, dict[str, float]] = {c["category_id"]: dict.fromkeys(MONTHS, 0.0) for c in categories}
    for row in product_revenue:
        row = named_key(row, ("product_id", "month"))
        table[category_of[row["product_id"]]][MONTHS[int(row["month"]) - 1]] += row["revenue"]
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
        row = named_key(row, ("store_id", "month"))
        answer.setdefault(row["store_id"], {})[row["month"]] = round(row["revenue"], 2)
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


def _name(customer: dict) -> str:
    return f"{customer['first_name']} {customer['last_name']}"


def _bought_together(p: Params, results: list) -> dict:
    """The products sharing most orders with this one: each one's orders together, and their share of its orders."""
    product, its_items, together, names = results
    its_orders = len({i["order_id"] for i in its_items})
    counted = sorted(((len(set(r["orders"])), r["_id"]) for r in together), key=lambda c: (-c[0], c[1]))[:10]
    named = {d["product_id"]: d for d in names}
    return {
        "product": product,
        "orders": its_orders,
        "bought_with": [
            {
                "product_id": product_id,
                "sku": named[product_id]["sku"],
                "product_name": named[product_id]["product_name"],
                "orders": orders,
                "share": round(orders / its_orders, 3),
            }
            for orders, product_id in counted
        ],
    }


def _top_customers(p: Params, results: list) -> list:
    customers = {c["customer_id"]: c for c in results[1]}
    return [
        {
            "customer_id": r["_id"],
            "name": _name(customers[r["_id"]]),
            "company_name": customers[r["_id"]].get("company_name"),
            "orders": r["orders"],
            "revenue": round(r["revenue"], 2),
        }
        for r in results[0]
    ]


def _segments(p: Params, results: list) -> list:
    """Each customer's orders and revenue, added up by segment: the pros', and everyone else's (homeowners)."""
    pros = {c["customer_id"] for c in results[0]}
    totals = {name: {"buyers": 0, "orders": 0, "revenue": 0.0} for name in SEGMENT_NAMES}
    for row in results[1]:
        segment = totals[PRO_SEGMENT if row["_id"] in pros else DIY_SEGMENT]
        segment["buyers"] += 1
        segment["orders"] += row["orders"]
        segment["revenue"] += row["revenue"]
    revenue = sum(t["revenue"] for t in totals.values()) or 1.0
    return [
        {
            "segment": name,
            "buyers": t["buyers"],
            "orders": t["orders"],
            "revenue": round(t["revenue"], 2),
            "revenue_share": round(t["revenue"] / revenue, 3),
        }
        for name, t in totals.items()
    ]


def _customer_categories(p: Params, results: list) -> list:
    """Fold the customer's lines and revenue per product into categories, most lines first."""
    _, per_product, products, categories = results
    category_of = {d["product_id"]: d["category_id"] for d in products}
    names = {c["category_id"]: c["category_name"] for c in categories}
    lines: dict[str, int] = {}
    revenue: dict[str, float] = {}
    for row in per_product:
        category = category_of[row["_id"]]
        lines[category] = lines.get(category, 0) + row["lines"]
        revenue[category] = revenue.get(category, 0.0) + row["revenue"]
    ranked = sorted(lines, key=lambda c: (-lines[c], -round(revenue[c], 2), c))
    return [
        {"category_id": c, "category_name": names[c], "lines": lines[c], "revenue": round(revenue[c], 2)}
        for c in ranked
    ]


def _pro_accounts(p: Params, results: list) -> list:
    """The store's pros with their last order, and orders and revenue since `year_since`, most revenue first."""
    pros, last_orders, year = results
    last = {r["_id"]: r["last_order_date"] for r in last_orders}
    sums = {r["_id"]: r for r in year}
    rows = [
        {
            "customer_id": c["customer_id"],
            "company_name": c.get("company_name"),
            "name": _name(c),
            "last_order_date": last.get(c["customer_id"]),
            "orders": sums[c["customer_id"]]["orders"] if c["customer_id"] in sums else 0,
            "revenue": round(sums[c["customer_id"]]["revenue"], 2) if c["customer_id"] in sums else 0.0,
        }
        for c in pros
    ]
    return sorted(rows, key=lambda r: (-r["revenue"], r["customer_id"]))


QUERIES: tuple[SampleQuery, ...] = (
    SampleQuery(
        name="store_by_id",
        title="A store by its id",
        calls=(FindOne(collection="stores", filter={"store_id": P.store_id}, projection={"_id": 0}),),
    ),
    SampleQuery(
        name="product_by_sku",
        title="A product by SKU (barcode scan)",
        calls=(FindOne(collection="products", filter={"sku": P.sku, **LIVE}, projection={"_id": 0}),),
    ),
    SampleQuery(
        name="customer_by_email",
        title="A customer by email",
        calls=(FindOne(collection="customers", filter={"email": P.email}, projection={"_id": 0}),),
    ),
    SampleQuery(
        name="store_inventory",
        title="A store's inventory (first 20 products)",
        calls=(
            Find(
                collection="inventory",
                filter={"store_id": P.store_id, **LIVE},
                projection={"_id": 0, "product_id": 1, "stock_level": 1, "reorder_threshold": 1, "location": 1},
                sort={"product_id": 1},
                limit=20,
            ),
        ),
    ),
    SampleQuery(
        name="low_stock",
        title="Low-stock alert: lines at or below their reorder threshold at a store, with names",
        calls=(
            Aggregate(
                collection="inventory",
                pipeline=[
                    {"$match": {"store_id": P.store_id, **LIVE, **LOW_STOCK}},
                    {
                        "$lookup": {
                            "from": "products",
                            "localField": "product_id",
                            "foreignField": "product_id",
                            "as": "product",
                        }
                    },
                    {"$unwind": "$product"},
                    {
                        "$lookup": {
                            "from": "stores",
                            "localField": "store_id",
                            "foreignField": "store_id",
                            "as": "store",
                        }
                    },
                    {"$unwind": "$store"},
                    {
                        "$project": {
                            "_id": 0,
                            "product_id": 1,
                            "store_name": "$store.store_name",
                            "product_name": "$product.product_name",
                            "sku": "$product.sku",
                            "stock_level": 1,
                            "reorder_threshold": 1,
                            "location": 1,
                        }
                    },
                    {"$sort": {"stock_level": 1, "product_id": 1}},
                ],
            ),
        ),
        note="DQL has no joins: the app reads product and store names from its local `products` and `stores`.",
    ),
    SampleQuery(
        name="products_by_aisle",
        title="What is in one aisle of a store",
        calls=(
            Aggregate(
                collection="inventory",
                pipeline=[
                    {"$match": {"store_id": P.store_id, "location.aisle": P.aisle, **LIVE}},
                    {
                        "$lookup": {
                            "from": "products",
                            "localField": "product_id",
                            "foreignField": "product_id",
                            "as": "product",
                        }
                    },
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
                ],
            ),
        ),
    ),
    SampleQuery(
        name="order_with_items",
        title="An order with its items and customer",
        calls=(
            FindOne(collection="orders", filter={"order_id": P.order_id}, projection={"_id": 0}),
            Find(
                collection="order_items",
                filter={"order_id": P.order_id},
                projection={
                    "_id": 1,
                    "sku": 1,
                    "product_name": 1,
                    "quantity": 1,
                    "unit_price": 1,
                    "discount_percent": 1,
                    "line_total": 1,
                },
                sort={"sku": 1, "_id": 1},
            ),
            FindOne(
                collection="customers",
                filter={"customer_id": Earlier(0, "customer_id")},
                projection={"_id": 0, "customer_id": 1, "first_name": 1, "last_name": 1, "email": 1},
            ),
        ),
        finish=lambda p, r: {"order": r[0], "items": r[1], "customer": r[2]},
        results=("order", "orderItems", "orderCustomer"),
        dql_calls=(0, 1),
    ),
    SampleQuery(
        name="customer_history",
        title="A customer's last five orders with their items",
        calls=(
            Find(
                collection="orders",
                filter={"customer_id": P.customer_id, **LIVE},
                projection={"_id": 0, "order_id": 1, "order_date": 1, "store_name": 1, "total": 1, "status": 1},
                sort={"order_date": -1, "order_id": -1},
                limit=5,
            ),
            Find(
                collection="order_items",
                filter={"order_id": {"$in": Earlier(0, "order_id", each=True)}},
                projection={"_id": 0, "order_id": 1, "sku": 1, "product_name": 1, "quantity": 1, "line_total": 1},
                sort={"order_id": -1, "sku": 1},
            ),
        ),
        finish=lambda p, r: [{**o, "items": [i for i in r[1] if i["order_id"] == o["order_id"]]} for o in r[0]],
        results=("recentOrders", "recentItems"),
    ),
    SampleQuery(
        name="top_products_30_days",
        title="Top 10 products by revenue in the last 30 days",
        calls=(
            Aggregate(
                collection="order_items",
                pipeline=[
                    {"$match": {"order_date": {"$gte": P.since}, **LIVE}},
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
            Find(
                collection="products",
                filter={"product_id": {"$in": Earlier(0, "_id", each=True)}},
                projection=PRODUCT_NAMES,
            ),
        ),
        finish=_top_products,
        results=("topProducts", "topProductNames"),
    ),
    SampleQuery(
        name="revenue_by_store_month",
        title="Revenue by store by month (completed, shipped and pending orders)",
        calls=(
            Aggregate(
                collection="orders",
                pipeline=[
                    {"$match": {**EARNS_REVENUE, **LIVE}},
                    {
                        "$group": {
                            "_id": _joined("$store_id", _month_key("$order_date", 0, 7)),
                            "revenue": {"$sum": "$total"},
                        }
                    },
                    {"$sort": {"_id": 1}},
                ],
                key_names=("store_id", "month"),
            ),
        ),
        finish=_store_months,
        note="The group key is one string (`store|month`): the local server treats a document-valued `_id` "
        "in `$group` as a literal.",
    ),
    SampleQuery(
        name="category_month_revenue",
        title="Revenue per category per calendar month, next to its seasonal multipliers",
        calls=(
            Aggregate(
                collection="order_items",
                pipeline=[
                    {"$match": LIVE},
                    {
                        "$group": {
                            "_id": _joined("$product_id", _month_key("$order_date", 5, 2)),
                            "revenue": {"$sum": "$line_total"},
                        }
                    },
                ],
                key_names=("product_id", "month"),
            ),
            Find(collection="products", filter={}, projection={"_id": 0, "product_id": 1, "category_id": 1}),
            Find(
                collection="categories",
                filter={},
                projection={"_id": 0, "category_id": 1, "seasonal_multipliers": 1},
                sort={"category_id": 1},
            ),
        ),
        finish=_category_months,
        results=("productMonths", "productCategories", "categoryMultipliers"),
        note="Items are summed per product and month on the server (424 x 12 rows at most) and folded into "
        "categories by the client: a `$lookup` per item is slow on the local server.",
    ),
    SampleQuery(
        name="reorder_report",
        title="Reorder report: lines at or below threshold and units to order, per store",
        calls=(
            Aggregate(
                collection="inventory",
                pipeline=[
                    {"$match": {**LIVE, **LOW_STOCK}},
                    {"$group": {"_id": "$store_id", "lines": {"$sum": 1}, "units_to_order": {"$sum": UNITS_TO_ORDER}}},
                    {"$sort": {"_id": 1}},
                ],
            ),
        ),
        note="Each low line is ordered back up to three times its threshold.",
    ),
    SampleQuery(
        name="products_by_category",
        title="Products of one category, by name",
        calls=(
            Find(
                collection="products",
                filter={"category_id": P.category_id, **LIVE},
                projection=CATALOG_FIELDS,
                sort={"product_name": 1, "sku": 1},
            ),
        ),
    ),
    SampleQuery(
        name="products_by_price",
        title="Products in a price range, cheapest first",
        calls=(
            Find(
                collection="products",
                filter={"base_price": {"$gte": P.min_price, "$lte": P.max_price}, **LIVE},
                projection=CATALOG_FIELDS,
                sort={"base_price": 1, "sku": 1},
            ),
        ),
    ),
    SampleQuery(
        name="sales_by_store_year",
        title="Sales by store over the last year: orders, revenue and average order value",
        calls=(
            Aggregate(
                collection="orders",
                pipeline=[
                    _revenue_orders_since(P.year_since),
                    {
                        "$group": {
                            "_id": "$store_id",
                            "orders": {"$sum": 1},
                            "revenue": {"$sum": "$total"},
                            "avg_order_value": {"$avg": "$total"},
                        }
                    },
                    {"$lookup": {"from": "stores", "localField": "_id", "foreignField": "store_id", "as": "store"}},
                    {"$unwind": "$store"},
                    {
                        "$project": {
                            "_id": 0,
                            "store_id": "$_id",
                            "store_name": "$store.store_name",
                            "orders": 1,
                            "revenue": {"$round": ["$revenue", 2]},
                            "avg_order_value": {"$round": ["$avg_order_value", 2]},
                        }
                    },
                    {"$sort": {"revenue": -1, "store_id": 1}},
                ],
            ),
        ),
        note="Cancelled and refunded orders earn nothing, so they are left out. DQL has no joins: the app reads "
        "store names from its local `stores` collection.",
    ),
    SampleQuery(
        name="monthly_sales",
        title="Monthly sales trend over the last twelve months: orders and revenue per month",
        calls=(
            Aggregate(
                collection="orders",
                pipeline=[
                    _revenue_orders_since(P.trend_since),
                    {
                        "$group": {
                            "_id": _month_key("$order_date", 0, 7),
                            "orders": {"$sum": 1},
                            "revenue": {"$sum": "$total"},
                        }
                    },
                    {"$sort": {"_id": 1}},
                ],
                key_names=("month",),
            ),
        ),
        finish=lambda p, r: [
            {"month": x["_id"], "orders": x["orders"], "revenue": round(x["revenue"], 2)} for x in r[0]
        ],
        note="`trend_since` is the first day of the month a year back, so every month shown is whole but the last.",
    ),
    SampleQuery(
        name="bought_together",
        title="Frequently bought together: the 10 products that share most orders with one (by SKU)",
        calls=(
            FindOne(collection="products", filter={"sku": P.sku}, projection=PRODUCT_NAMES),
            Find(
                collection="order_items",
                filter={"product_id": Earlier(0, "product_id"), **LIVE},
                projection={"_id": 0, "order_id": 1},
            ),
            Aggregate(
                collection="order_items",
                pipeline=[
                    {
                        "$match": {
                            "order_id": {"$in": Earlier(1, "order_id", each=True)},
                            **LIVE,
                            "product_id": {"$ne": Earlier(0, "product_id")},
                        }
                    },
                    {"$group": {"_id": "$product_id", "orders": {"$addToSet": "$order_id"}}},
                ],
            ),
            Find(
                collection="products",
                filter={"product_id": {"$in": Earlier(2, "_id", each=True)}},
                projection=PRODUCT_NAMES,
            ),
        ),
        finish=_bought_together,
        results=("boughtProduct", "boughtProductItems", "boughtWith", "boughtWithNames"),
        note="`orders` counts the orders holding both products (an order can hold a product on two lines, hence "
        "`$addToSet`); `share` is that count over the orders holding the scanned product. The script counts, ranks "
        "and keeps the top 10: on the local server, any stage after the `$group` but `$sort` and `$limit` makes the "
        "pipeline scan the whole collection (seconds). DQL has no joins: the app reads the other items of the "
        "product's orders from its local `order_items` (`order_id IN` their ids) and counts them itself.",
    ),
    SampleQuery(
        name="store_top_customers",
        title="A store's top 10 customers by revenue over the last year",
        calls=(
            Aggregate(
                collection="orders",
                pipeline=[
                    {"$match": {"store_id": P.store_id, "order_date": {"$gte": P.year_since}, **EARNS_REVENUE, **LIVE}},
                    {"$group": {"_id": "$customer_id", "orders": {"$sum": 1}, "revenue": {"$sum": "$total"}}},
                    {"$sort": {"revenue": -1, "_id": 1}},
                    {"$limit": 10},
                ],
            ),
            Find(
                collection="customers",
                filter={"customer_id": {"$in": Earlier(0, "_id", each=True)}},
                projection=CUSTOMER_NAMES,
            ),
        ),
        finish=_top_customers,
        results=("topCustomers", "topCustomerNames"),
        note="Names come from `customers` (a pro's with its `company_name`). DQL has no joins: the app takes each "
        "name from `customer_name` on the customer's orders it holds.",
    ),
    SampleQuery(
        name="revenue_by_segment",
        title="Revenue and orders by customer segment: pros and homeowners (diy)",
        calls=(
            Find(collection="customers", filter={"segment": PRO_SEGMENT}, projection={"_id": 0, "customer_id": 1}),
            Aggregate(
                collection="orders",
                pipeline=[
                    {"$match": {**EARNS_REVENUE, **LIVE}},
                    {"$group": {"_id": "$customer_id", "orders": {"$sum": 1}, "revenue": {"$sum": "$total"}}},
                ],
            ),
        ),
        finish=_segments,
        results=("proCustomers", "revenueByCustomer"),
        dql_calls=(0, 1),
        note="Orders do not carry the segment, so the server sums each customer's orders and the client adds them up "
        "by segment: the pros' ids, and every other customer as a homeowner. A `$lookup` of each customer, or a "
        "`$cond` over the pros' ids, takes seconds on the local server. `buyers` counts the segment's customers with "
        "revenue.",
    ),
    SampleQuery(
        name="customer_categories",
        title="A customer's usual categories: their lines and revenue per category, most lines first",
        calls=(
            Find(
                collection="orders",
                filter={"customer_id": P.customer_id, **EARNS_REVENUE, **LIVE},
                projection={"_id": 0, "order_id": 1},
            ),
            Aggregate(
                collection="order_items",
                pipeline=[
                    {"$match": {"order_id": {"$in": Earlier(0, "order_id", each=True)}, **LIVE}},
                    {"$group": {"_id": "$product_id", "lines": {"$sum": 1}, "revenue": {"$sum": "$line_total"}}},
                ],
            ),
            Find(
                collection="products",
                filter={"product_id": {"$in": Earlier(1, "_id", each=True)}},
                projection={"_id": 0, "product_id": 1, "category_id": 1},
            ),
            Find(
                collection="categories",
                filter={},
                projection={"_id": 0, "category_id": 1, "category_name": 1},
                sort={"category_id": 1},
            ),
        ),
        finish=_customer_categories,
        results=("customerOrders", "customerProducts", "customerProductCategories", "categoryNames"),
        note="Items carry neither the customer nor the category: the server sums the items of the customer's orders "
        "that earn revenue per product, and the client folds products into categories (a `$lookup` of each item "
        "takes seconds on the local server). DQL has no joins: the app reads those orders' items and their "
        "products' categories from its local collections.",
    ),
    SampleQuery(
        name="store_pro_accounts",
        title="A store's pro accounts: company, last order, and orders and revenue over the last year",
        calls=(
            Find(
                collection="customers",
                filter={"primary_store_id": P.store_id, "segment": PRO_SEGMENT, **LIVE},
                projection=CUSTOMER_NAMES,
                sort={"customer_id": 1},
            ),
            Aggregate(
                collection="orders",
                pipeline=[
                    {"$match": {"customer_id": {"$in": Earlier(0, "customer_id", each=True)}, **LIVE}},
                    {"$group": {"_id": "$customer_id", "last_order_date": {"$max": "$order_date"}}},
                ],
            ),
            Aggregate(
                collection="orders",
                pipeline=[
                    {
                        "$match": {
                            "customer_id": {"$in": Earlier(0, "customer_id", each=True)},
                            "order_date": {"$gte": P.year_since},
                            **EARNS_REVENUE,
                            **LIVE,
                        }
                    },
                    {"$group": {"_id": "$customer_id", "orders": {"$sum": 1}, "revenue": {"$sum": "$total"}}},
                    {"$sort": {"revenue": -1, "_id": 1}},
                ],
            ),
        ),
        finish=_pro_accounts,
        results=("storePros", "proLastOrders", "proYearRevenue"),
        note="The pros whose primary store this is, wherever they ordered. The last order is any live order, a "
        "cancelled one too; orders and revenue count the orders that earn revenue since `year_since`. Two "
        "aggregates, because one `$group` summing a `$cond` takes seconds on the local server. DQL has no joins: "
        "the app reads the pros' orders from its local `orders` (`customer_id IN` their ids).",
    ),
)

SEARCH_QUERIES = ("product_search_text", "product_search_vector")  # the sample queries zava.reads.search runs
QUERY_NAMES = tuple(q.name for q in QUERIES) + SEARCH_QUERIES  # every sample query, in the order they run


def time_windows(latest_order_date: str) -> dict[str, str]:
    """The queries' time windows, ending on the latest order's day: `since` (its last 30 days), `year_since`
    (its last 365 days) and `trend_since` (the first of the month a year before it)."""
    last_day = datetime.strptime(latest_order_date[:10], "%Y-%m-%d")
    return {
        "since": (last_day - timedelta(days=29)).strftime("%Y-%m-%dT00:00:00Z"),
        "year_since": (last_day - timedelta(days=364)).strftime("%Y-%m-%dT00:00:00Z"),
        "trend_since": (last_day - timedelta(days=365)).strftime("%Y-%m-01T00:00:00Z"),
    }


def example_params(db: Database) -> Params:
    """Parameters taken from the loaded data: the latest order, its customer, a real email and aisle; the
    time windows end on the latest order's day."""
    latest = db.orders.find_one(
        {}, {"order_id": 1, "customer_id": 1, "order_date": 1}, sort=[("order_date", -1), ("order_id", -1)]
    )
    if latest is None:
        raise KitError("the orders collection is empty: run python scripts/generate_mongodb_data.py first")
    customer = db.customers.find_one({"customer_id": latest["customer_id"]}, {"email": 1}) or {}
    store = Params().store_id
    slot = db.inventory.find_one({"store_id": store}, {"location.aisle": 1}, sort=[("product_id", 1)]) or {}
    product = db.products.find_one({}, {"sku": 1}, sort=[("sku", 1)]) or {}
    return replace(
        Params(),
        email=customer.get("email", ""),
        order_id=latest["order_id"],
        customer_id=latest["customer_id"],
        aisle=slot.get("location", {}).get("aisle", "01"),
        **time_windows(latest["order_date"]),
        sku=product.get("sku", Params().sku),
    )


def chosen_queries(only: str | None) -> list[str]:
    """The names of the sample queries to run: `only` (ConfigError when there is no such query), or all."""
    if only and only not in QUERY_NAMES:
        raise ConfigError(f"--only {only}: no such query; choose from {', '.join(QUERY_NAMES)}")
    return [only] if only else list(QUERY_NAMES)


def query_named(name: str) -> SampleQuery | None:
    """The sample query of that name; None for the searches (SEARCH_QUERIES run in zava.reads.search)."""
    return next((q for q in QUERIES if q.name == name), None)


def summary(answer: Any) -> str:
    """A compact one-line view of an answer."""
    if isinstance(answer, list):
        first = json.dumps(answer[0], default=str)[:110] if answer else ""
        return f"{len(answer)} rows; first: {first}"
    return json.dumps(answer, default=str)[:140]
