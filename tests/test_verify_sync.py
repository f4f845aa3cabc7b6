"""verify_sync.py against the real test server and a local threaded stub of the Ditto HTTP API."""

from __future__ import annotations

import json
import math
import re
import threading
import time
from collections import deque
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import verify_sync
from common import ConfigError, KitError
from helpers import free_port, http_server, run_script
from zava.ditto.connector import UNSYNCED
from zava.ditto.http_api import DittoClient, cloud_endpoint
from zava.model.collections import COLLECTIONS
from zava.mongo.server import server_info
from zava.verify.sync_check import REJECTED_SHOWN, compare, differences

KEY = "dtto-api-key-7f3a9c21-do-not-leak"
APP_ID = "2b9a5c1e-0f4d-4c7a-9e1b-5d6f7a8b9c0d"
COUNT = re.compile(r"SELECT COUNT\(\*\) AS n FROM (\w+) WHERE deleted = false")
BY_ID = re.compile(r"SELECT \* FROM (\w+) WHERE _id = :id")
SYNCED = [c for c in COLLECTIONS if c.synced]
# The paths Ditto documents: DQL on v5 (strict mode off, MAPs), and the legacy count endpoint.
EXECUTE_PATH = "/api/v5/store/execute"
COUNT_PATH = "/api/v4/store/count"


def key_of(doc_id: object) -> str:
    return json.dumps(doc_id, sort_keys=True)


def connector_metadata(doc_id: object, seconds: int = 1737496378) -> dict:
    """The connector's `_mdb` field, shaped as in Ditto's own connector guide (a MongoDB document read back after
    the connector ran): {"_id": …, "ct": [seconds, counter], "tm": {"_id": 7}}."""
    return {"_id": doc_id, "ct": [seconds, 185], "tm": {"_id": 7}}


def as_ditto(collection, doc: dict) -> dict:
    """The document as the connector writes it: JSON values, _id from the collection's ID fields, and the
    connector's metadata."""
    fields = collection.id_fields
    if fields == ("_id",):
        ditto_id = doc["_id"]
    elif len(fields) == 1:
        ditto_id = doc[fields[0]]
    else:
        ditto_id = {f: doc[f] for f in fields}
    return json.loads(json.dumps({**doc, "_id": ditto_id, "_mdb": connector_metadata(ditto_id)}))


