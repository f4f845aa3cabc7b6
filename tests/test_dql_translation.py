"""The typed calls: their mongosh text, their parameters, and the DQL translated from them."""

from __future__ import annotations

import json
import re

import pytest

from common import KitError
from zava.ditto.translate import core, expression, literal, order_by, query_statements, to_dql, where
from zava.model.rules import LIVE, LOW_STOCK, LOW_STOCK_DQL
from zava.reads.calls import Aggregate, Earlier, Find, FindOne, Param, bind, params_in, substitute
from zava.reads.mongosh import earlier_js, render_call
from zava.reads.queries import PLACEHOLDERS, QUERIES, Params

DQL = {
    "store_by_id": "SELECT * FROM stores WHERE _id = :store_id",
    "product_by_sku": "SELECT * FROM products WHERE sku = :sku AND deleted = false",
    "customer_by_email": "SELECT * FROM customers WHERE email = :email",
    "store_inventory": "SELECT * FROM inventory WHERE store_id = :store_id AND deleted = false "
    "ORDER BY product_id LIMIT 20",
    "low_stock": "SELECT * FROM inventory WHERE store_id = :store_id AND deleted = false "
    "AND stock_level <= reorder_threshold ORDER BY stock_level, product_id",
    "products_by_aisle": "SELECT * FROM inventory WHERE store_id = :store_id AND location.aisle = :aisle "
    "AND deleted = false ORDER BY location.shelf, location.bin, product_id",
    "order_with_items": (
        "SELECT * FROM orders WHERE _id = :order_id",
        "SELECT * FROM order_items WHERE order_id = :order_id ORDER BY sku, _id",
    ),
    "customer_history": "SELECT * FROM orders WHERE customer_id = :customer_id AND deleted = false "
    "ORDER BY order_date DESC, order_id DESC LIMIT 5",
    "top_products_30_days": "SELECT product_id, SUM(line_total) AS revenue, SUM(quantity) AS units FROM order_items "
    "WHERE order_date >= :since AND deleted = false GROUP BY product_id ORDER BY revenue DESC, product_id LIMIT 10",
    "revenue_by_store_month": "SELECT store_id, SUBSTR(order_date, 0, 7) AS month, SUM(total) AS revenue FROM orders "
    "WHERE status IN ['pending', 'shipped', 'completed'] AND deleted = false "
    "GROUP BY store_id, SUBSTR(order_date, 0, 7) ORDER BY store_id, month",
    "category_month_revenue": "SELECT product_id, SUBSTR(order_date, 5, 2) AS month, SUM(line_total) AS revenue "
    "FROM order_items WHERE deleted = false GROUP BY product_id, SUBSTR(order_date, 5, 2)",
    "reorder_report": "SELECT store_id, COUNT(*) AS lines, SUM(reorder_threshold * 3 - stock_level) AS units_to_order "
    "FROM inventory WHERE deleted = false AND stock_level <= reorder_threshold GROUP BY store_id ORDER BY store_id",
    "products_by_category": "SELECT * FROM products WHERE category_id = :category_id AND deleted = false "
    "ORDER BY product_name, sku",
    "products_by_price": "SELECT * FROM products WHERE base_price >= :min_price AND base_price <= :max_price "
    "AND deleted = false ORDER BY base_price, sku",
    "sales_by_store_year": "SELECT store_id, COUNT(*) AS orders, SUM(total) AS revenue, AVG(total) AS avg_order_value "
    "FROM orders WHERE order_date >= :year_since AND status IN ['pending', 'shipped', 'completed'] AND deleted = false "
    "GROUP BY store_id ORDER BY revenue DESC, store_id",
    "monthly_sales": "SELECT SUBSTR(order_date, 0, 7) AS month, COUNT(*) AS orders, SUM(total) AS revenue FROM orders "
    "WHERE order_date >= :trend_since AND status IN ['pending', 'shipped', 'completed'] AND deleted = false "
    "GROUP BY SUBSTR(order_date, 0, 7) ORDER BY month",
    "bought_together": "SELECT * FROM products WHERE sku = :sku",
    "store_top_customers": "SELECT customer_id, COUNT(*) AS orders, SUM(total) AS revenue FROM orders "
    "WHERE store_id = :store_id AND order_date >= :year_since AND status IN ['pending', 'shipped', 'completed'] "
    "AND deleted = false GROUP BY customer_id ORDER BY revenue DESC, customer_id LIMIT 10",
    "revenue_by_segment": (
        "SELECT * FROM customers WHERE segment = 'pro'",
        "SELECT customer_id, COUNT(*) AS orders, SUM(total) AS revenue FROM orders "
        "WHERE status IN ['pending', 'shipped', 'completed'] AND deleted = false GROUP BY customer_id",
    ),
    "customer_categories": "SELECT * FROM orders WHERE customer_id = :customer_id "
    "AND status IN ['pending', 'shipped', 'completed'] AND deleted = false",
    "store_pro_accounts": "SELECT * FROM customers WHERE primary_store_id = :store_id AND segment = 'pro' "
    "AND deleted = false ORDER BY customer_id",
}

