"""The generated documents: deterministic, consistent, and as realistic as SPEC asks (no server needed)."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

import bson
import numpy as np
import pytest

from helpers import default_size_dataset, forget_default_size_dataset
from zava.catalog.loader import MONTHS, load_catalog
from zava.docs.data_model import SAMPLE_SPEC
from zava.generation.dataset import Dataset, DatasetSpec
from zava.model.collections import SYNCED_COLLECTIONS
from zava.model.ids import ID_FORMATS
from zava.model.reference import STORES, TAX_RATE
from zava.verify.shopping import Shopping

CATALOG = load_catalog()
START, END = datetime(2023, 11, 25, tzinfo=UTC), datetime(2026, 11, 25, tzinfo=UTC)
# the default sizes, three whole years: docs/DATA_MODEL.md's dataset (the realism checks below name its dates)
FULL_START, FULL_END = datetime(2023, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)
ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


def documents(spec: DatasetSpec) -> dict[str, list[dict]]:
    docs = defaultdict(list)
    for name, batch in Dataset(spec, CATALOG).batches():
        docs[name].extend(batch)
    return docs


@pytest.fixture(scope="module")
def small() -> dict[str, list[dict]]:
    return documents(DatasetSpec(2_000, 12_000, START, END, 7))


@pytest.fixture(scope="module")
def full() -> Iterator[dict[str, list]]:
    """The default-size dataset (the one docs/DATA_MODEL.md is rendered from, generated once for both), kept to the
    fields the realism checks read (helpers.DEFAULT_SIZE_FIELDS)."""
    assert DatasetSpec(25_000, 100_000, FULL_START, FULL_END, 42) == SAMPLE_SPEC
    yield default_size_dataset()[1]
    forget_default_size_dataset()


def cents(dollars: float) -> int:
    return round(dollars * 100)


def encoded(docs: dict[str, list[dict]]) -> list[bytes]:
    return [bson.encode(d) for name in sorted(docs) for d in docs[name]]


def test_same_seed_gives_byte_identical_documents(small):
    again = documents(DatasetSpec(2_000, 12_000, START, END, 7))
    assert encoded(again) == encoded(small)


def test_another_seed_gives_other_documents(small):
    other = documents(DatasetSpec(2_000, 12_000, START, END, 8))
    for name in ("customers", "inventory", "orders", "order_items"):  # the bytes differ (from the first that do)
        assert len(other[name]) != len(small[name]) or any(
            bson.encode(a) != bson.encode(b) for a, b in zip(other[name], small[name])
        ), name
    assert {d["_id"] for d in other["order_items"]}.isdisjoint({d["_id"] for d in small["order_items"]})


def test_counts_match_the_plan(small):
    expected = Dataset(DatasetSpec(2_000, 12_000, START, END, 7), CATALOG).expected_counts()
    assert {name: len(docs) for name, docs in small.items()} == expected
    assert expected["stores"] == 8 and expected["categories"] == 9 and expected["products"] == 424
    assert expected["inventory"] == 7 * 424 + 200
    assert 2.0 <= expected["order_items"] / expected["orders"] <= 2.2


def test_every_foreign_key_resolves(small):
    ids = {name: {d["_id"] for d in docs} for name, docs in small.items() if name != "inventory"}
    products = {d["product_id"]: d for d in small["products"]}
    types = {d["type_id"]: d for d in small["product_types"]}
    for t in small["product_types"]:
        assert t["category_id"] in ids["categories"]
    for p in small["products"]:
        assert p["type_id"] in ids["product_types"] and p["category_id"] == types[p["type_id"]]["category_id"]
    assert ids["product_embeddings"] == ids["products"]
    for c in small["customers"]:
        assert c["primary_store_id"] in ids["stores"]
    for i in small["inventory"]:
        assert i["_id"] == {"store_id": i["store_id"], "product_id": i["product_id"]}
        assert i["store_id"] in ids["stores"] and i["product_id"] in ids["products"]
    for o in small["orders"]:
        assert o["customer_id"] in ids["customers"] and o["store_id"] in ids["stores"]
    for item in small["order_items"]:
        product = products[item["product_id"]]
        assert item["order_id"] in ids["orders"]
        assert (item["sku"], item["product_name"]) == (product["sku"], product["product_name"])


def test_no_order_holds_a_product_twice(small):
    lines = Counter((i["order_id"], i["product_id"]) for i in small["order_items"])
    assert max(lines.values()) == 1


def test_customers_sign_up_before_their_first_order(small):
    signed_up = {c["customer_id"]: c["created_at"] for c in small["customers"]}
    assert all(signed_up[o["customer_id"]] <= o["order_date"] for o in small["orders"])
    assert all(c["created_at"] <= c["updated_at"] for c in small["customers"])


def test_denormalised_names_are_the_real_ones(small):
    customers = {c["customer_id"]: c for c in small["customers"]}
    stores = {s["store_id"]: s["store_name"] for s in small["stores"]}
    orders = {o["order_id"]: o for o in small["orders"]}
    for o in small["orders"]:
        customer = customers[o["customer_id"]]
        assert o["customer_name"] == f"{customer['first_name']} {customer['last_name']}"
        assert o["customer_email"] == customer["email"] and o["store_name"] == stores[o["store_id"]]
        assert o["created_at"] == o["order_date"]
    for item in small["order_items"]:
        assert item["store_id"] == orders[item["order_id"]]["store_id"]
        assert item["order_date"] == item["created_at"] == orders[item["order_id"]]["order_date"]


def test_field_names_follow_the_original_model(small):
    assert all(s["store_name"] and "name" not in s for s in small["stores"])
    assert all(p["product_description"] and "description" not in p for p in small["products"])
    money = ("subtotal", "discount_total", "tax", "total")
    assert all(all(isinstance(o[f], float) for f in money) for o in small["orders"])
    assert all(isinstance(i["discount_amount"], float) for i in small["order_items"])


def test_totals_agree_to_the_cent(small):
    items = defaultdict(list)
    for item in small["order_items"]:
        items[item["order_id"]].append(item)
    value = {s.store_id: s.order_value for s in STORES}
    price = {p["product_id"]: p["base_price"] for p in small["products"]}
    orders = {o["order_id"]: o for o in small["orders"]}
    rate = Fraction(str(TAX_RATE))
    discounted = 0
    for item in small["order_items"]:
        gross = cents(item["unit_price"]) * item["quantity"]
        assert cents(item["discount_amount"]) == round(Fraction(gross * item["discount_percent"], 100))
        assert cents(item["line_total"]) == gross - cents(item["discount_amount"])
        assert all(round(x, 2) == x for x in (item["unit_price"], item["discount_amount"], item["line_total"]))
        catalog_price = price[item["product_id"]] * value[orders[item["order_id"]]["store_id"]]
        assert abs(item["unit_price"] - catalog_price) <= 0.03 * catalog_price + 0.005  # +-3%, rounded to the cent
        discounted += item["discount_amount"] > 0
    assert 0.1 <= discounted / len(small["order_items"]) <= 0.2
    for o in small["orders"]:
        lines = items[o["order_id"]]
        assert o["item_count"] == len(lines) >= 1
        subtotal = sum(cents(i["unit_price"]) * i["quantity"] for i in lines)
        discount_total = sum(cents(i["discount_amount"]) for i in lines)
        assert cents(o["subtotal"]) == subtotal and cents(o["discount_total"]) == discount_total
        assert cents(o["tax"]) == round(rate * (subtotal - discount_total))
        assert cents(o["total"]) == subtotal - discount_total + cents(o["tax"])
        assert all(round(o[f], 2) == o[f] for f in ("subtotal", "discount_total", "tax", "total"))


def _arrays(value, path=""):
    if isinstance(value, list):
        yield path
    elif isinstance(value, dict):
        for key, inner in value.items():
            yield from _arrays(inner, f"{path}.{key}")


def test_synced_documents_hold_no_arrays_and_are_not_deleted(small):
    for name in SYNCED_COLLECTIONS:
        for doc in small[name]:
            assert not list(_arrays(doc)), (name, doc["_id"])
    for name, docs in small.items():
        assert all(d["deleted"] is False for d in docs), name


def test_id_and_timestamp_formats(small):
    for name, pattern in ID_FORMATS.items():
        assert all(re.fullmatch(pattern, d["_id"]) for d in small[name]), name
    assert all(re.fullmatch(r"order_\d{8}", o["_id"]) for o in small["orders"])  # generated history
    start, end = "2023-11-25T00:00:00Z", "2026-11-25T00:00:00Z"
    for name, docs in small.items():
        for doc in docs:
            for key in ("created_at", "updated_at", "order_date", "last_updated", "last_counted"):
                if key in doc:
                    assert ISO.fullmatch(doc[key]), (name, key, doc[key])
    assert all(start <= o["order_date"] < end for o in small["orders"])
    assert [o["order_date"] for o in small["orders"]] == sorted(o["order_date"] for o in small["orders"])
    assert all(re.fullmatch(r"\(\d{3}\) \d{3}-\d{4}", c["phone"]) for c in small["customers"])
    emails = [c["email"] for c in small["customers"]]
    assert len(set(emails)) == len(emails)


def test_online_store_sells_only_its_assortment(small):
    online = {i["product_id"] for i in small["inventory"] if i["store_id"] == "store_online"}
    online_orders = {o["order_id"] for o in small["orders"] if o["store_id"] == "store_online"}
    assert len(online) == 200 and online_orders
    assert {i["product_id"] for i in small["order_items"] if i["order_id"] in online_orders} <= online
    assert "address" not in next(s for s in small["stores"] if s["is_online"])["location"]


def test_stock_is_never_negative_and_some_runs_low(small):
    stock = [(i["stock_level"], i["reorder_threshold"]) for i in small["inventory"]]
    assert all(level >= 0 and threshold > 0 for level, threshold in stock)
    low = sum(level <= threshold for level, threshold in stock) / len(stock)
    assert 0.03 <= low <= 0.12


def test_monthly_category_revenue_tracks_seasonality(full):
    product_category = {p.product_id: p.category_id for p in CATALOG.products}
    month_of = {o[0]: int(o[3][5:7]) - 1 for o in full["orders"]}
    revenue = defaultdict(lambda: np.zeros(12))
    for order_id, product_id, _, _, line_total, _ in full["order_items"]:
        revenue[product_category[product_id]][month_of[order_id]] += line_total
    days = np.bincount(
        np.arange(FULL_START.date(), FULL_END.date(), dtype="datetime64[D]").astype("datetime64[M]").astype(int) % 12
    )
    checked = 0
    for category in CATALOG.categories:
        multipliers = np.array([category.seasonal_multipliers[m] for m in MONTHS])
        if multipliers.max() / multipliers.min() < 1.3:
            continue
        r = np.corrcoef(revenue[category.category_id] / days, multipliers)[0, 1]
        assert r >= 0.9, f"{category.category_name}: r = {r:.2f}"
        checked += 1
    assert checked >= 7


def test_customers_follow_store_weights(full):
    shares = Counter(c[1] for c in full["customers"])
    total_weight = sum(s.customer_weight for s in STORES)
    for store in STORES:
        assert abs(shares[store.store_id] / 25_000 - store.customer_weight / total_weight) <= 0.03, store.store_id


def test_orders_follow_store_frequency_and_primary_store(full):
    primary = {c[0]: c[1] for c in full["customers"]}
    orders = full["orders"]
    at_primary = sum(primary[o[1]] == o[2] for o in orders) / len(orders)
    assert 0.80 <= at_primary <= 0.95
    volume = Counter(o[2] for o in orders)
    expected = {s.store_id: s.customer_weight * s.order_frequency for s in STORES}
    for store_id, weight in expected.items():
        assert abs(volume[store_id] / len(orders) - weight / sum(expected.values())) <= 0.01, store_id


def test_year_over_year_growth_follows_year_weights(full):
    per_year = Counter(o[3][:4] for o in full["orders"])
    assert per_year["2025"] / per_year["2024"] == pytest.approx(1.392 / 1.265, rel=0.04)


def test_items_quantities_discounts_and_statuses(full):
    lines = Counter(o[4] for o in full["orders"])
    assert (lines[1] + lines[2]) / 100_000 >= 0.65 and lines[1] > lines[2] > lines[3]
    items = full["order_items"]
    assert sum(i[2] == 1 for i in items) / len(items) >= 0.55  # pros buy some types by the dozen (see below)
    discounted = [i[3] for i in items if i[3]]
    assert 0.13 <= len(discounted) / len(items) <= 0.17 and set(discounted) <= {5, 10, 15, 20, 25}
    old = Counter(o[6] for o in full["orders"] if o[3] < "2025-12-01")
    assert set(old) <= {"completed", "cancelled", "refunded"} and old["completed"] / sum(old.values()) > 0.9
    recent = Counter(o[6] for o in full["orders"] if o[3] >= "2025-12-30")
    assert recent["pending"] > 0 and recent["shipped"] > 0


def _local(iso: str) -> datetime:
    return datetime.fromisoformat(iso).astimezone(ZoneInfo("America/Los_Angeles"))


def test_orders_follow_the_week_and_the_day_in_pacific_time(full):
    online = {s.store_id for s in STORES if s.is_online}
    weekday = {kind: np.zeros(7) for kind in ("physical", "online")}
    hour = {kind: np.zeros(24) for kind in ("physical", "online")}
    for order in full["orders"]:
        moment = _local(order[3])
        kind = "online" if order[2] in online else "physical"
        weekday[kind][moment.weekday()] += 1
        hour[kind][moment.hour] += 1
    stores = weekday["physical"]
    assert stores[5] >= 1.3 * stores[:4].mean() and stores[5] > stores[6] > stores[:5].max()
    assert 10 <= hour["physical"].argmax() < 14 and hour["physical"][19] < hour["physical"].max()
    assert hour["physical"][:7].sum() == hour["physical"][20:].sum() == 0  # open 7:00-20:00, local time
    assert 18 <= hour["online"].argmax() < 22 and hour["online"].min() > 0  # around the clock
    assert weekday["online"].max() / weekday["online"].min() < 1.3 and weekday["online"].argmax() == 0


def test_holidays_lift_their_categories(full):
    category = {p.product_id: p.category_id for p in CATALOG.products}
    revenue: defaultdict = defaultdict(float)
    for _, product_id, _, _, line_total, order_date in full["order_items"]:
        revenue[_local(order_date).date(), category[product_id]] += line_total

    def around(days: list, weeks: tuple[int, ...], cat: str) -> tuple[float, float]:
        on = sum(revenue[d, cat] for d in days)
        return on, sum(revenue[d + timedelta(weeks=w), cat] for d in days for w in weeks) / len(weeks)

    memorial = [_last_monday_of_may(y) for y in (2023, 2024, 2025)]
    weekends = [m - timedelta(days=k) for m in memorial for k in (2, 1, 0)]
    on, usual = around(weekends, (-1, 1), "cat_garden_outdoor")
    assert on >= 1.3 * usual
    fridays = [_thanksgiving(y) + timedelta(days=1) for y in (2023, 2024, 2025)]
    on, usual = around(fridays, (-1,), "cat_power_tools")
    assert on >= 1.5 * usual


def _last_monday_of_may(year: int) -> date:
    return max(date(year, 5, d) for d in range(25, 32) if date(year, 5, d).weekday() == 0)


def _thanksgiving(year: int) -> date:
    return [date(year, 11, d) for d in range(1, 31) if date(year, 11, d).weekday() == 3][3]


TYPE_OF = {p.product_id: p.type_id for p in CATALOG.products}
CATEGORY_OF = {p.product_id: p.category_id for p in CATALOG.products}


def _shopping(customers: list[dict], orders: list[dict], items: list[dict]) -> Shopping:
    """The data report's shopping figures of these documents."""
    shopping = Shopping(TYPE_OF, CATEGORY_OF, {s.store_id for s in STORES if s.is_online})
    for customer in customers:
        shopping.add_customer(customer)
    lines = defaultdict(list)
    for item in items:
        lines[item["order_id"]].append(item)
    for order in orders:
        shopping.add_order(order, lines[order["order_id"]])
    return shopping