class DittoStub:
    """Holds Ditto's copy of the data and answers the DQL forms verify_sync sends."""

    def __init__(self, server: ThreadingHTTPServer) -> None:
        self.server = server
        self.docs: dict[str, dict[str, dict]] = {}
        self.hidden: dict[tuple[str, str], float] = {}  # (collection, key) -> when it shows up again
        self.failures: deque[tuple[int, dict[str, str]]] = deque()
        self.statements: list[tuple[str, dict]] = []
        self.lock = threading.Lock()
        self.delay = 0.0  # seconds to wait before answering (a slow or stuck service)
        self.refuse_count = False  # answer SELECT COUNT(*) with HTTP 400, as a Ditto without it would
        self.counted: list[dict] = []  # bodies POSTed to the count endpoint
        self.txn = 1000

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def load(self, copy: dict[str, str]) -> None:
        """Ditto's copy of the data (connector_copy), documents of this stub's own to change."""
        for name, text in copy.items():
            self.docs[name] = {key_of(d["_id"]): d for d in json.loads(text)}

    def drop(self, collection: str, doc_id: object, seconds: float = math.inf) -> None:
        """Hide a document (from counts and fetches) for a while: the connector has not caught up yet."""
        self.hidden[(collection, key_of(doc_id))] = time.monotonic() + seconds

    def alter(self, collection: str, doc_id: object, path: str, value: object) -> None:
        target = self.docs[collection][key_of(doc_id)]
        *parents, last = path.split(".")
        for name in parents:
            target = target[name]
        target[last] = value

    def fail(self, status: int, times: int, headers: dict[str, str] | None = None) -> None:
        self.failures.extend([(status, headers or {})] * times)

    def visible(self, collection: str, keys: list[str] | None = None) -> list[dict]:
        now = time.monotonic()
        docs = self.docs.get(collection, {})
        keys = list(docs) if keys is None else [k for k in keys if k in docs]
        return [docs[k] for k in keys if self.hidden.get((collection, k), 0) <= now]

    def live(self, collection: str) -> int:
        return sum(1 for d in self.visible(collection) if d.get("deleted") is False)

    def answer(self, path: str, auth: str, body: dict) -> tuple[int, dict, dict[str, str]]:
        """POST /api/v5/store/execute ({statement, args} in; transactionId, queryType, items, mutatedDocumentIds,
        warnings, totalWarningsCount out) and POST /api/v4/store/count ({collection, query, args}; count, txnId)."""
        time.sleep(self.delay)
        with self.lock:
            failure = self.failures.popleft() if self.failures else None
            self.txn += 1
        if failure:
            status, headers = failure
            return status, {"error": {"description": f"scripted {status} for {auth}"}}, headers
        if auth != f"Bearer {KEY}":
            return 401, {"error": {"description": f"invalid API key {auth}"}}, {}
        if path == COUNT_PATH:
            self.counted.append(body)
            if body.get("query") != "deleted == false" or not isinstance(body.get("collection"), str):
                return 400, {"error": {"description": f"unsupported count {body}"}}, {}
            return 200, {"count": self.live(body["collection"]), "txnId": self.txn}, {}
        statement, args = body.get("statement", ""), body.get("args", {})
        self.statements.append((statement, args))
        if ";" in statement:
            return 400, {"error": {"description": "one statement per request"}}, {}
        if match := COUNT.fullmatch(statement):
            if self.refuse_count:
                return 400, {"error": {"description": "COUNT is not supported here"}}, {}
            items = [{"n": self.live(match[1])}]
        elif match := BY_ID.fullmatch(statement):
            items = self.visible(match[1], [key_of(args["id"])])
        else:
            return 400, {"error": {"description": f"unsupported statement {statement}"}}, {}
        body = {"transactionId": self.txn, "queryType": "select", "items": items, "mutatedDocumentIds": []}
        return 200, {**body, "warnings": [], "totalWarningsCount": 0}, {}


def make_handler(stub: DittoStub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.path not in (EXECUTE_PATH, COUNT_PATH):
                status, body, headers = 404, {"error": {"description": "no such route"}}, {}
            else:
                auth = self.headers.get("Authorization", "")
                status, body, headers = stub.answer(self.path, auth, json.loads(raw or b"{}"))
            payload = json.dumps(body).encode()
            try:
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (the timeout test)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def stub() -> Iterator[DittoStub]:
    with http_server() as server:
        fake = DittoStub(server)
        server.RequestHandlerClass = make_handler(fake)
        yield fake


@pytest.fixture
def ditto_env(monkeypatch: pytest.MonkeyPatch, stub: DittoStub, settings: list[str]) -> list[str]:
    """The test database, and Ditto settings pointing at the stub; returns the argv prefix."""
    monkeypatch.setenv("DITTO_APP_ID", APP_ID)
    monkeypatch.setenv("DITTO_API_KEY", KEY)
    monkeypatch.setenv("DITTO_CLOUD_ENDPOINT", stub.endpoint)
    return settings


@pytest.fixture(scope="module")
def connector_copy(shared_dataset) -> dict[str, str]:
    """The session's shared dataset (300 customers, 1,500 orders) as the connector writes it into Ditto: JSON text
    per synced collection, read once for the module."""
    db = shared_dataset[0]
    return {c.name: json.dumps([as_ditto(c, doc) for doc in db[c.name].find()]) for c in SYNCED}


@pytest.fixture
def loaded(ditto_env: list[str], stub: DittoStub, shared_dataset, connector_copy, monkeypatch, capsys) -> list[str]:
    """The shared dataset in MongoDB, which verify_sync only reads (a test that writes to it asks for shared_loaded,
    which puts it back), copied into the stub as the connector would."""
    monkeypatch.setenv("MONGODB_DATABASE", shared_dataset[0].name)
    stub.load(connector_copy)
    capsys.readouterr()  # the shared dataset's load, when this test is the first to use it
    return ditto_env


def run(argv: list[str], capsys) -> tuple[int, dict[str, list[str]], str, str]:
    """main(argv), its table rows by collection, stdout and stderr; the key is never in either."""
    code = verify_sync.main(argv)
    out, err = capsys.readouterr()
    assert KEY not in out + err
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines()[2:] if line.strip()}
    return code, rows, out, err


