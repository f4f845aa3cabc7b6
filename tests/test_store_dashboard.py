"""The store dashboard against a real server: its reads match the raw documents, its writes are checked,
changes arrive live over Server-Sent Events, and the page works in headless Chromium."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

import store_dashboard
from browser import browser_missing, chrome, first_paint_ms, wait_for
from helpers import SCRIPTS, free_port, scratch_dataset
from zava.dashboard.data import CHART_DAYS, RECENT_ORDERS, Dashboard
from zava.dashboard.live import decode_tokens, encode_tokens
from zava.dashboard.server import DashboardServer
from zava.model import rules
from zava.model.money import to_cents
from zava.model.reference import STORES
from zava.model.timestamps import parse_iso
from zava.simulation import activity

STORE = "store_seattle"
START = (date.today() - timedelta(days=60)).isoformat()  # the chart's 30 days and more, about 33 orders a day
END = (date.today() + timedelta(days=1)).isoformat()  # the last day of orders is today: today's figures exist
SIZE = ["--customers", "300", "--orders", "2000", "--start-date", START, "--end-date", END]


@pytest.fixture(scope="module")
def unreachable_run(tmp_path_factory):
    """store_dashboard.py pointed at a port where no server answers, started before the module's load so that its
    wait for the server (5 s) passes meanwhile."""
    env_file = tmp_path_factory.mktemp("unreachable") / "test.env"
    env_file.write_text("")
    uri = f"mongodb://127.0.0.1:{free_port()}"
    child = subprocess.Popen(
        [sys.executable, str(SCRIPTS / "store_dashboard.py"), "--env-file", str(env_file)],
        env={**os.environ, "MONGODB_CONNECTION_STRING": uri},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield child
    finally:
        if child.poll() is None:
            child.kill()
        child.communicate(timeout=30)


@pytest.fixture(scope="module")
def dataset(mongo_uri, tmp_path_factory, unreachable_run):
    """A dataset ending today, indexed: (database, the --env-file flag pointing at it)."""
    folder = tmp_path_factory.mktemp("dashboard")
    with scratch_dataset(mongo_uri, folder, "zava_dashboard", SIZE, indexed=True) as (db, settings):
        yield db, settings


@pytest.fixture(scope="module")
def dash(dataset):
    """The dataset and a dashboard server on a free port: (database, base URL)."""
    db, _settings = dataset
    server = DashboardServer(("127.0.0.1", 0), Dashboard(db))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield db, server.url.rstrip("/")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def request(base: str, method: str, path: str, body: object = None, raw: bytes | None = None):
    """(status, JSON answer) of one request."""
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    payload = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    headers = {"Content-Type": "application/json"} if payload is not None else {}
    conn.request(method, path, body=payload, headers=headers)
    response = conn.getresponse()
    answer = json.loads(response.read() or b"null")
    conn.close()
    return response.status, answer


def key(line: dict) -> dict:
    """An inventory line's filter (filters on its composite _id fail on the local server)."""
    return {"store_id": line["store_id"], "product_id": line["product_id"]}


def snapshot(db, collection: str, query: dict) -> list[dict]:
    return sorted(db[collection].find(query), key=lambda d: str(d["_id"]))


# ---------------------------------------------------------------- reads


