"""The data report passes on generated data and names the document behind each injected fault."""

from __future__ import annotations

import io
import re
import uuid
from contextlib import redirect_stderr, redirect_stdout
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

import data_report
import simulate_activity
import zava.verify.data_report as report_module
from common import KitError
from helpers import number, printed_table
from zava.model.reference import STORES


@pytest.fixture
def reportable(shared_loaded):
    """300 customers and 1,500 orders, NUM_CUSTOMERS and NUM_ORDERS to match, so data_report.py expects exactly
    what is there: the session's shared dataset, whose every changed document is put back after each test."""
    return shared_loaded


@pytest.fixture(scope="module")
def clean_report(shared_dataset, mongo_uri, tmp_path_factory):
    """data_report.py run once over the untouched shared dataset, for the tests that only read what it printed:
    (exit code, stdout, stderr)."""
    env = tmp_path_factory.mktemp("report") / "test.env"
    env.write_text(
        f"MONGODB_CONNECTION_STRING={mongo_uri}\nMONGODB_DATABASE={shared_dataset[0].name}\n"
        "NUM_CUSTOMERS=300\nNUM_ORDERS=1500\n"  # what the shared dataset holds
    )
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = data_report.main(["--env-file", str(env)])
    return code, out.getvalue(), err.getvalue()


def test_fresh_dataset_passes_every_rule(clean_report):
    code, out, err = clean_report
    assert code == 0
    assert "passes every rule" in err
    rules = printed_table(out, "rule", "checked", "broken")
    assert set(rules) == {
        "foreign keys resolve",
        "order totals match their items",
        "line amounts match price, quantity and discount",
        "no arrays in synced documents",
        "stock never negative",
        "ID formats",
    }
    for rule, (checked, broken) in rules.items():
        assert number(checked) > 0 and broken == "0", rule
    assert "Garden & Outdoor" in out and "orders at the customer's primary store" in out


def test_the_week_and_the_day_are_reported_from_the_orders(clean_report, shared_dataset):
    code, out, _ = clean_report
    assert code == 0
    pacific = ZoneInfo("America/Los_Angeles")
    online = {s.store_id for s in STORES if s.is_online}
    weekday, hour = np.zeros(7), {True: np.zeros(24), False: np.zeros(24)}
    for order in shared_dataset[0].orders.find({}, {"order_date": 1, "store_id": 1}):
        moment = datetime.fromisoformat(order["order_date"]).astimezone(pacific)
        hour[order["store_id"] in online][moment.hour] += 1
        if order["store_id"] not in online:
            weekday[moment.weekday()] += 1
    saturday = re.search(r"physical stores: Saturday / Monday-Thursday +([\d.]+)", out)
    assert float(saturday[1]) == pytest.approx(weekday[5] / weekday[:4].mean(), abs=0.005)
    for online_store, label in ((False, "physical"), (True, "online")):
        busiest = re.search(rf"{label}: busiest local hour +(\d\d):00", out)
        assert int(busiest[1]) == hour[online_store].argmax()
    physical_row = re.search(r"^physical +([\d. ]+)$", out, flags=re.M)[1].split()
    assert [float(v) for v in physical_row] == pytest.approx((weekday / weekday.mean()).tolist(), abs=0.005)


def test_report_still_passes_after_simulated_activity(reportable, settings, capsys):
    assert simulate_activity.main([*settings, "--rate", "25", "--duration", "2", "--seed", "3", "--quiet"]) == 0
    placed = number(printed_table(capsys.readouterr().out, "event", "count")["order"][0])
    assert placed > 5 and reportable.orders.count_documents({"order_id": {"$regex": "^order_[0-9a-f]{32}$"}}) == placed
    assert data_report.main(settings) == 0
    counts = printed_table(capsys.readouterr().out, "collection", "documents", "expected")
    assert number(counts["orders (added live)"][0]) == placed
    assert counts["orders (generated)"] == ["1,500", "1,500"]
    assert number(counts["order_items"][0]) == reportable.order_items.count_documents({})


def test_the_connectors_metadata_is_not_a_broken_document(reportable, settings, capsys):
    """Five documents in each of five synced collections carry `_mdb` as in Ditto's connector guide (its `ct` an
    array): every rule still passes, and the report counts them as the connector's."""
    for name in ("stores", "customers", "inventory", "orders", "order_items"):
        for doc in reportable[name].find({}, {"_id": 1, "store_id": 1, "product_id": 1}).sort("_id", 1).limit(5):
            where = {k: doc[k] for k in ("store_id", "product_id")} if name == "inventory" else {"_id": doc["_id"]}
            metadata = {"_id": doc["_id"], "ct": [1737496378, 185], "tm": {"_id": 7}}
            assert reportable[name].update_one(where, {"$set": {"_mdb": metadata}}).modified_count == 1
    assert data_report.main(settings) == 0, capsys.readouterr().err
    figures = printed_table(capsys.readouterr().out, "measure", "value", "target")
    assert figures["documents with the connector's metadata (_mdb)"][0] == "25"