def counts(value: str) -> int:
    return int(value.replace(",", ""))


# ---------------------------------------------------------------- in sync, and what is compared


def test_in_sync_exits_0_with_the_table(loaded, stub, shared_dataset, capsys) -> None:
    code, rows, out, err = run(loaded, capsys)
    assert code == 0, err
    assert out.splitlines()[0].split() == list(verify_sync.HEADERS)
    assert list(rows) == [c.name for c in SYNCED] and "product_embeddings" not in out
    db = shared_dataset[0]
    for c in SYNCED:
        mongo, ditto, sampled, matching, missing, differing, *status = rows[c.name]
        total = db[c.name].count_documents({})
        assert counts(mongo) == counts(ditto) == total, c.name
        assert counts(sampled) == counts(matching) == min(20, total), c.name
        assert (missing, differing, " ".join(status)) == ("0", "0", "in sync"), c.name
    assert "MongoDB and Ditto are in sync: 8 collections" in err
    local_note = "MongoDB is the local server: the Ditto connector cannot sync from it"
    assert (local_note in err) == server_info(db.client).is_local
    assert not [s for s, _ in stub.statements if not (COUNT.fullmatch(s) or BY_ID.fullmatch(s))]


def test_the_connectors_metadata_is_left_out_on_both_sides_and_said(loaded, stub, shared_loaded, capsys) -> None:
    """MongoDB documents carrying `_mdb` as the connector leaves it (other values than Ditto's copy holds) are in
    sync; a real difference next to it is still found."""
    marked = ("stores", "products", "customers", "orders", "order_items")
    for name in marked:
        for doc in shared_loaded[name].find().sort("_id", 1):  # every one: the sample takes some of them
            shared_loaded[name].update_one({"_id": doc["_id"]}, {"$set": {"_mdb": connector_metadata(doc["_id"], 9)}})
    sampled = {c.name: min(20, shared_loaded[c.name].count_documents({})) for c in SYNCED}
    code, rows, _, err = run(loaded, capsys)
    assert code == 0, err
    assert (
        f"not compared: the connector's metadata (_mdb), on {sum(sampled[n] for n in marked)} of "
        f"{sum(sampled.values())} compared documents in MongoDB and {sum(sampled.values())} of their copies in Ditto"
    ) in err
    stub.alter("orders", "order_00000001", "total", 0.5)
    stub.alter("orders", "order_00000001", "_mdb.ct", [1, 2])
    code, rows, _, err = run(loaded, capsys)
    assert code == 1 and rows["orders"][5] == "1"
    line = next(x for x in err.splitlines() if "orders order_00000001:" in x)
    assert "total: MongoDB" in line and "_mdb" not in line


def test_device_writes_mongodb_rejected_are_counted_named_and_exit_1(loaded, stub, shared_loaded, capsys) -> None:
    parked = shared_loaded[UNSYNCED]
    try:
        parked.insert_many([{"_id": f"w-{n}", "reason": f"Document failed validation {n}"} for n in range(7)])
        code, _, _, err = run(loaded, capsys)
        assert code == 1
        assert err.count("rejected by MongoDB: ") == REJECTED_SHOWN
        assert "rejected by MongoDB: w-0: Document failed validation 0" in err
        assert err.strip().splitlines()[-1] == (
            f"error: MongoDB rejected 7 device writes (the connector keeps them in {UNSYNCED})"
        )
        parked.delete_many({})
        code, _, _, err = run(loaded, capsys)
        assert code == 0 and "device writes MongoDB rejected: none" in err
    finally:
        shared_loaded.drop_collection(UNSYNCED)
    code, _, _, err = run(loaded, capsys)
    assert code == 0 and f"device writes MongoDB rejected: no {UNSYNCED} collection yet" in err


