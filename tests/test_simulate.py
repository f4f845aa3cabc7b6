"""The live activity simulator, against a real server: rate, invariants, concurrency, Ctrl-C, bad flags."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime
from fractions import Fraction

import numpy as np
import pytest

import simulate_activity
from helpers import SCRIPTS, run_script, start_script, stop_processes
from zava.generation.distributions import ITEMS_PER_ORDER
from zava.model.projects import PROJECTS
from zava.model.reference import STORES, TAX_RATE
from zava.simulation.activity import Simulator, chosen_stores

GENERATED_ID = re.compile(r"order_\d{8}")
NEW_ORDER_ID = re.compile(r"order_[0-9a-f]{32}")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
NEW_STATUSES = {"pending", "shipped", "completed", "cancelled"}


RUNNING: list[subprocess.Popen] = []  # simulators the tests started, stopped before the dataset is put back


@pytest.fixture
def loaded(shared_loaded):
    """A loaded dataset that `settings` points at, without a load per test: the session's shared dataset, put back
    after each test once every simulator the test started has stopped (one a failing test left running is killed)."""
    yield shared_loaded
    stop_processes(RUNNING)


def simulate(argv: list[str], capsys) -> tuple[int, str, str]:
    """simulate_activity.main(argv) in this process: (exit code, stdout, stderr)."""
    code = simulate_activity.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def cents(value: float) -> int:
    return round(value * 100)


def summary(stdout: str) -> dict[str, int]:
    """The event table printed at the end: kind -> count."""
    return {line.split()[0]: int(line.split()[1].replace(",", "")) for line in stdout.splitlines()[2:]}


def new_orders(db) -> list[dict]:
    return [o for o in db.orders.find() if not GENERATED_ID.fullmatch(o["_id"])]


def check_invariants(db, collections: list[str]) -> None:
    """What must hold across the whole database after any amount of simulated activity."""
    assert sorted(db.list_collection_names()) == collections
    assert db.inventory.count_documents({"stock_level": {"$lt": 0}}) == 0
    orders = list(db.orders.find())
    items = list(db.order_items.find())
    assert len({o["_id"] for o in orders}) == len(orders) == len({o["order_id"] for o in orders})
    assert len({i["_id"] for i in items}) == len(items)
    products = {p["_id"] for p in db.products.find({}, {"_id": 1})}
    by_order = defaultdict(list)
    for item in items:
        by_order[item["order_id"]].append(item)
        assert item["product_id"] in products
    assert set(by_order) <= {o["_id"] for o in orders}, "order items without an order"
    rate = Fraction(str(TAX_RATE))
    for order in orders:
        lines = by_order[order["_id"]]
        subtotal = sum(cents(i["unit_price"]) * i["quantity"] for i in lines)
        discount_total = sum(cents(i["discount_amount"]) for i in lines)
        assert order["item_count"] == len(lines), order["_id"]
        assert cents(order["subtotal"]) == subtotal, order["_id"]
        assert cents(order["discount_total"]) == discount_total, order["_id"]
        assert cents(order["tax"]) == round(rate * (subtotal - discount_total)), order["_id"]
        assert cents(order["total"]) == subtotal - discount_total + cents(order["tax"]), order["_id"]


def check_new_orders(db) -> list[dict]:
    """Shape, ids, prices and statuses of the simulator's orders."""
    orders = new_orders(db)
    value = {s.store_id: s.order_value for s in STORES}
    prices = {p["_id"]: p["base_price"] for p in db.products.find({}, {"base_price": 1})}
    customers = {c["_id"]: c for c in db.customers.find({}, {"first_name": 1, "last_name": 1, "email": 1})}
    store_names = {s["_id"]: s["store_name"] for s in db.stores.find()}
    for order in orders:
        assert NEW_ORDER_ID.fullmatch(order["_id"]) and order["order_id"] == order["_id"]
        assert order["status"] in NEW_STATUSES and order["deleted"] is False
        assert STAMP.fullmatch(order["order_date"]) and STAMP.fullmatch(order["updated_at"])
        assert order["created_at"] == order["order_date"]
        customer = customers[order["customer_id"]]
        assert order["customer_name"] == f"{customer['first_name']} {customer['last_name']}"
        assert order["customer_email"] == customer["email"]
        assert order["store_name"] == store_names[order["store_id"]]
        assert order["updated_at"] >= order["order_date"]
        items = list(db.order_items.find({"order_id": order["_id"]}))
        assert 1 <= len(items) <= len(ITEMS_PER_ORDER) and len({i["product_id"] for i in items}) == len(items)
        for item in items:
            assert UUID.fullmatch(item["_id"]) and item["deleted"] is False
            assert item["store_id"] == order["store_id"]
            assert item["order_date"] == item["created_at"] == order["order_date"]
            assert item["quantity"] >= 1 and item["discount_percent"] in (0, 5, 10, 15, 20, 25)
            catalog = prices[item["product_id"]] * value[order["store_id"]]
            assert abs(item["unit_price"] - catalog) <= 0.03 * catalog + 0.01
            gross = cents(item["unit_price"]) * item["quantity"]
            assert cents(item["discount_amount"]) == round(Fraction(gross * item["discount_percent"], 100))
            assert cents(item["line_total"]) == gross - cents(item["discount_amount"])
    return orders


