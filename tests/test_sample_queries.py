"""The sample queries: every answer recomputed from the raw documents; the script and SAMPLE_QUERIES.md."""

from __future__ import annotations

import json
import re
from collections import defaultdict

import numpy as np
import pytest

import sample_queries
from common import PROJECT_ROOT, read_settings
from helpers import printed_table
from zava.catalog.loader import MONTHS
from zava.model.rules import REVENUE_STATUSES
from zava.mongo.server import server_info
from zava.reads.queries import QUERIES, SEARCH_QUERIES, run_query
from zava.reads.search import sample_search


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
    store_name = next(s["store_name"] for s in raw["stores"] if s["store_id"] == p.store_id)
    low = [i for i in raw["inventory"] if i["store_id"] == p.store_id and i["stock_level"] <= i["reorder_threshold"]]
    expected = [
        {
            "product_id": i["product_id"],
            "store_name": store_name,
            "product_name": products[i["product_id"]]["product_name"],
            "sku": products[i["product_id"]]["sku"],
            "stock_level": i["stock_level"],
            "reorder_threshold": i["reorder_threshold"],
            "location": i["location"],
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
        assert round(sum(i["line_total"] for i in h["items"]), 2) == round(o["subtotal"] - o["discount_total"], 2)


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


CATALOG = ("product_id", "sku", "product_name", "category_id", "base_price")


def test_products_by_category_and_price_range(world):
    raw, p = world["raw"], world["params"]
    live = [x for x in raw["products"] if x["deleted"] is False]
    in_category = sorted(
        (x for x in live if x["category_id"] == p.category_id), key=lambda x: (x["product_name"], x["sku"])
    )
    assert in_category and answer(world, "products_by_category") == [{f: x[f] for f in CATALOG} for x in in_category]
    priced = [x for x in live if p.min_price <= x["base_price"] <= p.max_price]
    priced.sort(key=lambda x: (x["base_price"], x["sku"]))
    assert priced and answer(world, "products_by_price") == [{f: x[f] for f in CATALOG} for x in priced]
    assert (p.category_id, p.min_price, p.max_price) == ("cat_power_tools", 50, 150)


def test_sales_by_store_over_the_last_year(world):
    raw, p = world["raw"], world["params"]
    names = {s["store_id"]: s["store_name"] for s in raw["stores"]}
    totals = defaultdict(list)
    for o in raw["orders"]:
        if o["order_date"] >= p.year_since and o["status"] in REVENUE_STATUSES and o["deleted"] is False:
            totals[o["store_id"]].append(o["total"])
    got = answer(world, "sales_by_store_year")
    assert len(got) == len(totals) == 8 and p.year_since[:4] == "2024"
    assert [g["revenue"] for g in got] == sorted((g["revenue"] for g in got), reverse=True)
    for row in got:
        mine = totals[row["store_id"]]
        assert row["store_name"] == names[row["store_id"]] and row["orders"] == len(mine)
        assert row["revenue"] == pytest.approx(sum(mine), abs=0.006)
        assert row["avg_order_value"] == pytest.approx(sum(mine) / len(mine), abs=0.006)


def test_monthly_sales_trend(world):
    raw, p = world["raw"], world["params"]
    orders, revenue = defaultdict(int), defaultdict(float)
    for o in raw["orders"]:
        if o["order_date"] >= p.trend_since and o["status"] in REVENUE_STATUSES and o["deleted"] is False:
            orders[o["order_date"][:7]] += 1
            revenue[o["order_date"][:7]] += o["total"]
    assert p.trend_since.endswith("-01T00:00:00Z") and len(orders) == 13  # twelve whole months and the last one
    assert answer(world, "monthly_sales") == [
        {"month": m, "orders": orders[m], "revenue": round(revenue[m], 2)} for m in sorted(orders)
    ]


def test_bought_together(world):
    raw, p = world["raw"], world["params"]
    product = next(x for x in raw["products"] if x["sku"] == p.sku)
    live_items = [i for i in raw["order_items"] if i["deleted"] is False]
    its_orders = {i["order_id"] for i in live_items if i["product_id"] == product["product_id"]}
    together = defaultdict(set)
    for i in live_items:
        if i["order_id"] in its_orders and i["product_id"] != product["product_id"]:
            together[i["product_id"]].add(i["order_id"])
    top = sorted(together, key=lambda pid: (-len(together[pid]), pid))[:10]
    products = {x["product_id"]: x for x in raw["products"]}
    got = answer(world, "bought_together")
    assert got["product"] == {f: product[f] for f in ("product_id", "sku", "product_name")}
    assert got["orders"] == len(its_orders)
    assert got["bought_with"] == [
        {
            "product_id": pid,
            "sku": products[pid]["sku"],
            "product_name": products[pid]["product_name"],
            "orders": len(together[pid]),
            "share": round(len(together[pid]) / len(its_orders), 3),
        }
        for pid in top
    ]
    assert len(top) == 10 and got["bought_with"][0]["orders"] > 1


def test_store_top_customers_over_the_last_year(world):
    raw, p = world["raw"], world["params"]
    orders, revenue = defaultdict(int), defaultdict(float)
    for o in raw["orders"]:
        if (
            o["store_id"] == p.store_id
            and o["order_date"] >= p.year_since
            and o["status"] in REVENUE_STATUSES
            and o["deleted"] is False
        ):
            orders[o["customer_id"]] += 1
            revenue[o["customer_id"]] += o["total"]
    top = sorted(revenue, key=lambda c: (-round(revenue[c], 2), c))[:10]
    customers = {c["customer_id"]: c for c in raw["customers"]}
    assert answer(world, "store_top_customers") == [
        {
            "customer_id": c,
            "name": f"{customers[c]['first_name']} {customers[c]['last_name']}",
            "company_name": customers[c].get("company_name"),
            "orders": orders[c],
            "revenue": round(revenue[c], 2),
        }
        for c in top
    ]
    assert len(top) == 10 and orders[top[0]] > 1


def test_revenue_by_segment(world):
    raw = world["raw"]
    segment = {c["customer_id"]: c["segment"] for c in raw["customers"]}
    assert set(segment.values()) == {"pro", "diy"}
    buyers, orders, revenue = defaultdict(set), defaultdict(int), defaultdict(float)
    for o in raw["orders"]:
        if o["status"] in REVENUE_STATUSES and o["deleted"] is False:
            mine = segment[o["customer_id"]]
            buyers[mine].add(o["customer_id"])
            orders[mine] += 1
            revenue[mine] += o["total"]
    got = {row.pop("segment"): row for row in answer(world, "revenue_by_segment")}
    assert set(got) == {"pro", "diy"}
    for name, row in got.items():
        assert row["buyers"] == len(buyers[name]) > 0 and row["orders"] == orders[name] > 0
        assert row["revenue"] == round(revenue[name], 2)
        assert row["revenue_share"] == round(revenue[name] / sum(revenue.values()), 3)
    assert got["pro"]["buyers"] < got["diy"]["buyers"]  # few pros, with a fair share of the revenue


def test_customer_categories(world):
    raw, p = world["raw"], world["params"]
    theirs = {
        o["order_id"]
        for o in raw["orders"]
        if o["customer_id"] == p.customer_id and o["status"] in REVENUE_STATUSES and o["deleted"] is False
    }
    category = {x["product_id"]: x["category_id"] for x in raw["products"]}
    names = {c["category_id"]: c["category_name"] for c in raw["categories"]}
    lines, revenue = defaultdict(int), defaultdict(float)
    for i in raw["order_items"]:
        if i["order_id"] in theirs and i["deleted"] is False:
            lines[category[i["product_id"]]] += 1
            revenue[category[i["product_id"]]] += i["line_total"]
    ranked = sorted(lines, key=lambda c: (-lines[c], -round(revenue[c], 2), c))
    got = answer(world, "customer_categories")
    assert got == [
        {"category_id": c, "category_name": names[c], "lines": lines[c], "revenue": round(revenue[c], 2)}
        for c in ranked
    ]
    assert got and sum(row["lines"] for row in got) > len(theirs) > 1


def test_store_pro_accounts(world):
    raw, p = world["raw"], world["params"]
    pros = [
        c
        for c in raw["customers"]
        if c["primary_store_id"] == p.store_id and c["segment"] == "pro" and c["deleted"] is False
    ]
    last, orders, revenue = {}, defaultdict(int), defaultdict(float)
    for o in raw["orders"]:
        if o["deleted"] is not False:
            continue
        last[o["customer_id"]] = max(last.get(o["customer_id"], ""), o["order_date"])
        if o["order_date"] >= p.year_since and o["status"] in REVENUE_STATUSES:
            orders[o["customer_id"]] += 1
            revenue[o["customer_id"]] += o["total"]
    expected = [
        {
            "customer_id": c["customer_id"],
            "company_name": c["company_name"],
            "name": f"{c['first_name']} {c['last_name']}",
            "last_order_date": last.get(c["customer_id"]),
            "orders": orders[c["customer_id"]],
            "revenue": round(revenue[c["customer_id"]], 2),
        }
        for c in pros
    ]
    expected.sort(key=lambda row: (-row["revenue"], row["customer_id"]))
    assert answer(world, "store_pro_accounts") == expected
    assert expected and all(row["company_name"] for row in expected) and expected[0]["orders"] > 1


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


def _printed_answer(out: str, name: str):
    """What `--only NAME --json` printed as the answer: the JSON between its heading and the timing table."""
    heading, _, rest = out.partition("\n")
    assert re.fullmatch(rf"{name} \(\d+ ms\)", heading), heading
    printed, end = json.JSONDecoder().raw_decode(rest)
    assert list(printed_table(rest[end:], "query", "ms")) == [name]
    return printed


@pytest.mark.parametrize("name", [q.name for q in QUERIES] + list(SEARCH_QUERIES))
def test_only_one_query_as_json_prints_exactly_its_answer(world, capsys, name):
    assert sample_queries.main([*world["settings"], "--only", name, "--json"]) == 0
    printed = _printed_answer(capsys.readouterr().out, name)
    if name in SEARCH_QUERIES:
        values = read_settings(world["settings"][1])
        expected = sample_search(name, world["db"], server_info(world["db"].client), values, world["params"].search)[0]
    else:
        expected = answer(world, name)  # each checked against the raw documents above
    assert printed == json.loads(json.dumps(expected, default=str)) and printed


def test_only_an_unknown_query_lists_the_valid_ones(world, capsys):
    assert sample_queries.main([*world["settings"], "--only", "nope", "--json"]) == 2
    out, err = capsys.readouterr()
    names = ", ".join([q.name for q in QUERIES] + list(SEARCH_QUERIES))
    assert out == "" and err.strip() == f"error: --only nope: no such query; choose from {names}"