def test_sample_is_deterministic_spread_and_uses_the_mapped_ids(loaded, stub, capsys) -> None:
    assert run([*loaded, "--sample", "5"], capsys)[0] == 0
    first = [a["id"] for s, a in stub.statements if BY_ID.fullmatch(s)]
    stub.statements.clear()
    assert run([*loaded, "--sample", "5"], capsys)[0] == 0
    assert [a["id"] for s, a in stub.statements if BY_ID.fullmatch(s)] == first
    fetched = {}
    for statement, args in stub.statements:
        if match := BY_ID.fullmatch(statement):
            fetched.setdefault(match[1], []).append(args["id"])
    assert fetched["orders"] == ["order_00000001", "order_00000301", "order_00000601", "order_00000901",
                                 "order_00001201"]  # fmt: skip
    assert fetched["stores"][0] == "store_bellevue" and len(fetched["stores"]) == 5
    assert all(set(i) == {"store_id", "product_id"} for i in fetched["inventory"])
    assert len({i["store_id"] for i in fetched["inventory"]}) > 1


def test_sample_zero_compares_counts_only(loaded, stub, capsys) -> None:
    code, rows, _, _ = run([*loaded, "--sample", "0"], capsys)
    assert code == 0 and all(r[2] == "0" for r in rows.values())
    assert not [s for s, _ in stub.statements if BY_ID.fullmatch(s)]


# ---------------------------------------------------------------- out of sync


def test_missing_and_differing_documents_are_reported_by_id(loaded, stub, capsys) -> None:
    stub.drop("orders", "order_00000001")
    inventory_id = {"store_id": "store_bellevue", "product_id": "prod_elc_cord_001"}
    stub.alter("inventory", inventory_id, "location.aisle", "Z99")
    stub.alter("customers", "cust_000001", "phone", None)
    code, rows, _, err = run(loaded, capsys)
    assert code == 1
    assert rows["orders"][4:7] == ["1", "0", "NOT"] and counts(rows["orders"][0]) == counts(rows["orders"][1]) + 1
    assert rows["inventory"][4:6] == ["0", "1"] and rows["inventory"][0] == rows["inventory"][1]
    assert rows["customers"][4:6] == ["0", "1"]
    assert rows["stores"][-2:] == ["in", "sync"]
    assert "orders order_00000001: missing in Ditto" in err
    line = next(x for x in err.splitlines() if "inventory {" in x)
    assert '"store_id":"store_bellevue"' in line and "location.aisle: MongoDB" in line and "Ditto Z99" in line
    assert re.search(r"customers cust_000001: phone: MongoDB \(\d{3}\) \d{3}-\d{4}, Ditto null", err)
    assert err.strip().splitlines()[-1].startswith("error: MongoDB and Ditto are not in sync: ")
    assert "orders (1,500 in MongoDB, 1,499 in Ditto, 1 missing)" in err


def test_counts_differ_and_soft_deleted_documents_are_left_out(loaded, stub, shared_loaded, capsys) -> None:
    shared_loaded.customers.update_one({"customer_id": "cust_000150"}, {"$set": {"deleted": True}})
    stub.alter("customers", "cust_000150", "deleted", True)
    code, rows, _, err = run(loaded, capsys)
    assert code == 0, err
    assert rows["customers"][:2] == ["299", "299"]
    extra = {**stub.docs["customers"][key_of("cust_000001")], "_id": "cust_999999", "customer_id": "cust_999999"}
    stub.docs["customers"][key_of("cust_999999")] = extra
    code, rows, _, err = run(loaded, capsys)
    assert code == 1
    assert rows["customers"][:2] == ["299", "300"] and rows["customers"][3:6] == ["20", "0", "0"]
    assert "not in sync: customers (299 in MongoDB, 300 in Ditto)" in err


def test_wait_polls_until_ditto_catches_up(loaded, stub, capsys) -> None:
    stub.drop("products", "prod_elc_cord_001", seconds=1.5)
    began = time.monotonic()
    code, rows, _, err = run([*loaded, "--wait", "30"], capsys)
    assert code == 0, err
    assert 1.5 <= time.monotonic() - began < 20
    assert "not in sync yet: products (424 in MongoDB, 423 in Ditto, 1 missing); checking again in" in err
    assert rows["products"][-2:] == ["in", "sync"]