def _first_item(db):
    return db.order_items.find_one({}, sort=[("order_id", 1), ("_id", 1)])


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (
            lambda db: db.order_items.delete_one({"_id": _first_item(db)["_id"]}),
            "order totals match their items: orders order_00000001",
        ),
        (
            lambda db: db.orders.update_one({"_id": "order_00000002"}, {"$inc": {"total": 0.01}}),
            "order totals match their items: orders order_00000002",
        ),
        (
            lambda db: db.orders.update_one({"_id": "order_00000003"}, {"$set": {"customer_id": "cust_999999"}}),
            "foreign keys resolve: orders order_00000003: customer_id cust_999999",
        ),
        (
            lambda db: db.products.update_one({"_id": "prod_hnd_hamr_001"}, {"$set": {"colors": ["red", "blue"]}}),
            "no arrays in synced documents: products prod_hnd_hamr_001: ['colors']",
        ),
        (
            lambda db: db.inventory.update_one(
                {"store_id": "store_tacoma", "product_id": "prod_pwr_drill_001"}, {"$set": {"stock_level": -2}}
            ),
            "stock never negative: inventory store_tacoma/prod_pwr_drill_001: stock -2",
        ),
        (lambda db: db.customers.delete_one({"_id": "cust_000007"}), "customers: 299 documents, expected 300"),
    ],
)
def test_each_fault_is_named(reportable, settings, capsys, fault, message):
    fault(reportable)
    assert data_report.main(settings) == 1
    assert message in capsys.readouterr().err


# The report streams: orders sorted by _id meet their items sorted by order_id. These faults sit where a
# streaming merge could go wrong (first or last order, between two orders, across batches of a cursor).


@pytest.fixture
def small_batches(monkeypatch):
    """Cursor batches far smaller than the collections, so the merge crosses many batch boundaries."""
    monkeypatch.setattr(report_module, "BATCH_SIZE", 64)


def _item_of(db, order_id):
    return db.order_items.find_one({"order_id": order_id}, sort=[("_id", 1)])


def _item_count(db, order_id):
    return db.orders.find_one({"_id": order_id})["item_count"]


@pytest.mark.parametrize(
    "orphan_order_id",
    ["order_", "order_00000004a", "order_99999999", 17, None],
    ids=["before-every-order", "between-two-orders", "after-every-order", "not-a-string", "missing"],
)
def test_an_item_whose_order_is_missing_is_named(reportable, settings, capsys, small_batches, orphan_order_id):
    item = _item_of(reportable, "order_00000004")
    count = _item_count(reportable, "order_00000004")
    change = {"$set": {"order_id": orphan_order_id}} if orphan_order_id is not None else {"$unset": {"order_id": ""}}
    reportable.order_items.update_one({"_id": item["_id"]}, change)
    assert data_report.main(settings) == 1
    err = capsys.readouterr().err
    assert f"foreign keys resolve: order_items {item['_id']}: order_id {orphan_order_id}" in err
    assert f"order totals match their items: orders order_00000004: item_count {count} vs {count - 1} items" in err


def test_an_item_moved_to_another_order_breaks_both(reportable, settings, capsys, small_batches):
    item = _item_of(reportable, "order_00000001")
    first, last = _item_count(reportable, "order_00000001"), _item_count(reportable, "order_00001500")
    reportable.order_items.update_one({"_id": item["_id"]}, {"$set": {"order_id": "order_00001500"}})
    assert data_report.main(settings) == 1
    err = capsys.readouterr().err
    assert f"orders order_00000001: item_count {first} vs {first - 1} items" in err
    assert f"orders order_00001500: item_count {last} vs {last + 1} items" in err
    assert "foreign keys resolve" not in err


def _broken(out: str, rule: str) -> str:
    """The 'broken' column of one rule's row in the report table."""
    return next(line for line in out.splitlines() if line.startswith(rule)).split()[-1]