def test_page_matches_the_raw_documents(dash):
    db, base = dash
    status, page = request(base, "GET", f"/api/stores/{STORE}")
    assert status == 200
    products = {p["product_id"]: p for p in db.products.find()}
    lines = [d for d in db.inventory.find({"store_id": STORE}) if rules.is_live(d)]
    assert {r["product_id"] for r in page["inventory"]} == {d["product_id"] for d in lines}
    by_product = {d["product_id"]: d for d in lines}
    for row in page["inventory"]:
        doc = by_product[row["product_id"]]
        assert row["product_name"] == products[row["product_id"]]["product_name"]
        assert row["sku"] == products[row["product_id"]]["sku"]
        assert (row["aisle"], row["shelf"], row["bin"]) == tuple(doc["location"][k] for k in ("aisle", "shelf", "bin"))
        assert (row["stock_level"], row["reorder_threshold"]) == (doc["stock_level"], doc["reorder_threshold"])
        assert row["low_stock"] == rules.is_low_stock(doc)

    orders = [o for o in db.orders.find({"store_id": STORE}) if rules.is_live(o)]
    newest = sorted(orders, key=lambda o: o["order_date"], reverse=True)
    shown = page["orders"]
    assert len(shown) == min(RECENT_ORDERS, len(orders))
    assert [o["order_date"] for o in shown] == [o["order_date"] for o in newest[: len(shown)]]
    raw = {o["order_id"]: o for o in orders}
    for row in shown:
        assert (row["status"], row["total"], row["item_count"]) == tuple(
            raw[row["order_id"]][k] for k in ("status", "total", "item_count")
        )
        assert row["moves"] == [m for m in rules.STATUS_MOVES.get(row["status"], ()) if m in ("shipped", "completed")]

    summary = page["summary"]
    today = datetime.now(UTC).date()
    days = [(today - timedelta(days=n)).isoformat() for n in range(CHART_DAYS - 1, -1, -1)]
    assert [d["day"] for d in summary["revenue_by_day"]] == days and summary["today"] == days[-1]
    for day in summary["revenue_by_day"]:
        on_day = [o for o in orders if o["order_date"][:10] == day["day"]]
        assert day["orders"] == len(on_day)
        assert to_cents(day["revenue"]) == sum(int(to_cents(o["total"])) for o in on_day if rules.earns_revenue(o))
    assert summary["orders_today"] == summary["revenue_by_day"][-1]["orders"] > 0
    assert summary["revenue_today"] == summary["revenue_by_day"][-1]["revenue"]
    assert summary["open_orders"] == sum(1 for o in orders if o["status"] in rules.OPEN_STATUSES)
    assert summary["low_stock"] == sum(1 for d in lines if rules.is_low_stock(d))
    assert request(base, "GET", f"/api/stores/{STORE}/summary") == (200, summary)


def test_items_stores_and_unknown_names(dash):
    db, base = dash
    order = db.orders.find_one({"store_id": STORE, "deleted": False})
    status, items = request(base, "GET", f"/api/orders/{order['order_id']}/items")
    raw = list(db.order_items.find({"order_id": order["order_id"], "deleted": False}))
    assert status == 200 and sorted(i["product_id"] for i in items) == sorted(i["product_id"] for i in raw)
    assert sum(i["quantity"] for i in items) == sum(i["quantity"] for i in raw)
    status, stores = request(base, "GET", "/api/stores")
    assert status == 200 and STORE in [s["store_id"] for s in stores["stores"]]
    assert request(base, "GET", "/api/stores/store_atlantis")[0] == 404
    assert request(base, "GET", "/api/orders/order_nope/items")[0] == 404
    assert request(base, "GET", "/api/nothing")[0] == 404


# ---------------------------------------------------------------- writes


def test_stock_write_sets_the_level_and_last_updated(dash):
    db, base = dash
    line = db.inventory.find_one({"store_id": STORE, "deleted": False})
    before = datetime.now(UTC).replace(microsecond=0)
    status, row = request(base, "POST", f"/api/stores/{STORE}/inventory/{line['product_id']}", {"stock_level": 7})
    assert status == 200 and row["stock_level"] == 7
    doc = db.inventory.find_one({"store_id": STORE, "product_id": line["product_id"]})
    assert doc["stock_level"] == 7 and parse_iso(doc["last_updated"]) >= before
    assert doc["last_updated"].endswith("Z") and len(doc["last_updated"]) == 20


@pytest.mark.parametrize(
    "body, expected",
    [
        ({"stock_level": -1}, 400),
        ({"stock_level": 2.5}, 400),
        ({"stock_level": "12"}, 400),
        ({"stock_level": True}, 400),
        ({"stock_level": None}, 400),
        ({"stock_level": 10**9}, 400),
        ({}, 400),
        ([5], 400),
        (b"not json", 400),
    ],
)
def test_bad_stock_values_write_nothing(dash, body, expected):
    db, base = dash
    line = db.inventory.find_one({"store_id": STORE, "deleted": False})
    before = snapshot(db, "inventory", {"store_id": STORE})
    raw = body if isinstance(body, bytes) else None
    status, answer = request(base, "POST", f"/api/stores/{STORE}/inventory/{line['product_id']}", body, raw)
    assert status == expected and answer["error"]
    assert snapshot(db, "inventory", {"store_id": STORE}) == before