def test_wait_gives_up_at_the_timeout(loaded, stub, capsys) -> None:
    stub.drop("products", "prod_elc_cord_001")
    began = time.monotonic()
    code, _, _, err = run([*loaded, "--wait", "1", "--sample", "3"], capsys)
    assert code == 1 and time.monotonic() - began < 15
    assert "not in sync after waiting 1 s: products (424 in MongoDB, 423 in Ditto, 1 missing)" in err


# ---------------------------------------------------------------- HTTP failures


def test_429_and_500_are_retried_then_succeed(loaded, stub, capsys) -> None:
    stub.fail(429, 2, {"Retry-After": "0"})
    stub.fail(500, 1)
    code, _, _, err = run([*loaded, "--sample", "2"], capsys)
    assert code == 0, err
    assert not stub.failures
    assert stub.statements[0][0] == "SELECT COUNT(*) AS n FROM stores WHERE deleted = false"


@pytest.mark.parametrize("status", [401, 403])
def test_refused_key_is_one_clear_line_without_the_key(ditto_env, stub, status, capsys) -> None:
    stub.fail(status, 1)
    code, _, out, err = run(ditto_env, capsys)
    assert code == 1 and out == ""
    assert err.strip().splitlines()[-1] == f"error: Ditto refused the key (HTTP {status}): check DITTO_API_KEY"


def test_wrong_key_echoed_back_is_never_printed(ditto_env, stub, monkeypatch, capsys) -> None:
    monkeypatch.setenv("DITTO_API_KEY", "wrong-" + KEY)
    code, _, out, err = run(ditto_env, capsys)
    assert code == 1 and "DITTO_API_KEY" in err and "wrong-" not in out + err


def test_404_names_the_endpoint_setting(ditto_env, monkeypatch, stub, capsys) -> None:
    monkeypatch.setenv("DITTO_CLOUD_ENDPOINT", stub.endpoint + "/not-here/")
    code, _, _, err = run(ditto_env, capsys)
    assert code == 1
    line = err.strip().splitlines()[-1]
    assert "HTTP 404" in line and "/not-here/api/v5/store/execute" in line and "DITTO_CLOUD_ENDPOINT" in line
    assert "Cloud URL Endpoint" in line


def test_refused_count_falls_back_to_the_count_endpoint(loaded, stub, shared_dataset, capsys) -> None:
    stub.refuse_count = True
    stub.drop("orders", "order_00000007")
    code, rows, _, err = run([*loaded, "--sample", "0"], capsys)
    assert code == 1
    assert [s for s, _ in stub.statements if COUNT.fullmatch(s)] == [
        "SELECT COUNT(*) AS n FROM stores WHERE deleted = false"
    ]  # refused once, then never asked again
    assert [b["collection"] for b in stub.counted] == [c.name for c in SYNCED]
    assert all(b["query"] == "deleted == false" for b in stub.counted)
    assert "Ditto refused SELECT COUNT(*)" in err and "counted with /store/count (deleted == false)" in err
    db = shared_dataset[0]
    assert counts(rows["orders"][1]) == db.orders.count_documents({}) - 1
    assert counts(rows["stores"][0]) == counts(rows["stores"][1]) == 8


def test_gives_up_after_the_retries(stub) -> None:
    stub.fail(503, 10)
    delays: list[float] = []
    ditto = DittoClient(stub.endpoint, KEY, APP_ID, max_retries=3, sleep=delays.append)
    with pytest.raises(KitError, match=r"^Ditto kept failing \(HTTP 503\) after 4 attempts: scripted 503 for ") as info:
        ditto.execute("SELECT COUNT(*) AS n FROM stores WHERE deleted = false")
    assert KEY not in str(info.value) and "Bearer ****" in str(info.value)
    assert delays == [0.5, 1.0, 2.0]