def test_runs_at_the_requested_rate_and_keeps_every_invariant(loaded, settings):
    collections = sorted(loaded.list_collection_names())
    result = run_script("simulate_activity", *settings, "--rate", "20", "--duration", "3", "--seed", "5", timeout=60)
    assert result.returncode == 0, result.stderr
    counts = summary(result.stdout)
    events = sum(counts.values())
    assert 36 <= events <= 84, counts  # 60 asked for, within 40%
    achieved = float(re.search(r"events in [\d.]+ s: ([\d.]+) events/s", result.stderr).group(1))
    assert 12 <= achieved <= 28, result.stderr
    assert counts["order"] >= 10 and counts["status"] >= 1
    orders = check_new_orders(loaded)
    assert len(orders) == counts["order"]
    check_invariants(loaded, collections)


def test_two_simulators_with_the_same_seed_do_not_collide(loaded, settings):
    collections = sorted(loaded.list_collection_names())
    command = [sys.executable, str(SCRIPTS / "simulate_activity.py"), *settings, "--rate", "20", "--duration", "3"]
    runs = [
        subprocess.Popen([*command, "--seed", "9"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    RUNNING.extend(runs)
    outputs = [run.communicate(timeout=60) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], [err for _, err in outputs]
    orders = check_new_orders(loaded)
    assert len(orders) == sum(summary(out)["order"] for out, _ in outputs)
    check_invariants(loaded, collections)


def test_same_seed_repeats_the_same_choices(loaded, shared_dataset):
    pristine = shared_dataset[1]
    runs = []
    for _ in range(2):  # over the same documents: the dataset is put back between the two runs
        simulator = Simulator(loaded, chosen_stores(None), np.random.default_rng(11))
        kinds = [simulator.step() for _ in range(40)]
        orders = sorted(new_orders(loaded), key=lambda o: o["order_date"])
        stores = [(o["store_id"], o["customer_id"], o["subtotal"], o["status"]) for o in orders]
        stock = sorted((r["store_id"], r["product_id"], r["stock_level"]) for r in loaded.inventory.find())
        runs.append((kinds, set(stores), stock))
        pristine.restore()
    assert runs[0] == runs[1]
    assert {"order", "status"} <= set(runs[0][0])


def test_new_orders_are_projects_or_errands_with_pros_on_weekday_mornings(loaded):
    monday_8am = datetime(2026, 6, 1, 15, 0, tzinfo=UTC)  # 8:00 in Seattle (PDT)
    simulator = Simulator(loaded, chosen_stores("store_seattle"), np.random.default_rng(8), clock=lambda: monday_8am)
    for _ in range(120):
        simulator.new_order()
    orders = new_orders(loaded)
    assert len(orders) >= 100 and {o["order_date"] for o in orders} == {"2026-06-01T15:00:00Z"}
    segment = {c["_id"]: c["segment"] for c in loaded.customers.find({}, {"segment": 1})}
    pros = [o for o in orders if segment[o["customer_id"]] == "pro"]
    assert len(pros) / len(orders) >= 2 * list(segment.values()).count("pro") / len(segment)
    type_of = {p["_id"]: p["type_id"] for p in loaded.products.find({}, {"type_id": 1})}
    projects = [{p.core, *p.companions} for p in PROJECTS]
    for order in orders:
        types = {type_of[i["product_id"]] for i in loaded.order_items.find({"order_id": order["_id"]})}
        assert len(types) == 1 or any(types <= project for project in projects), types


def test_orders_take_stock_and_cancellations_give_it_back(loaded):
    store = chosen_stores("store_kirkland")
    level = {r["product_id"]: r["stock_level"] for r in loaded.inventory.find({"store_id": "store_kirkland"})}
    simulator = Simulator(loaded, store, np.random.default_rng(3))
    assert all(simulator.new_order() for _ in range(10))
    sold = defaultdict(int)
    for item in loaded.order_items.find({"order_id": {"$in": [o["_id"] for o in new_orders(loaded)]}}):
        sold[item["product_id"]] += item["quantity"]
    after = {r["product_id"]: r["stock_level"] for r in loaded.inventory.find({"store_id": "store_kirkland"})}
    assert sum(sold.values()) >= 10
    assert {p: level[p] - after[p] for p in level if level[p] != after[p]} == dict(sold)

    simulator.open = {(o["_id"], o["order_id"]): "pending" for o in new_orders(loaded)}
    cancelled = sum(simulator.cancel() for _ in range(3))
    assert cancelled == 3
    gone = [o["_id"] for o in new_orders(loaded) if o["status"] == "cancelled"]
    returned = defaultdict(int)
    for item in loaded.order_items.find({"order_id": {"$in": gone}}):
        returned[item["product_id"]] += item["quantity"]
    final = {r["product_id"]: r["stock_level"] for r in loaded.inventory.find({"store_id": "store_kirkland"})}
    assert {p: final[p] - after[p] for p in after if final[p] != after[p]} == dict(returned)
    stale = Simulator(loaded, store, np.random.default_rng(3))
    stale.open = {(order_id, order_id): "pending" for order_id in gone}
    assert not stale.cancel()  # a cancelled order is not cancelled (and restocked) twice


def test_short_stock_shrinks_or_drops_lines_and_never_goes_negative(loaded):
    loaded.inventory.update_many({"store_id": "store_redmond"}, {"$set": {"stock_level": 0}})
    simulator = Simulator(loaded, chosen_stores("store_redmond"), np.random.default_rng(4))
    assert not simulator.new_order()  # nothing in stock: no order is written
    assert new_orders(loaded) == []
    loaded.inventory.update_many({"store_id": "store_redmond"}, {"$set": {"stock_level": 1}})
    assert all(simulator.new_order() for _ in range(30))
    items = [i for o in new_orders(loaded) for i in loaded.order_items.find({"order_id": o["_id"]})]
    assert {i["quantity"] for i in items} == {1}  # wanted quantities above 1 shrank to the one left
    assert loaded.inventory.count_documents({"store_id": "store_redmond", "stock_level": {"$lt": 0}}) == 0
    assert sum(i["quantity"] for i in items) == loaded.inventory.count_documents(
        {"store_id": "store_redmond", "stock_level": 0}
    )


def test_restock_status_and_location_moves(loaded):
    loaded.inventory.update_many({"store_id": "store_spokane"}, {"$set": {"stock_level": 100}})
    target = {"store_id": "store_spokane", "product_id": "prod_hnd_hamr_001"}
    loaded.inventory.update_one(target, {"$set": {"stock_level": 1, "last_updated": "2020-01-01T00:00:00Z"}})
    simulator = Simulator(loaded, chosen_stores("store_spokane"), np.random.default_rng(5))
    assert simulator.restock()
    row = loaded.inventory.find_one(target)
    assert row["stock_level"] == 3 * row["reorder_threshold"] and row["last_updated"] > "2020-01-01T00:00:00Z"
    assert not simulator.restock()  # nothing left at or below its threshold

    before = {r["product_id"]: r["location"] for r in loaded.inventory.find({"store_id": "store_spokane"})}
    assert simulator.move()
    after = {r["product_id"]: r["location"] for r in loaded.inventory.find({"store_id": "store_spokane"})}
    (moved,) = [p for p in before if before[p] != after[p]]
    assert sum(before[moved][k] != after[moved][k] for k in ("aisle", "shelf", "bin")) == 1
    assert before[moved]["aisle"] == after[moved]["aisle"]

    assert simulator.new_order()
    (order_id,) = [o["_id"] for o in new_orders(loaded)]
    simulator.open = {(order_id, order_id): "pending"}
    steps = []
    while simulator.advance_status():
        steps.append(loaded.orders.find_one({"_id": order_id})["status"])
    assert steps == ["shipped", "completed"] and simulator.open == {}


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_stops_after_the_event_with_the_summary(loaded, settings, signum, code):
    process = start_script("simulate_activity", *settings, "--rate", "20", "--duration", "0")
    RUNNING.append(process)
    deadline = time.monotonic() + 60
    while len(new_orders(loaded)) < 3:
        assert process.poll() is None and time.monotonic() < deadline, "no orders before the deadline"
        time.sleep(0.1)
    process.send_signal(signum)
    out, err = process.communicate(timeout=30)
    assert process.returncode == code, err  # 128 + the signal, after the summary
    assert summary(out)["order"] == len(new_orders(loaded)) >= 3
    assert "events/s (asked for 20)" in err
    if signum == signal.SIGTERM:
        assert "stopped by SIGTERM after the event under way (exit code 143)" in err
    check_invariants(loaded, sorted(loaded.list_collection_names()))


def test_unknown_store_exits_2_with_one_line(settings, capsys):
    code, out, err = simulate([*settings, "--stores", "store_seattle,store_atlantis"], capsys)
    assert code == 2
    assert err.count("\n") == 1 and out == ""
    assert err.startswith("error: --stores: unknown store store_atlantis; choose from store_seattle")


BAD_FLAGS = {
    "--rate 0": "--rate must be a number of events per second above 0, got 0",
    "--rate nan": "--rate must be a number of events per second above 0, got nan",
    "--duration -1": "--duration must be 0 (until Ctrl-C) or more seconds, got -1",
    "--seed -1": "--seed must be at least 0, got -1",
}


def test_bad_flags_exit_2_with_one_line_and_write_nothing(loaded, settings, capsys):
    before = {name: list(loaded[name].find()) for name in ("orders", "order_items", "inventory")}
    for flags, message in BAD_FLAGS.items():
        code, out, err = simulate([*settings, "--duration", "1", *flags.split()], capsys)
        assert code == 2 and out == "", flags
        assert err.strip() == f"error: {message}"
    assert before == {name: list(loaded[name].find()) for name in before}


def test_no_dataset_exits_1_and_creates_nothing(client, db_name, settings, capsys):
    code, _, err = simulate([*settings, "--duration", "1"], capsys)
    assert code == 1, err
    assert err.strip().splitlines()[-1] == (
        f"error: no products in database '{db_name}': load the dataset first (python scripts/generate_mongodb_data.py)"
    )
    assert client[db_name].list_collection_names() == []


def test_stores_flag_keeps_every_write_to_those_stores(loaded, settings, capsys):
    chosen = {"store_tacoma", "store_kirkland"}
    others = list(loaded.inventory.find({"store_id": {"$nin": sorted(chosen)}}).sort("_id"))
    orders = {o["_id"]: o for o in loaded.orders.find()}
    argv = [*settings, "--stores", ",".join(sorted(chosen)), "--rate", "30", "--duration", "2", "--seed", "3"]
    code, _, err = simulate(argv, capsys)
    assert code == 0, err
    assert "simulating 30 events/s at 2 stores for 2 s" in err
    made = new_orders(loaded)
    assert made and {o["store_id"] for o in made} <= chosen
    assert others == list(loaded.inventory.find({"store_id": {"$nin": sorted(chosen)}}).sort("_id"))
    moved = [o for o in loaded.orders.find({"_id": {"$in": list(orders)}}) if o != orders[o["_id"]]]
    assert {o["store_id"] for o in moved} <= chosen
    check_invariants(loaded, sorted(loaded.list_collection_names()))


def test_a_rate_the_server_cannot_keep_up_with_is_warned(loaded, settings, capsys):
    code, _, err = simulate([*settings, "--rate", "100000", "--duration", "1.5", "--seed", "2"], capsys)
    assert code == 0, err
    achieved = float(re.search(r"events in [\d.]+ s: ([\d.]+) events/s \(asked for 100000\)", err).group(1))
    assert achieved < 90_000
    assert err.strip().splitlines()[-1] == "! the server could not keep up with the requested rate"
    code, _, err = simulate([*settings, "--rate", "5", "--duration", "1.5", "--seed", "2"], capsys)
    assert code == 0 and "could not keep up" not in err, err