MONGOSH = re.compile(
    r"db\.(?P<collection>\w+)\.(?P<method>findOne|find|aggregate)\((?P<args>.*?)\)"
    r"(?:\.sort\((?P<sort>\{.*?\})\))?(?:\.limit\((?P<limit>\d+)\))?",
    re.DOTALL,
)


def json_values(text: str) -> list:
    """The comma-separated JSON values of a mongosh argument list."""
    decoder, values, at = json.JSONDecoder(), [], 0
    while at < len(text):
        value, at = decoder.raw_decode(text, at)
        values.append(value)
        at += len(text[at:]) - len(text[at:].lstrip(", "))
    return values


def test_each_query_has_the_dql_of_its_calls():
    expected = {name: dql if isinstance(dql, tuple) else (dql,) for name, dql in DQL.items()}
    assert {q.name: query_statements(q) for q in QUERIES} == expected


def test_every_mongosh_call_is_json_that_reads_back_as_the_call():
    def shown(marker):  # an earlier result as the string its JavaScript reads
        return str(earlier_js(marker, query.results)) if isinstance(marker, Earlier) else marker

    for query in QUERIES:
        for step in query.calls:
            text = render_call(step, results=query.results)
            quoted = re.sub(r"(?<=: )(\w+(?:\.map\(d => d)?\.\w+\)?)(?=[,}])", lambda m: json.dumps(m[1]), text)
            match = MONGOSH.fullmatch(quoted)
            assert match, text
            call = substitute(step, shown)
            assert match["collection"] == call.collection
            args = json_values(match["args"])
            if match["method"] == "aggregate":
                assert isinstance(call, Aggregate) and args == [call.pipeline]
            elif match["method"] == "findOne":
                assert isinstance(call, FindOne) and args == [call.filter, call.projection]
            else:
                assert isinstance(call, Find) and args == [call.filter, call.projection or {}]
                assert (json.loads(match["sort"]) if match["sort"] else None) == call.sort
                assert int(match["limit"] or 0) == call.limit


def test_parameters_are_markers_bound_when_a_call_runs():
    call = next(q for q in QUERIES if q.name == "products_by_aisle").calls[0]
    assert params_in(call) == ["store_id", "aisle"]
    assert call.pipeline[0]["$match"]["store_id"] == ":store_id" and isinstance(PLACEHOLDERS.aisle, Param)
    bound = bind(call, Params(store_id="store_x", aisle="07"))
    assert bound.pipeline[0] == {"$match": {"store_id": "store_x", "location.aisle": "07", **LIVE}}
    assert params_in(bound) == [] and call.pipeline[0]["$match"]["store_id"] == ":store_id"
    assert render_call(call) == render_call(bind(call, PLACEHOLDERS))