def test_unreachable_endpoint_retries_then_one_line() -> None:
    port = free_port()
    delays: list[float] = []
    ditto = DittoClient(f"http://127.0.0.1:{port}", KEY, APP_ID, max_retries=2, sleep=delays.append)
    with pytest.raises(KitError) as info:
        ditto.execute("SELECT COUNT(*) AS n FROM stores WHERE deleted = false")
    assert str(info.value) == (
        f"cannot reach Ditto at 127.0.0.1:{port} after 3 attempts (connection failed): "
        "check DITTO_CLOUD_ENDPOINT and the network"
    )
    assert delays == [0.5, 1.0]


def test_a_service_that_does_not_answer_in_time_is_retried_then_one_line(stub) -> None:
    stub.delay = 1.0
    delays: list[float] = []
    ditto = DittoClient(stub.endpoint, KEY, APP_ID, timeout=0.2, max_retries=1, sleep=delays.append)
    with pytest.raises(KitError) as info:
        ditto.execute("SELECT COUNT(*) AS n FROM stores WHERE deleted = false")
    assert str(info.value) == (
        f"cannot reach Ditto at 127.0.0.1:{stub.server.server_address[1]} after 2 attempts (timed out): "
        "check DITTO_CLOUD_ENDPOINT and the network"
    )
    assert delays == [0.5]


def test_unsupported_statement_carries_dittos_message(stub) -> None:
    with pytest.raises(KitError, match=r"^Ditto rejected 'SELECT 1' \(HTTP 400\): unsupported statement SELECT 1$"):
        DittoClient(stub.endpoint, KEY).execute("SELECT 1")


# ---------------------------------------------------------------- settings


def test_connection_string_in_the_endpoint_exits_2_with_a_hint(ditto_env, monkeypatch) -> None:
    monkeypatch.setenv("DITTO_CLOUD_ENDPOINT", "mongodb+srv://zava:Sup3rSecret@cluster0.abcde.mongodb.net/")
    result = run_script("verify_sync", *ditto_env)
    assert result.returncode == 2 and result.stdout == ""
    assert "DITTO_CLOUD_ENDPOINT holds a MongoDB connection string" in result.stderr
    assert "MONGODB_CONNECTION_STRING" in result.stderr and "Cloud URL Endpoint" in result.stderr
    assert "cloud.ditto.live" not in result.stderr
    assert "Sup3rSecret" not in result.stderr and KEY not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("unset", "named"),
    [
        (["DITTO_APP_ID"], "DITTO_APP_ID is not set"),
        (["DITTO_APP_ID", "DITTO_API_KEY"], "DITTO_APP_ID and DITTO_API_KEY are not set"),
        (["DITTO_CLOUD_ENDPOINT"], "DITTO_CLOUD_ENDPOINT is not set"),
    ],
)
def test_missing_settings_exit_2_naming_them(ditto_env, monkeypatch, capsys, unset, named) -> None:
    for name in unset:
        monkeypatch.delenv(name)
    code, _, out, err = run(ditto_env, capsys)
    assert code == 2 and out == ""
    assert err.strip().startswith(f"error: {named}")


def test_missing_endpoint_is_one_line_and_exits_2_without_a_guess(ditto_env, monkeypatch, capsys) -> None:
    monkeypatch.delenv("DITTO_CLOUD_ENDPOINT")
    code, _, out, err = run(ditto_env, capsys)
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: DITTO_CLOUD_ENDPOINT is not set")
    assert "Cloud URL Endpoint" in lines[0] and "cloud.ditto.live" not in lines[0]


def test_endpoint_comes_from_the_setting_and_is_normalised() -> None:
    host = "a1b2c3d4-e5f6-7a8b-9c0d-e1f2a3b4c5d6.cloud.example.net"  # whatever the portal shows
    assert cloud_endpoint(f" {host}/ ") == f"https://{host}"
    assert cloud_endpoint(f"https://{host}/api/v4/") == f"https://{host}"
    assert cloud_endpoint(f"https://{host}/api/v5/store/execute") == f"https://{host}"
    assert cloud_endpoint("http://127.0.0.1:8080/api/v4/store/execute") == "http://127.0.0.1:8080"
    for missing in (None, "", "  "):
        with pytest.raises(ConfigError, match="^DITTO_CLOUD_ENDPOINT is not set: .*Cloud URL Endpoint"):
            cloud_endpoint(missing)
    for bad in ("ftp://example.com", "https://", f"https://{host}/?token=1"):
        with pytest.raises(ConfigError, match="DITTO_CLOUD_ENDPOINT must be"):
            cloud_endpoint(bad)


