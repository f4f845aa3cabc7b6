"""ditto_local_check.py: documents in the connector's form, the subset and MongoDB's side of every check,
the one-line skip without the Ditto SDK, and a real local Ditto store wherever the SDK is installed."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

import ditto_local_check
from common import ConfigError, KitError
from helpers import SCRIPTS, StallingProxy, free_port
from zava.catalog.loader import load_catalog
from zava.ditto.local_store import SYNCED, insert_statement, to_ditto
from zava.generation.dataset import Dataset, DatasetSpec
from zava.reads.calls import Aggregate, Find, FindOne
from zava.verify.ditto_local import checks, choose_subset, difference, read_subset, unchecked, within

SKIP_LINE = "skipped: the Ditto Python SDK is not available"
# The interpreter for the real run: DITTO_PYTHON (a venv with requirements-ditto.txt) or this one.
DITTO_PYTHON = os.environ.get("DITTO_PYTHON") or sys.executable
# `world` (conftest.py) is the session's loaded dataset, orders from 2024-01-01 to 2025-07-01; the check only reads
# MongoDB, and the one test that writes there puts the document back.


def _types(value):
    """The value's shape with every scalar replaced by its type: `==` alone treats 1 and 1.0 as equal."""
    if isinstance(value, dict):
        return {k: _types(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_types(v) for v in value]
    return type(value)


def _without_id(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k != "_id"}


# ---------------------------------------------------------------- no SDK, no server


def test_to_ditto_keeps_every_value_and_type_and_sets_the_connector_id():
    start, end = datetime(2024, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC)
    seen = set()
    for name, batch in Dataset(DatasetSpec(60, 400, start, end, 5), load_catalog()).batches():
        if name not in SYNCED:
            with pytest.raises(KitError, match="does not sync"):
                to_ditto(name, batch[0])
            continue
        fields = SYNCED[name].id_fields
        for doc in batch:
            before = copy.deepcopy(doc)
            out = to_ditto(name, doc)
            assert doc == before
            assert _without_id(out) == _without_id(doc)
            assert _types(_without_id(out)) == _types(_without_id(doc))
            if fields == ("_id",):
                assert out["_id"] == doc["_id"]
            elif len(fields) == 1:
                assert out["_id"] == doc[fields[0]] and isinstance(out["_id"], str)
            else:
                assert out["_id"] == {"store_id": doc["store_id"], "product_id": doc["product_id"]}
        seen.add(name)
    assert seen == set(SYNCED)


def test_to_ditto_refuses_what_it_cannot_convert():
    order = {"_id": "order_1", "order_id": "order_1", "placed": {"at": datetime(2025, 1, 1, tzinfo=UTC)}}
    with pytest.raises(KitError, match=r"placed\.at: datetime"):
        to_ditto("orders", order)
    with pytest.raises(KitError, match="lacks its ID field 'product_id'"):
        to_ditto("inventory", {"_id": {"store_id": "s"}, "store_id": "s"})


def test_insert_statement_names_one_argument_per_document():
    docs = [{"_id": "a"}, {"_id": "b"}, {"_id": "c"}]
    dql, args = insert_statement("orders", docs)
    assert dql == "INSERT INTO orders DOCUMENTS (:d0), (:d1), (:d2)"
    assert args == {"d0": docs[0], "d1": docs[1], "d2": docs[2]}


def test_difference_finds_changed_missing_reordered_and_retyped_rows():
    rows = [{"_id": "a", "n": 1, "price": 9.99, "m": {"x": 1}}, {"_id": "b", "n": 2, "price": 0.1 + 0.2, "m": {}}]
    by_n = lambda r: r["n"]  # noqa: E731
    assert difference(list(reversed(rows)), rows, None) is None
    assert difference([{**rows[0], "price": 9.99 + 1e-12}, rows[1]], rows, by_n) is None
    assert difference(list(reversed(rows)), rows, by_n) == "the rows are not in the ORDER BY order"
    assert difference([{**rows[0], "m": {"x": 2}}, rows[1]], rows, by_n) == (
        "Ditto-only rows: 1, MongoDB-only rows: 1; closest pair differs at m.x: Ditto 2, MongoDB 1"
    )
    assert difference([rows[0], {**rows[1], "n": 2.0}], rows, None).endswith("differs at n: Ditto 2.0, MongoDB 2")
    assert difference([rows[0], {**rows[1], "extra": True}], rows, None).endswith("at extra: Ditto True, MongoDB None")
    assert difference(rows[:1], rows, None).startswith('Ditto-only rows: 0, MongoDB-only rows: 1, e.g. {"_id": "b"')
    assert difference(rows + rows[:1], rows, None).startswith("Ditto-only rows: 1, MongoDB-only rows: 0")


def test_within_joins_what_the_app_holds_to_a_calls_own_filter():
    held = {"store_id": "s", "order_date": {"$gte": "2025-01"}}
    find = Find(collection="orders", filter={"customer_id": "c"}, sort={"order_date": -1}, limit=5)
    assert within(find, held) == Find(collection="orders", filter={**held, "customer_id": "c"}, sort=find.sort, limit=5)
    one = FindOne(collection="orders", filter={"order_date": {"$gte": "2025-03"}})
    assert within(one, held).filter == {"$and": [held, {"order_date": {"$gte": "2025-03"}}]}
    assert within(one, {}) is one
    grouped = Aggregate(
        collection="orders", pipeline=[{"$group": {"_id": "$store_id", "n": {"$sum": 1}}}], key_names=("store_id",)
    )
    assert within(grouped, held).pipeline == [{"$match": held}, *grouped.pipeline]
    matched = Aggregate(collection="orders", pipeline=[{"$match": {"store_id": "s"}}, *grouped.pipeline])
    assert within(matched, held).pipeline[0] == {"$match": held}


# ---------------------------------------------------------------- MongoDB's side


def test_subset_holds_one_stores_recent_orders_and_the_catalog(world):
    db = world["db"]
    subset = choose_subset(db, "store_seattle", 90, None)
    docs = read_subset(db, subset)
    latest = max(o["order_date"] for o in db.orders.find({"store_id": "store_seattle"}, {"order_date": 1}))
    assert datetime.fromisoformat(latest) - datetime.fromisoformat(subset.since) == timedelta(days=90)
    assert docs["orders"] and {o["store_id"] for o in docs["orders"]} == {"store_seattle"}
    assert all(o["order_date"] >= subset.since for o in docs["orders"] + docs["order_items"])
    assert {i["order_id"] for i in docs["order_items"]} == {o["order_id"] for o in docs["orders"]}
    assert len(docs["inventory"]) == 424 and {i["store_id"] for i in docs["inventory"]} == {"store_seattle"}
    assert [len(docs[c]) for c in ("stores", "categories", "products")] == [8, 9, 424]
    assert "customers" not in docs

    capped = choose_subset(db, "store_seattle", 90, 5)
    assert 5 <= len(list(db.orders.find(capped.filters()["orders"]))) <= 6
    with pytest.raises(ConfigError, match="--store store_nowhere: no such store"):
        choose_subset(db, "store_nowhere", 90, None)


def test_every_check_has_mongodb_rows_to_compare(world):
    db = world["db"]
    subset = choose_subset(db, "store_seattle", 90, None)
    run = checks(db, subset)
    expected = {c.name: c.expected() for c in run}
    assert unchecked(run) == ["customer_by_email", "revenue_by_segment", "store_pro_accounts"]  # they read customers
    assert all(expected[name] for name in expected), [n for n, rows in expected.items() if not rows]
    assert {len(expected[n]) for n in ("stock_decrement", "location_move", "order_status", "soft_delete")} == {1}
    assert len(expected["new_order"]) == 2 and len(expected["reorder_report"]) == 1
    assert set(expected["top_products_30_days"][0]) == {"product_id", "revenue", "units"}
    assert set(expected["revenue_by_store_month"][0]) == {"store_id", "month", "revenue"}
    assert set(expected["sales_by_store_year"][0]) == {"store_id", "orders", "revenue", "avg_order_value"}
    assert set(expected["monthly_sales"][0]) == {"month", "orders", "revenue"}
    current = db.inventory.find_one({"store_id": "store_seattle"}, sort=[("product_id", 1)])
    decrement = next(c for c in run if c.name == "stock_decrement")
    assert decrement.args["new_level"] == current["stock_level"] - 1
    assert decrement.args["inventory_id"] == {"store_id": "store_seattle", "product_id": current["product_id"]}
    assert expected["stock_decrement"][0]["stock_level"] == current["stock_level"] - 1


# ---------------------------------------------------------------- the script


# Imported first in the child: `import ditto` fails as it does where the SDK is not installed.
NO_SDK = """
import sys
class NoDitto:
    def find_spec(self, name, path=None, target=None):
        if name == "ditto":
            raise ModuleNotFoundError("No module named 'ditto'", name=name)
sys.meta_path.insert(0, NoDitto())
"""


def test_prints_one_skip_line_and_succeeds_when_the_sdk_cannot_be_imported(world, tmp_path):
    """Without the SDK (here whether or not it is installed): one line that says why and how to get it, exit 0."""
    script = SCRIPTS / "ditto_local_check.py"
    argv = [str(script), *world["settings"], "--dir", str(tmp_path / "store")]
    code = (
        f"{NO_SDK}\nimport runpy; sys.argv = {argv!r}; sys.path.insert(0, {str(SCRIPTS)!r}); "
        "runpy.run_path(sys.argv[0], run_name='__main__')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and SKIP_LINE in lines[0]
    assert "pip install -r requirements-ditto.txt" in lines[0] and "glibc >= 2.35, macOS arm64" in lines[0]
    assert "No module named 'ditto'" in lines[0]
    assert not (tmp_path / "store").exists()


def _has_sdk(python: str) -> bool:
    probe = subprocess.run([python, "-c", "import ditto; ditto.DittoConfig"], capture_output=True, timeout=60)
    return probe.returncode == 0


def test_real_local_ditto_store_answers_like_mongodb(world, tmp_path):
    """With the SDK (in this interpreter or DITTO_PYTHON): a real load and every answer matching MongoDB's.
    Without it, this test is skipped (the script's skip line has its test above)."""
    if not _has_sdk(DITTO_PYTHON):
        pytest.skip(
            f"the Ditto Python SDK is not installed for {DITTO_PYTHON}: pip install -r requirements-ditto.txt "
            "(make test builds .venv-ditto), or set DITTO_PYTHON to a Python that has it"
        )
    store_dir = tmp_path / "store"
    argv = [str(SCRIPTS / "ditto_local_check.py"), *world["settings"], "--dir", str(store_dir), "--batch", "200"]
    result = subprocess.run(
        [DITTO_PYTHON, *argv], capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL
    )
    assert result.returncode == 0, result.stdout + result.stderr
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines() if line.strip()}
    assert rows["inventory"][1] == "424" and rows["stores"][1] == "8"
    for name in ("store_by_id", "low_stock", "category_month_revenue", "stock_decrement", "new_order"):
        assert rows[name][3] == "yes", result.stdout
    expected = len(checks(world["db"], choose_subset(world["db"], "store_seattle", 90, None)))  # the script's defaults
    assert expected >= 16 and result.stdout.count(" yes ") == expected and " no " not in result.stdout
    assert "docs/s" in result.stderr and f"all {expected} Ditto answers match MongoDB's" in result.stderr
    assert (store_dir / "__ditto_version.txt").exists()

    again = subprocess.run([DITTO_PYTHON, *argv], capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr  # EVICT empties the earlier run's collections first
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("not a Ditto store")
    argv[argv.index(str(store_dir))] = str(tmp_path / "other")
    refused = subprocess.run([DITTO_PYTHON, *argv], capture_output=True, text=True, timeout=300)
    assert refused.returncode == 1 and "holds other files" in refused.stderr
    assert (tmp_path / "other" / "notes.txt").read_text() == "not a Ditto store"


# ---------------------------------------------------------------- the script's flags and exit codes


def _check(python: str, settings: list[str], store_dir, *flags: str, uri: str | None = None):
    env = {**os.environ, **({"MONGODB_CONNECTION_STRING": uri} if uri else {})}
    argv = [python, str(SCRIPTS / "ditto_local_check.py"), *settings, "--dir", str(store_dir), "--quiet", *flags]
    return subprocess.Popen(
        argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _run(*args, **kwargs) -> tuple[int, str, str]:
    process = _check(*args, **kwargs)
    out, err = process.communicate(timeout=120)
    return process.returncode, out, err


@pytest.fixture(scope="module")
def sdk_python() -> str:
    if not _has_sdk(DITTO_PYTHON):
        pytest.skip(f"no Ditto SDK for {DITTO_PYTHON}: pip install -r requirements-ditto.txt (or set DITTO_PYTHON)")
    return DITTO_PYTHON


@pytest.fixture(scope="module")
def early_exits(world, sdk_python, tmp_path_factory):
    """The runs that stop before opening a store, started at once: the one against a port where no server answers
    waits out its 5 s while the tests between run. name -> (the process, its store folder, its MongoDB URI)."""
    folder = tmp_path_factory.mktemp("early_exits")
    unreachable = f"mongodb://127.0.0.1:{free_port()}"
    runs = {
        "unknown_store": (folder / "unknown_store", ("--store", "store_nowhere"), None),
        "unreachable": (folder / "unreachable", (), unreachable),
    }
    started = {
        name: (_check(sdk_python, world["settings"], store_dir, *flags, uri=uri), store_dir, uri)
        for name, (store_dir, flags, uri) in runs.items()
    }
    yield started
    for process, _, _ in started.values():
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=30)


def _finished(run) -> tuple[int, str, str]:
    process = run[0]
    out, err = process.communicate(timeout=120)
    return process.returncode, out, err


@pytest.mark.parametrize("flag", ["--days", "--orders", "--batch"])
def test_a_flag_below_1_exits_2_before_anything_else(world, tmp_path, flag, capsys):
    code = ditto_local_check.main([*world["settings"], "--dir", str(tmp_path / "store"), "--quiet", flag, "0"])
    out, err = capsys.readouterr()
    assert (code, out, err) == (2, "", f"error: {flag} must be at least 1, got 0\n")
    assert not (tmp_path / "store").exists()


def test_an_unknown_store_exits_2_and_lists_the_stores(world, early_exits):
    code, out, err = _finished(early_exits["unknown_store"])
    assert code == 2 and out == ""
    assert err.startswith("error: --store store_nowhere: no such store (choose from: store_") and err.count("\n") == 1
    assert all(store["_id"] in err for store in world["db"].stores.find())
    assert not early_exits["unknown_store"][1].exists()


def test_an_answer_that_differs_exits_1_naming_the_field(world, sdk_python, mongo_uri, tmp_path):
    """A write between the load and the checks (what running beside the simulator does) is a mismatch."""
    stores = world["db"].stores
    original = stores.find_one({"_id": "store_seattle"})

    def write_first(command: dict) -> bool:
        if command.get("find") == "stores" and command.get("filter") == {"store_id": "store_seattle"}:
            stores.update_one({"_id": "store_seattle"}, {"$set": {"store_name": "Renamed Meanwhile"}})
        return False

    try:
        with StallingProxy(mongo_uri, write_first) as proxy:
            code, out, err = _run(sdk_python, world["settings"], tmp_path / "store", uri=proxy.uri)
    finally:
        stores.replace_one({"_id": "store_seattle"}, original)
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.strip()}
    assert code == 1, err
    assert rows["store_by_id"][3] == "no" and rows["product_by_sku"][3] == "yes"
    assert "store_by_id: Ditto-only rows: 1, MongoDB-only rows: 1; closest pair differs at store_name: Ditto " in err
    assert err.strip().splitlines()[-1].startswith("error: 1 of ") and err.strip().endswith(
        "differ from MongoDB's: store_by_id"
    )


def test_a_store_folder_in_use_exits_1(world, sdk_python, mongo_uri, tmp_path):
    """The first run holds the folder (stalled at its first check); a second run on it gives up with one line."""
    store_dir = tmp_path / "store"
    held = lambda command: command.get("find") == "stores" and command.get("filter") == {"store_id": "store_seattle"}  # noqa: E731
    with StallingProxy(mongo_uri, held) as proxy:
        first = _check(sdk_python, world["settings"], store_dir, uri=proxy.uri)
        assert proxy.stalled.wait(60), "the first run never reached its checks"
        code, out, err = _run(sdk_python, world["settings"], store_dir)
    first.communicate(timeout=60)
    assert code == 1 and out == ""
    assert err.strip() == f"error: another process is using the local Ditto store in {store_dir}"


def test_mongodb_unreachable_exits_1_before_opening_a_store(early_exits):
    _, store_dir, uri = early_exits["unreachable"]
    code, out, err = _finished(early_exits["unreachable"])
    assert (code, out, err.strip()) == (1, "", f"error: cannot reach MongoDB at {uri} within 5 s")
    assert not store_dir.exists()
