"""Every sample query and search, answered by the server and recomputed in Python from the raw documents."""

from __future__ import annotations

import json
import re
from collections import defaultdict

import numpy as np
import pytest
from pymongo import MongoClient

import create_indexes
import generate_mongodb_data
import sample_queries
import search_products
from common import PROJECT_ROOT, KitError
from search_queries import QUERIES as SEARCH_SET
from zava.ditto.translate import core, expression, literal, order_by, query_dql, to_dql, where
from zava.model.catalog import MONTHS
from zava.model.rules import LIVE, LOW_STOCK, LOW_STOCK_DQL
from zava.mongo.server import server_info
from zava.reads.queries import (
    PLACEHOLDERS,
    QUERIES,
    Aggregate,
    Find,
    FindOne,
    Param,
    Params,
    bind,
    example_params,
    params_in,
    placeholder_call,
    render_call,
    run_query,
)
from zava.reads.search import exact_cosine, query_embedder, vector_search

SIZE = ["--customers", "400", "--orders", "4000", "--start-date", "2024-01-01", "--end-date", "2025-07-01"]


@pytest.fixture(scope="module")
def world(mongo_uri, tmp_path_factory):
    """A loaded, indexed dataset and every raw document of it, shared by this module's tests."""
    env = tmp_path_factory.mktemp("env") / "test.env"
    env.write_text(f"MONGODB_CONNECTION_STRING={mongo_uri}\nMONGODB_DATABASE=zava_queries\n")
    settings = ["--env-file", str(env)]
    with MongoClient(mongo_uri, serverSelectionTimeoutMS=5000) as client:
        client.drop_database("zava_queries")
        assert generate_mongodb_data.main([*settings, *SIZE, "--quiet", "--yes"]) == 0
        assert create_indexes.main([*settings, "--quiet"]) == 0
        db = client.zava_queries
        raw = {name: list(db[name].find()) for name in db.list_collection_names()}
        yield {
            "db": db,
            "raw": raw,
            "params": example_params(db),
            "settings": settings,
            "local": server_info(client).is_local,
        }
        client.drop_database("zava_queries")


def answer(world, name):
    return run_query(world["db"], next(q for q in QUERIES if q.name == name), world["params"])


def strip(doc, *drop):
    return {k: v for k, v in doc.items() if k not in ("_id", *drop)}


def test_lookups_by_id_sku_and_email(world):
    raw, p = world["raw"], world["params"]
    assert answer(world, "store_by_id") == strip(next(s for s in raw["stores"] if s["store_id"] == p.store_id))
    assert answer(world, "product_by_sku") == strip(next(x for x in raw["products"] if x["sku"] == p.sku))
    assert answer(world, "customer_by_email") == strip(next(c for c in raw["customers"] if c["email"] == p.email))


def test_store_inventory(world):
    raw, p = world["raw"], world["params"]
    rows = sorted((i for i in raw["inventory"] if i["store_id"] == p.store_id), key=lambda i: i["product_id"])[:20]
    fields = ("product_id", "stock_level", "reorder_threshold", "location")
    assert answer(world, "store_inventory") == [{f: i[f] for f in fields} for i in rows]


def test_low_stock_and_aisle_carry_real_names(world):
    raw, p = world["raw"], world["params"]
    products = {x["product_id"]: x for x in raw["products"]}
    store_name = next(s["name"] for s in raw["stores"] if s["store_id"] == p.store_id)
    low = [i for i in raw["inventory"] if i["store_id"] == p.store_id and i["stock_level"] <= i["reorder_threshold"]]
    expected = [
        {
            "product_id": i["product_id"],
            "sku": products[i["product_id"]]["sku"],
            "product_name": products[i["product_id"]]["product_name"],
            "store_name": store_name,
            "stock_level": i["stock_level"],
            "reorder_threshold": i["reorder_threshold"],
            "aisle": i["location"]["aisle"],
        }
        for i in sorted(low, key=lambda i: (i["stock_level"], i["product_id"]))
    ]
    assert low and answer(world, "low_stock") == expected
    aisle = [i for i in raw["inventory"] if i["store_id"] == p.store_id and i["location"]["aisle"] == p.aisle]
    aisle.sort(key=lambda i: (i["location"]["shelf"], i["location"]["bin"], i["product_id"]))
    assert aisle and answer(world, "products_by_aisle") == [
        {
            "product_id": i["product_id"],
            "product_name": products[i["product_id"]]["product_name"],
            "shelf": i["location"]["shelf"],
            "bin": i["location"]["bin"],
            "stock_level": i["stock_level"],
        }
        for i in aisle
    ]