def test_stock_of_an_unknown_or_soft_deleted_line_is_refused(dash):
    db, base = dash
    line = db.inventory.find_one({"store_id": STORE, "deleted": False})
    where = {"store_id": STORE, "product_id": line["product_id"]}
    assert request(base, "POST", f"/api/stores/{STORE}/inventory/prod_nope", {"stock_level": 1})[0] == 404
    assert request(base, "POST", f"/api/stores/store_atlantis/inventory/{line['product_id']}", {"stock_level": 1})[
        0
    ] == (404)
    original = db.inventory.find_one(where)
    db.inventory.update_one(where, {"$set": {"deleted": True}})
    try:
        before = snapshot(db, "inventory", {"store_id": STORE})
        status, answer = request(
            base, "POST", f"/api/stores/{STORE}/inventory/{line['product_id']}", {"stock_level": 1}
        )
        assert status == 404 and "no live inventory line" in answer["error"]
        assert snapshot(db, "inventory", {"store_id": STORE}) == before
    finally:  # the whole document back: the local server's $set stores a boolean as 0 or 1
        db.inventory.replace_one(where, original)


def test_status_moves_follow_the_rules(dash):
    db, base = dash
    order = db.orders.find_one({"store_id": STORE, "status": "pending", "deleted": False})
    path = f"/api/orders/{order['order_id']}/status"
    for bad, code in (({"status": "completed"}, 409), ({"status": "cancelled"}, 400), ({"status": "lost"}, 400)):
        before = snapshot(db, "orders", {"store_id": STORE})
        status, answer = request(base, "POST", path, bad)
        assert status == code and answer["error"], bad
        assert snapshot(db, "orders", {"store_id": STORE}) == before
    status, row = request(base, "POST", path, {"status": "shipped"})
    assert status == 200 and row["status"] == "shipped" and row["moves"] == ["completed"]
    doc = db.orders.find_one({"order_id": order["order_id"]})
    assert doc["status"] == "shipped" and doc["updated_at"] > order["updated_at"]
    assert request(base, "POST", path, {"status": "shipped"})[0] == 409
    assert request(base, "POST", path, {"status": "completed"})[1]["status"] == "completed"
    assert request(base, "POST", "/api/orders/order_nope/status", {"status": "shipped"})[0] == 404


def test_a_soft_deleted_order_is_left_alone(dash):
    db, base = dash
    order = db.orders.find_one({"store_id": STORE, "status": "pending", "deleted": False})
    db.orders.update_one({"_id": order["_id"]}, {"$set": {"deleted": True}})
    try:
        assert request(base, "POST", f"/api/orders/{order['order_id']}/status", {"status": "shipped"})[0] == 404
        assert db.orders.find_one({"_id": order["_id"]})["status"] == "pending"
    finally:
        db.orders.replace_one({"_id": order["_id"]}, order)


def test_the_simulator_moves_orders_only_as_the_rules_allow():
    assert activity.NEXT_STATUS is rules.NEXT_STATUS
    assert all(rules.can_move(a, b) for a, b in rules.NEXT_STATUS.items())
    assert rules.can_move("pending", "cancelled")  # the simulator's cancellation
    assert not rules.can_move("completed", "pending") and not rules.can_move("shipped", "cancelled")
    assert set(rules.STATUS_MOVES) <= set(rules.OPEN_STATUSES)


# ---------------------------------------------------------------- live