def _full_shopping(full: dict[str, list]) -> Shopping:
    return _shopping(
        [{"_id": c[0], "segment": c[2]} for c in full["customers"]],
        [
            {"order_id": o[0], "customer_id": o[1], "store_id": o[2], "order_date": o[3], "status": o[6], "total": o[7]}
            for o in full["orders"]
        ],
        [{"order_id": i[0], "product_id": i[1]} for i in full["order_items"]],
    )


@pytest.mark.slow  # a pass of the report's shopping figures over the default-size dataset
def test_shoppers_meet_their_targets(full):
    shopping = _full_shopping(full)
    measures = shopping.measures()
    assert measures.unmet() == []
    assert measures.most_orders > 5 * measures.orders_per_buyer  # a heavy tail, not a Poisson draw
    pairs = {(a, b): lift for a, b, _, lift in shopping.top_pairs()}
    assert pairs[("type_brushes_rollers", "type_interior_paint")] >= 3
    assert (
        pairs[("type_pipes_fittings", "type_valves")] >= 2 and pairs[("type_switches_outlets", "type_wire_cable")] >= 2
    )


def test_pros_run_companies_buy_weekday_mornings_and_by_the_dozen(full):
    segment = {c[0]: c[2] for c in full["customers"]}
    assert set(segment.values()) == {"pro", "diy"}
    assert all(bool(c[3]) == (c[2] == "pro") for c in full["customers"])  # a company name for each pro only
    physical = {s.store_id for s in STORES if not s.is_online}
    morning, other = Counter(), Counter()
    for _, customer, store, when, *_ in full["orders"]:
        if store in physical:
            moment = _local(when)
            (morning if moment.weekday() < 5 and moment.hour < 11 else other)[segment[customer]] += 1
    pro_share = {name: n["pro"] / (n["pro"] + n["diy"]) for name, n in (("morning", morning), ("other", other))}
    assert pro_share["morning"] >= 1.5 * pro_share["other"]
    who = {o[0]: segment[o[1]] for o in full["orders"]}
    bulk = {"type_dimensional_lumber", "type_drywall", "type_fasteners", "type_pipes_fittings"}
    quantity = defaultdict(list)
    for order_id, product_id, units, *_ in full["order_items"]:
        quantity[who[order_id], TYPE_OF[product_id] in bulk].append(units)
    assert np.mean(quantity["pro", True]) >= 2 * np.mean(quantity["diy", True])
    assert np.mean([q == 1 for q in quantity["diy", True] + quantity["diy", False]]) >= 0.6


@pytest.mark.slow
def test_another_seed_and_window_meet_the_targets():
    """Seed 7 over 2020-2023 (four whole years), default sizes: the shopping targets and the seasonality."""
    spec = DatasetSpec(25_000, 100_000, datetime(2020, 1, 1, tzinfo=UTC), datetime(2024, 1, 1, tzinfo=UTC), 7)
    docs = {"customers": [], "orders": [], "order_items": []}
    for name, batch in Dataset(spec, CATALOG).batches():
        if name in docs:
            docs[name] += batch
    assert _shopping(docs["customers"], docs["orders"], docs["order_items"]).measures().unmet() == []
    revenue = defaultdict(lambda: np.zeros(12))
    for item in docs["order_items"]:
        revenue[CATEGORY_OF[item["product_id"]]][int(item["order_date"][5:7]) - 1] += item["line_total"]
    for category in CATALOG.categories:
        multipliers = [category.seasonal_multipliers[m] for m in MONTHS]
        assert np.corrcoef(revenue[category.category_id], multipliers)[0, 1] >= 0.9, category.category_id