def test_the_dql_core_drops_projections_and_joins_and_resolves_projected_sort_names():
    low_stock = next(q for q in QUERIES if q.name == "low_stock").calls[0]
    assert core(low_stock) == Find(
        collection="inventory",
        filter={"store_id": PLACEHOLDERS.store_id, **LIVE, **LOW_STOCK},
        sort={"stock_level": 1, "product_id": 1},
    )
    aisle = core(next(q for q in QUERIES if q.name == "products_by_aisle").calls[0])
    assert order_by(aisle) == [("location.shelf", 1), ("location.bin", 1), ("product_id", 1)]
    top = core(next(q for q in QUERIES if q.name == "top_products_30_days").calls[0])
    assert isinstance(top, Aggregate) and order_by(top) == [("revenue", -1), ("product_id", 1)]
    assert core(FindOne(collection="stores", filter={"store_id": "a"}, projection={"_id": 0})).projection is None
    sales = core(next(q for q in QUERIES if q.name == "sales_by_store_year").calls[0])
    assert isinstance(sales, Aggregate) and [next(iter(stage)) for stage in sales.pipeline] == [
        "$match",
        "$group",
        "$sort",
    ]
    assert sales.pipeline[-1] == {"$sort": {"revenue": -1, "_id": 1}}  # store_id was the $group key's name
    assert order_by(sales) == [("revenue", -1), ("store_id", 1)]


def test_translated_conditions_and_expressions():
    assert where("inventory", LOW_STOCK) == LOW_STOCK_DQL
    assert where("stores", {"store_id": "s"}) == "_id = 's'"  # the connector maps store_id to the Ditto _id
    assert where("inventory", {"store_id": "s"}) == "store_id = 's'"  # inventory's _id is an object
    assert where("orders", {"status": {"$in": ("a", "b")}, "total": {"$gte": 1.5, "$lt": 10}}) == (
        "status IN ['a', 'b'] AND total >= 1.5 AND total < 10"
    )
    assert where("orders", {"status": {"$in": Param("statuses")}}) == "status IN :statuses"
    assert literal("O'Brien") == "'O''Brien'" and literal(None) == "null" and literal(True) == "true"
    assert expression({"$subtract": ["$a", {"$subtract": ["$b", "$c"]}]}) == "a - (b - c)"
    assert expression({"$multiply": [{"$add": ["$a", 1]}, 2]}) == "(a + 1) * 2"
    assert expression({"$subtract": [{"$multiply": ["$a", 2]}, "$b"]}) == "a * 2 - b"


def test_shapes_without_a_translation_refuse_instead_of_guessing():
    refused = [
        FindOne(collection="orders", filter={"$or": [{"a": 1}, {"b": 2}]}),
        FindOne(collection="orders", filter={"name": {"$regex": "^a"}}),
        Aggregate(collection="orders", pipeline=[{"$group": {"_id": "$a", "top": {"$max": "$b"}}}]),
        Aggregate(collection="orders", pipeline=[{"$group": {"_id": {"a": "$a", "b": "$b"}, "n": {"$sum": 1}}}]),
        Aggregate(collection="orders", pipeline=[{"$group": {"_id": {"$concat": ["$a", "$b"]}}}], key_names=("a", "b")),
        Aggregate(collection="orders", pipeline=[{"$sort": {"a": 1}}, {"$match": {"a": 1}}]),
        Aggregate(collection="orders", pipeline=[{"$facet": {}}]),
    ]
    for call in refused:
        with pytest.raises(KitError, match="no DQL translation|name the parts"):
            to_dql(call)


def test_every_app_statement_is_one_dql_statement_per_execute_call() -> None:
    from zava.ditto.dql import SUBSCRIPTIONS, UPDATES

    statements = [s.dql for group in SUBSCRIPTIONS.values() for s in group]
    statements += [one for u in UPDATES.values() for one in u.statements]
    assert statements and not [s for s in statements if ";" in s]
    assert len(UPDATES["new_order"].statements) == 2