class Stream:
    """The live feed read with a plain HTTP client, one event at a time."""

    def __init__(self, base: str, store: str, last_event_id: str | None = None) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=10)
        headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
        self.conn.request("GET", f"/api/stores/{store}/events", headers=headers)
        self.response = self.conn.getresponse()
        assert self.response.status == 200
        assert self.response.getheader("Content-Type") == "text/event-stream"

    def next(self, name: str | None = None) -> tuple[str, dict, str | None]:
        while True:
            fields: dict[str, str] = {}
            for raw in self.response.fp:
                line = raw.decode().rstrip("\n")
                if not line:
                    break
                key, _, value = line.partition(": ")
                fields[key] = value
            if "event" in fields and (name is None or fields["event"] == name):
                return fields["event"], json.loads(fields["data"]), fields.get("id")

    def close(self) -> None:
        self.conn.close()


def test_a_pymongo_write_arrives_on_the_stream_within_one_second(dash):
    db, base = dash
    stream = Stream(base, STORE)
    try:
        _, hello, token = stream.next("hello")
        assert hello["resumed"] is False and hello["page"]["store"]["store_id"] == STORE and token
        assert stream.next("summary")[1]["open_orders"] is not None
        line = db.inventory.find_one({"store_id": STORE, "deleted": False})
        start = time.perf_counter()
        db.inventory.update_one(key(line), {"$set": {"stock_level": 4242}})
        _, row, _ = stream.next("inventory")
        assert time.perf_counter() - start < 1.0
        assert (row["product_id"], row["stock_level"]) == (line["product_id"], 4242)
        order = db.orders.find_one({"store_id": STORE, "status": "pending", "deleted": False})
        start = time.perf_counter()
        db.orders.update_one({"_id": order["_id"]}, {"$set": {"status": "shipped"}})
        _, row, _ = stream.next("order")
        assert time.perf_counter() - start < 1.0
        assert (row["order_id"], row["status"]) == (order["order_id"], "shipped")
        other = db.inventory.find_one({"store_id": "store_tacoma", "deleted": False})
        db.inventory.update_one(key(other), {"$inc": {"stock_level": 1}})
        db.inventory.update_one(key(line), {"$set": {"stock_level": 4243}})
        assert stream.next("inventory")[1]["stock_level"] == 4243  # Tacoma's change never reached Seattle's feed
    finally:
        stream.close()


def test_the_stream_resumes_after_the_last_event_id(dash):
    db, base = dash
    stream = Stream(base, STORE)
    _, _, token = stream.next("hello")
    stream.close()
    assert set(decode_tokens(token)) == {"inventory", "orders"}
    assert decode_tokens(encode_tokens(decode_tokens(token))) == decode_tokens(token)
    assert decode_tokens("not a token") == {} and decode_tokens(None) == {}
    line = db.inventory.find_one({"store_id": STORE, "deleted": False})
    db.inventory.update_one(key(line), {"$set": {"stock_level": 999}})  # while nobody listens
    stream = Stream(base, STORE, token)
    try:
        _, hello, _ = stream.next("hello")
        if hello["resumed"]:
            _, row, _ = stream.next("inventory")
            assert (row["product_id"], row["stock_level"]) == (line["product_id"], 999)
        else:  # the server could not resume: the page gets a fresh copy instead
            rows = {r["product_id"]: r for r in hello["page"]["inventory"]}
            assert rows[line["product_id"]]["stock_level"] == 999
    finally:
        stream.close()


# ---------------------------------------------------------------- the script