def test_order_with_items_and_customer_history(world):
    raw, p = world["raw"], world["params"]
    got = answer(world, "order_with_items")
    order = next(o for o in raw["orders"] if o["order_id"] == p.order_id)
    items = sorted((i for i in raw["order_items"] if i["order_id"] == p.order_id), key=lambda i: (i["sku"], i["_id"]))
    assert got["order"] == strip(order)
    assert [i["_id"] for i in got["items"]] == [i["_id"] for i in items] and len(items) == order["item_count"]
    assert got["customer"]["customer_id"] == order["customer_id"]
    history = answer(world, "customer_history")
    mine = sorted(
        (o for o in raw["orders"] if o["customer_id"] == p.customer_id),
        key=lambda o: (o["order_date"], o["order_id"]),
        reverse=True,
    )[:5]
    assert [h["order_id"] for h in history] == [o["order_id"] for o in mine]
    for h, o in zip(history, mine):
        assert len(h["items"]) == o["item_count"]
        assert round(sum(i["line_total"] for i in h["items"]), 2) == o["subtotal"]


def test_top_products_in_the_last_30_days(world):
    raw, p = world["raw"], world["params"]
    revenue, units = defaultdict(float), defaultdict(int)
    for i in raw["order_items"]:
        if i["order_date"] >= p.since:
            revenue[i["product_id"]] += i["line_total"]
            units[i["product_id"]] += i["quantity"]
    top = sorted(revenue, key=lambda pid: (-round(revenue[pid], 2), pid))[:10]
    got = answer(world, "top_products_30_days")
    assert [g["product_id"] for g in got] == top
    assert [g["revenue"] for g in got] == [round(revenue[pid], 2) for pid in top]
    assert [g["units"] for g in got] == [units[pid] for pid in top]


def test_revenue_by_store_and_month(world):
    expected = defaultdict(lambda: defaultdict(float))
    for o in world["raw"]["orders"]:
        if o["status"] in ("pending", "shipped", "completed"):
            expected[o["store_id"]][o["order_date"][:7]] += o["total"]
    got = answer(world, "revenue_by_store_month")
    assert set(got) == set(expected) and len(got) == 8
    for store, months in expected.items():
        assert got[store] == {m: round(v, 2) for m, v in months.items()}, store


def test_category_revenue_by_month_tracks_multipliers(world):
    raw = world["raw"]
    category = {x["product_id"]: x["category_id"] for x in raw["products"]}
    expected = defaultdict(lambda: dict.fromkeys(MONTHS, 0.0))
    for i in raw["order_items"]:
        expected[category[i["product_id"]]][MONTHS[int(i["order_date"][5:7]) - 1]] += i["line_total"]
    got = answer(world, "category_month_revenue")
    assert set(got) == {c["category_id"] for c in raw["categories"]}
    for cat, months in expected.items():
        assert got[cat]["revenue"] == pytest.approx({m: round(v, 2) for m, v in months.items()}, abs=0.011), cat
    garden = got["cat_garden_outdoor"]
    revenue = np.array([garden["revenue"][m] for m in MONTHS])
    assert np.corrcoef(revenue, [garden["multipliers"][m] for m in MONTHS])[0, 1] > 0.6


def test_reorder_report(world):
    lines, units = defaultdict(int), defaultdict(int)
    for i in world["raw"]["inventory"]:
        if i["stock_level"] <= i["reorder_threshold"]:
            lines[i["store_id"]] += 1
            units[i["store_id"]] += 3 * i["reorder_threshold"] - i["stock_level"]
    assert answer(world, "reorder_report") == [
        {"_id": store, "lines": lines[store], "units_to_order": units[store]} for store in sorted(lines)
    ]