def test_requests_use_the_v5_execute_path_and_one_statement_each(stub) -> None:
    ditto = DittoClient(cloud_endpoint(stub.endpoint + "/api/v5"), KEY, APP_ID)
    assert ditto.execute("SELECT COUNT(*) AS n FROM stores WHERE deleted = false") == [{"n": 0}]
    assert ditto.count("stores", "deleted == false") == 0
    with pytest.raises(KitError, match="one statement per request"):
        ditto.execute("SELECT * FROM stores WHERE _id = :id;\nSELECT * FROM orders WHERE _id = :id", {"id": "x"})


# ---------------------------------------------------------------- comparison rules


def test_comparison_follows_the_connectors_conversions() -> None:
    expected = {
        "_id": "a",
        "qty": 3,
        "price": 19.99,
        "ok": True,
        "loc": {"aisle": "A1", "bin": 2},
        "when": "2025-01-02T03:04:05Z",
    }
    same = {
        "_id": "a",
        "qty": 3.0,
        "price": 19.99,
        "ok": True,
        "loc": {"bin": 2.0, "aisle": "A1"},
        "when": "2025-01-02T03:04:05Z",
    }
    assert differences(expected, same) == []
    changed = {**same, "qty": 4, "ok": 1, "loc": {"aisle": "B2"}, "extra": "x", "when": "2025-01-02"}
    del changed["price"]
    assert differences(expected, changed) == [
        "extra: only in Ditto (x)",
        "loc.aisle: MongoDB A1, Ditto B2",
        "loc.bin: missing in Ditto (MongoDB 2)",
        "ok: MongoDB true, Ditto 1",
        "price: missing in Ditto (MongoDB 19.99)",
        "qty: MongoDB 3, Ditto 4",
        "when: MongoDB 2025-01-02T03:04:05Z, Ditto 2025-01-02",
    ]
    assert differences({"m": {"a": 1}}, {"m": "a=1"}) == ['m: MongoDB {"a":1}, Ditto a=1']


def test_types_follow_the_connectors_json_and_ejson_modes() -> None:
    from datetime import UTC, datetime

    from bson import Decimal128, ObjectId

    store = next(c for c in SYNCED if c.name == "stores")
    when = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    oid = ObjectId("507f1f77bcf86cd799439011")
    mongo = {"_id": oid, "store_id": "s1", "price": Decimal128("19.90"), "at": when, "n": 3, "m": {"d": when}}
    as_json = {"_id": "s1", "store_id": "s1", "price": "19.9", "at": "2025-01-02T03:04:05.000Z", "n": 3,
               "m": {"d": "2025-01-02T03:04:05Z"}}  # fmt: skip
    assert compare(store, mongo, as_json) == []
    wrong = {**as_json, "price": 19.9, "at": {"$date": 1735787045000}, "m": {"d": "2025-01-02T03:04:06Z"}}
    assert compare(store, mongo, wrong) == [
        'at: MongoDB 2025-01-02T03:04:05+00:00, Ditto {"$date":1735787045000}',
        "m.d: MongoDB 2025-01-02T03:04:05+00:00, Ditto 2025-01-02T03:04:06Z",
        "price: MongoDB 19.90, Ditto 19.9",
    ]
    as_ejson = {"_id": "s1", "store_id": "s1", "price": {"$numberDecimal": "19.90"},
                "at": {"$date": {"$numberLong": "1735787045000"}}, "n": {"$numberInt": "3"},
                "m": {"d": {"$date": {"$numberLong": "1735787045000"}}}}  # fmt: skip
    assert compare(store, mongo, as_ejson, "ejson") == []
    assert compare(store, mongo, as_json, "ejson") != []
