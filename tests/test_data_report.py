"""The data report passes on generated data and names the document behind each injected fault."""

from __future__ import annotations

import pytest

import data_report
import generate_mongodb_data
import simulate_activity

SMALL = ["--customers", "300", "--orders", "1500", "--quiet", "--yes"]


@pytest.fixture
def loaded(client, db_name, settings, monkeypatch):
    monkeypatch.setenv("NUM_CUSTOMERS", "300")
    monkeypatch.setenv("NUM_ORDERS", "1500")
    assert generate_mongodb_data.main([*settings, *SMALL]) == 0
    return client[db_name]


def test_fresh_dataset_passes_every_rule(loaded, settings, capsys):
    assert data_report.main(settings) == 0
    out, err = capsys.readouterr()
    assert "passes every rule" in err
    for rule in (
        "foreign keys resolve",
        "order totals match their items",
        "no arrays in synced documents",
        "stock never negative",
        "ID formats",
    ):
        assert rule in out
    assert "Garden & Outdoor" in out and "orders at the customer's primary store" in out


def test_report_still_passes_after_simulated_activity(loaded, settings, capsys):
    assert simulate_activity.main([*settings, "--rate", "25", "--duration", "2", "--seed", "3", "--quiet"]) == 0
    assert loaded.orders.count_documents({"order_id": {"$regex": "^order_[0-9a-f]{32}$"}}) > 5
    assert data_report.main(settings) == 0
    out = capsys.readouterr().out
    live = next(line for line in out.splitlines() if line.startswith("orders (added live)"))
    assert int(live.split()[3].replace(",", "")) > 5


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
def test_each_fault_is_named(loaded, settings, capsys, fault, message):
    fault(loaded)
    assert data_report.main(settings) == 1
    assert message in capsys.readouterr().err