def test_vector_search_equals_the_numpy_reference(world):
    db = world["db"]
    embedder = query_embedder(db, {})
    rows = world["raw"]["product_embeddings"]
    matrix = np.array([r["description_embedding"] for r in rows])
    ids = [r["product_id"] for r in rows]
    for query in ("cordless drill", "something to water the garden", "paint for a kitchen"):
        vector = embedder.embed([query])[0]
        scores = matrix @ vector / (np.linalg.norm(matrix, axis=1) * np.linalg.norm(vector))
        reference = [ids[i] for i in sorted(range(len(ids)), key=lambda i: (-scores[i], ids[i]))[:5]]
        assert [h.product_id for h in exact_cosine(db, vector, 5)] == reference


def test_local_embedder_finds_what_shoppers_ask_for(world):
    db = world["db"]
    embedder = query_embedder(db, {})
    sku = {x["product_id"]: x["sku"] for x in world["raw"]["products"]}
    hits = 0
    for query, wanted in SEARCH_SET.items():
        found, _ = vector_search(db, server_info(db.client), embedder, query, 5)
        hits += bool({sku[h.product_id] for h in found} & wanted)
    assert len(SEARCH_SET) >= 30
    assert hits / len(SEARCH_SET) >= 0.8, f"top-5 hit rate {hits / len(SEARCH_SET):.2f}"


def test_text_search_and_what_the_local_server_gets_wrong(world, capsys):
    assert search_products.main([*world["settings"], "tile saw", "--mode", "text"]) == 0
    out, err = capsys.readouterr()
    skus = re.findall(r"\b[A-Z]{3}-[A-Z]+-\d{3}\b", out)
    assert "PWR-SAW-014" in skus[:1]
    if world["local"]:
        assert "matches only products containing every word" in err
    else:  # MongoDB matches any of the words: every saw and everything tile
        assert len(skus) == 5


def test_search_modes_print_ranked_products(world, capsys):
    for mode in ("vector", "hybrid"):
        assert search_products.main([*world["settings"], "pressure treated fence post", "--mode", mode]) == 0
        out, err = capsys.readouterr()
        assert len(out.splitlines()) == 2 + 5
        if world["local"]:
            assert "exact cosine over 424 embeddings with numpy" in err
    assert "hybrid: vector and text ranks fused" in err


def test_sample_queries_script_runs_everything(world, capsys):
    assert sample_queries.main(world["settings"]) == 0
    out, _ = capsys.readouterr()
    table = out.split("query   ")[-1]
    for query in QUERIES:
        assert f"\n{query.name} " in table
    assert "product_search_vector" in table and "product_search_text" in table
    assert sample_queries.main([*world["settings"], "--only", "nope"]) == 2


def test_sample_queries_md_is_the_rendered_definition(capsys):
    assert sample_queries.main(["--markdown"]) == 0
    assert capsys.readouterr().out == (PROJECT_ROOT / "SAMPLE_QUERIES.md").read_text()


# ---------------------------------------------------------------- the typed calls, their mongosh and their DQL

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
    "order_with_items": "SELECT * FROM orders WHERE _id = :order_id;\n"
    "SELECT * FROM order_items WHERE order_id = :order_id ORDER BY sku, _id",
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
}

MONGOSH = re.compile(
    r'db\.getCollection\((?P<collection>"[^"]+")\)\.(?P<method>findOne|find|aggregate)\((?P<args>.*?)\)'
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
    assert {q.name: query_dql(q) for q in QUERIES} == DQL


def test_every_mongosh_call_is_json_that_reads_back_as_the_call():
    for query in QUERIES:
        for step in query.calls:
            text = render_call(step)
            match = MONGOSH.fullmatch(text)
            assert match, text
            call = placeholder_call(step)
            assert json.loads(match["collection"]) == call.collection
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
        Aggregate(collection="orders", pipeline=[{"$group": {"_id": "$a", "avg": {"$avg": "$b"}}}]),
        Aggregate(collection="orders", pipeline=[{"$group": {"_id": {"a": "$a", "b": "$b"}, "n": {"$sum": 1}}}]),
        Aggregate(collection="orders", pipeline=[{"$group": {"_id": {"$concat": ["$a", "$b"]}}}], key_names=("a", "b")),
        Aggregate(collection="orders", pipeline=[{"$sort": {"a": 1}}, {"$match": {"a": 1}}]),
        Aggregate(collection="orders", pipeline=[{"$facet": {}}]),
    ]
    for call in refused:
        with pytest.raises(KitError, match="no DQL translation|name the parts"):
            to_dql(call)