def test_script_refuses_an_unknown_store_in_one_line(settings, capsys):
    assert store_dashboard.main([*settings, "--store", "store_atlantis"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    choices = ", ".join(s.store_id for s in STORES)
    assert err.strip() == f"error: --store: unknown store 'store_atlantis'; choose from {choices}"


def test_script_refuses_a_port_in_use(dataset, capsys):
    _, settings = dataset
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = store_dashboard.main([*settings, "--port", str(port), "--quiet"])
    err = capsys.readouterr().err
    assert code == 1 and f"port {port} on 127.0.0.1 is in use" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.server  # its fixture holds the port where no server answers
def test_script_says_when_the_server_is_unreachable(unreachable_run):
    child = unreachable_run
    _, err = child.communicate(timeout=60)
    assert child.returncode == 1 and "cannot reach MongoDB" in err
    assert len(err.strip().splitlines()) == 1


def test_script_serves_on_localhost(dataset):
    _, settings = dataset
    port = free_port()
    child = subprocess.Popen(
        [
            sys.executable,
            str(SCRIPTS / "store_dashboard.py"),
            *settings,
            "--port",
            str(port),
            "--store",
            "store_tacoma",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        answer = wait_for(lambda: _try(base), 20, 0.1)
        assert answer == (200, "store_tacoma")
    finally:
        child.terminate()
        child.wait(10)


def _try(base: str):
    try:
        status, stores = request(base, "GET", "/api/stores")
    except OSError:
        return None
    return status, stores["default_store"]


# ---------------------------------------------------------------- the page in headless Chromium

MISSING = browser_missing()
browser_test = pytest.mark.skipif(MISSING is not None, reason=f"browser tests did not run: {MISSING}")


@pytest.fixture(scope="module")
def page(dash, tmp_path_factory):
    profile = tmp_path_factory.mktemp("chrome")
    driver = chrome(profile)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _stock_cell(driver, product_id: str) -> str | None:
    script = "const td = document.querySelector(arguments[0]); return td && td.textContent;"
    return driver.execute_script(script, f'#inventory tr[data-product="{product_id}"] td.stock')


@browser_test
def test_the_page_shows_the_store_and_goes_live(dash, page, tmp_path):
    db, base = dash
    paint = first_paint_ms(page, f"{base}/?store={STORE}")
    assert paint < 5000
    assert wait_for(lambda: page.find_element("id", "live").text == "live", 5)
    live = db.inventory.count_documents({"store_id": STORE, "deleted": False})
    assert len(page.find_elements("css selector", "#inventory tbody tr")) == live
    assert page.find_element("id", "store-name").text == "Zava Retail Seattle"
    assert page.find_elements("css selector", "#chart svg rect.bar")
    assert wait_for(lambda: page.find_element("id", "fig-open").text not in ("…", "–"), 5)
    line = db.inventory.find_one({"store_id": STORE, "deleted": False})
    start = time.perf_counter()
    db.inventory.update_one(key(line), {"$set": {"stock_level": 31337}})
    assert wait_for(lambda: _stock_cell(page, line["product_id"]) == "31,337", 2.0)
    assert time.perf_counter() - start < 1.5  # within a second, plus the polling of this test
    shot = Path(os.environ.get("DASHBOARD_SCREENSHOT") or tmp_path / "store_dashboard.png")  # docs/ keeps one
    assert page.save_screenshot(str(shot)) and shot.stat().st_size > 10_000


@browser_test
def test_a_stock_edit_in_the_page_reaches_mongodb_and_bad_input_writes_nothing(dash, page):
    db, base = dash
    page.get(f"{base}/?store={STORE}")
    assert wait_for(lambda: page.execute_script("return window.dashboard.firstPaintMs"), 10)
    line = db.inventory.find_one({"store_id": STORE, "deleted": False})
    field = page.find_element("css selector", f'#inventory tr[data-product="{line["product_id"]}"] input.stock-input')
    field.clear()
    field.send_keys("123\n")
    where = {"store_id": STORE, "product_id": line["product_id"]}
    assert wait_for(lambda: db.inventory.find_one(where)["stock_level"] == 123, 3)
    assert wait_for(lambda: "set to 123" in page.find_element("id", "message").text, 3)

    before = snapshot(db, "inventory", {"store_id": STORE})
    for bad in ("-4", "twelve"):
        field = page.find_element(
            "css selector", f'#inventory tr[data-product="{line["product_id"]}"] input.stock-input'
        )
        field.clear()
        field.send_keys(bad + "\n")
        message = page.find_element("id", "message")
        assert wait_for(lambda box=message: "Not saved" in box.text and "stock_level" in box.text, 3), bad
        assert "error" in message.get_attribute("class")
        page.execute_script("document.getElementById('message').textContent = ''")
    assert snapshot(db, "inventory", {"store_id": STORE}) == before