@pytest.mark.parametrize(
    ("order_id", "field", "delta"),
    [
        ("order_00000001", "total", -0.01),
        ("order_00000750", "tax", 0.01),
        ("order_00001500", "subtotal", 0.01),
        (None, "discount_total", -0.01),
        ("order_00000640", "item_count", 1),
    ],
    ids=["total-off-by-a-cent", "tax-off-by-a-cent", "subtotal-of-last-order", "discount-total", "item-count"],
)
def test_an_order_that_disagrees_with_its_items_is_named(
    reportable, settings, capsys, small_batches, order_id, field, delta
):
    if order_id is None:  # the last order with a discount
        order_id = reportable.orders.find_one({"discount_total": {"$gt": 0}}, sort=[("_id", -1)])["_id"]
    stated = reportable.orders.find_one({"_id": order_id})[field]
    reportable.orders.update_one({"_id": order_id}, {"$inc": {field: delta}})
    assert data_report.main(settings) == 1
    captured = capsys.readouterr()
    if field == "item_count":
        expected = f"item_count {stated + delta} vs {stated} items"
    else:
        expected = f"{field} {stated + delta:.2f} vs {stated:.2f}"
    assert f"order totals match their items: orders {order_id}: {expected}" in captured.err
    assert _broken(captured.out, "order totals") == "1"
    assert _broken(captured.out, "line amounts") == "0"


@pytest.mark.parametrize(
    ("field", "delta", "where"),
    [
        ("line_total", 0.01, {}),
        ("discount_amount", -0.01, {"discount_percent": {"$gt": 0}}),
        ("line_total", -0.01, {"order_id": "order_00001500"}),
    ],
    ids=["line-total-of-first-item", "discount-amount", "line-total-of-last-order"],
)
def test_an_item_whose_amounts_disagree_with_its_price_is_named(
    reportable, settings, capsys, small_batches, field, delta, where
):
    item = reportable.order_items.find_one(where, sort=[("order_id", 1 if not where else -1), ("_id", 1)])
    reportable.order_items.update_one({"_id": item["_id"]}, {"$inc": {field: delta}})
    assert data_report.main(settings) == 1
    captured = capsys.readouterr()
    expected = f"order_items {item['_id']}: {field} {item[field] + delta:.2f} vs {item[field]:.2f}"
    assert f"line amounts match price, quantity and discount: {expected}" in captured.err
    assert _broken(captured.out, "line amounts") == "1"
    assert _broken(captured.out, "order totals") == "0"  # the order follows from the items' prices


def test_an_item_without_a_price_is_named(reportable, settings, capsys, small_batches):
    item = _item_of(reportable, "order_00000010")
    reportable.order_items.update_one({"_id": item["_id"]}, {"$unset": {"unit_price": ""}})
    assert data_report.main(settings) == 1
    err = capsys.readouterr().err
    assert f"order_items {item['_id']}: unit_price, quantity or discount_percent missing or not a number" in err
    assert "order totals match their items: orders order_00000010: subtotal" in err


@pytest.mark.parametrize(
    ("collection", "change", "expected"),
    [
        ("order_items", {"$set": {"tags": ["sale"]}}, "['tags']"),
        ("orders", {"$set": {"shipping.parcels": [1, 2]}}, "['shipping.parcels']"),
        ("customers", {"$set": {"phones": []}}, "['phones']"),
    ],
)
def test_an_array_in_a_streamed_doc_is_named(reportable, settings, capsys, small_batches, collection, change, expected):
    doc = reportable[collection].find_one({}, sort=[("_id", -1)])
    reportable[collection].update_one({"_id": doc["_id"]}, change)
    assert data_report.main(settings) == 1
    assert f"no arrays in synced documents: {collection} {doc['_id']}: {expected}" in capsys.readouterr().err


def test_a_live_order_sorted_between_generated_ones_meets_its_items(reportable, settings, capsys, small_batches):
    """A live id can sort between two numbered ones; the merge must still pair it with its own items."""
    live = "order_00000003" + "a" * 24
    order = reportable.orders.find_one({"_id": "order_00000003"})
    items = list(reportable.order_items.find({"order_id": "order_00000003"}))
    reportable.orders.insert_one({**order, "_id": live, "order_id": live})
    copies = [{**item, "_id": str(uuid.UUID(int=n + 1, version=4)), "order_id": live} for n, item in enumerate(items)]
    reportable.order_items.insert_many(copies)
    assert data_report.main(settings) == 0
    out = capsys.readouterr().out
    live_line = next(line for line in out.splitlines() if line.startswith("orders (added live)"))
    assert live_line.split()[3] == "1"


def test_the_summary_line_gives_peak_memory(clean_report):
    code, _, err = clean_report
    assert code == 0
    assert re.search(r"passes every rule \(\d+\.\d s, peak memory \d+ MB\)", err)


def test_a_sort_the_server_got_wrong_stops_the_report():
    docs = iter([{"order_id": "order_00000002"}, {"order_id": None}, {"order_id": "order_00000001"}])
    with pytest.raises(KitError, match="order_items came back out of order by order_id"):
        list(report_module._in_order(docs, "order_items", "order_id"))
