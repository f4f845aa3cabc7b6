"""Index, clear, change-stream and initial-sync scripts, read back from a real server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from pymongo.errors import DuplicateKeyError

import clear_mongodb_data
import create_indexes
import drop_indexes
import enable_change_streams
import generate_mongodb_data
import test_change_streams as change_stream_check
import trigger_initial_sync
from conftest import SCRIPTS, free_port, run_script
from zava.model.collections import COLLECTION_NAMES, SYNCED_COLLECTIONS
from zava.model.indexes import INDEXES, spec_signature
from zava.mongo.change_streams import PROBE_COLLECTION
from zava.mongo.initial_sync import MARKER_FIELD, SyncState
from zava.mongo.server import server_info

SMALL = ["--customers", "200", "--orders", "800", "--quiet", "--yes"]


@pytest.fixture
def loaded(client, db_name, settings):
    assert generate_mongodb_data.main([*settings, *SMALL]) == 0
    return client[db_name]


def index_signatures(db, name):
    return {tuple(ix["key"]): ix for ix in db[name].list_indexes()}


def test_create_indexes_builds_every_index_once(loaded, client, settings, capsys):
    local = server_info(client).is_local
    assert create_indexes.main(settings) == 0
    out, err = capsys.readouterr()
    for spec in INDEXES:
        if spec.is_text and local:  # the local server keeps text indexes out of listIndexes
            assert f"{spec.name}" in out
            continue
        found = index_signatures(loaded, spec.collection).get(spec_signature(spec))
        assert found is not None, spec.name
        assert bool(found.get("unique")) == spec.unique, spec.name
        if not local:
            assert found["name"] == spec.name and list(found["key"].items()) == list(spec.keys)
    if local:
        assert "vector index product_description_vector skipped: the local server has no Atlas Search" in err
    product = loaded.products.find_one({}, {"_id": 0})
    with pytest.raises(DuplicateKeyError):
        loaded.products.insert_one({**product, "_id": "prod_copy", "product_id": "prod_copy"})
    customer = loaded.customers.find_one({}, {"_id": 0})
    with pytest.raises(DuplicateKeyError):
        loaded.customers.insert_one({**customer, "_id": "cust_copy", "customer_id": "cust_copy"})

    assert create_indexes.main(settings) == 0
    assert f"{len(INDEXES) + 1} indexes on" in capsys.readouterr().err
    capsys.readouterr()
    assert create_indexes.main(settings) == 0
    assert ": 0 created" in capsys.readouterr().err


def test_committed_mongosh_script_is_the_emitted_one(capsys):
    assert create_indexes.main(["--emit-js"]) == 0
    assert capsys.readouterr().out == (SCRIPTS / "create_indexes.js").read_text()


def test_drop_indexes_asks_first_then_keeps_id_and_data(loaded, settings, capsys):
    assert create_indexes.main(settings) == 0
    before = {name: sorted(ix["name"] for ix in loaded[name].list_indexes()) for name in COLLECTION_NAMES}
    counts = {name: loaded[name].count_documents({}) for name in COLLECTION_NAMES}
    capsys.readouterr()
    assert drop_indexes.main(settings) == 1
    assert "DROP INDEXES" not in capsys.readouterr().out and before == {
        name: sorted(ix["name"] for ix in loaded[name].list_indexes()) for name in COLLECTION_NAMES
    }
    assert drop_indexes.main([*settings, "--yes"]) == 0
    for name in COLLECTION_NAMES:
        assert [ix["name"] for ix in loaded[name].list_indexes()] == ["_id_"], name
        assert loaded[name].count_documents({}) == counts[name]
    assert drop_indexes.main([*settings, "--yes"]) == 0
    assert "no indexes to drop" in capsys.readouterr().err


def test_clear_empties_only_the_project_collections_and_keeps_indexes(loaded, client, settings, capsys):
    assert create_indexes.main(settings) == 0
    loaded.visitor_notes.insert_one({"_id": "not ours"})
    indexes = {name: sorted(ix["name"] for ix in loaded[name].list_indexes()) for name in COLLECTION_NAMES}
    if not server_info(client).is_local:
        loaded.command("collMod", "orders", changeStreamPreAndPostImages={"enabled": True})
    assert clear_mongodb_data.main(settings) == 1  # no terminal, no --yes
    assert loaded.orders.count_documents({}) == 800
    assert clear_mongodb_data.main([*settings, "--yes"]) == 0
    for name in COLLECTION_NAMES:
        assert loaded[name].count_documents({}) == 0, name
        assert sorted(ix["name"] for ix in loaded[name].list_indexes()) == indexes[name], name
    assert loaded.visitor_notes.count_documents({}) == 1
    if not server_info(client).is_local:
        options = next(loaded.list_collections(filter={"name": "orders"}))["options"]
        assert options["changeStreamPreAndPostImages"] == {"enabled": True}
    assert "every collection is empty" in capsys.readouterr().err


def test_enable_change_streams_creates_and_enables_every_synced_collection(client, db_name, settings, capsys):
    local = server_info(client).is_local
    assert enable_change_streams.main(settings) == 0
    out, err = capsys.readouterr()
    db = client[db_name]
    assert set(SYNCED_COLLECTIONS) <= set(db.list_collection_names())
    assert "product_embeddings" not in db.list_collection_names()
    if local:
        assert out.count("accepted") == len(SYNCED_COLLECTIONS)
        assert "the local server accepts the setting but never delivers pre-images" in err
    else:
        for name in SYNCED_COLLECTIONS:
            options = next(db.list_collections(filter={"name": name}))["options"]
            assert options["changeStreamPreAndPostImages"] == {"enabled": True}, name


def test_change_stream_check_reports_events_without_touching_synced_data(loaded, client, settings, capsys):
    assert enable_change_streams.main(settings) == 0
    before = {name: list(loaded[name].find().sort("_id")) for name in ("stores", "products", "orders")}
    capsys.readouterr()
    assert change_stream_check.main(settings) == 0
    out, err = capsys.readouterr()
    rows = {
        line.split()[0]: line.split()[1:]
        for line in out.splitlines()
        if line.split()[:1] in (["insert"], ["update"], ["delete"])
    }
    assert set(rows) == {"insert", "update", "delete"}
    assert rows["insert"][1] == "yes" and rows["update"][1] == "yes"
    assert all(float(r[0]) < 5000 for r in rows.values())
    if server_info(client).is_local:
        assert rows["update"][2] == "no"
        assert "pre-images were not delivered: the local server accepts the setting but never delivers" in err
    else:
        assert rows["update"][2] == "yes" and rows["delete"][2] == "yes"
    assert PROBE_COLLECTION not in loaded.list_collection_names()
    assert before == {name: list(loaded[name].find().sort("_id")) for name in before}


def test_watch_mode_prints_live_events(loaded, mongo_uri, db_name, env_file):
    process = subprocess.Popen(
        [sys.executable, str(SCRIPTS / "test_change_streams.py"), "--env-file", str(env_file), "--watch", "4"],
        env={**os.environ, "MONGODB_CONNECTION_STRING": mongo_uri, "MONGODB_DATABASE": db_name},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert "watching 8 synced collections" in process.stdout.readline()
    loaded.inventory.update_one(
        {"store_id": "store_tacoma", "product_id": "prod_hnd_hamr_001"}, {"$inc": {"stock_level": -1}}
    )
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert any(line.split()[1:3] == ["update", "inventory"] for line in out.splitlines())
    assert "1 change events in 4 s" in err


def marked(db) -> dict[str, set]:
    return {name: {d.get(MARKER_FIELD) for d in db[name].find({}, {MARKER_FIELD: 1})} for name in SYNCED_COLLECTIONS}


def test_trigger_marks_every_synced_document_once(loaded, settings, capsys):
    assert trigger_initial_sync.main(settings) == 1  # no terminal, no --yes
    assert loaded.orders.count_documents({MARKER_FIELD: {"$exists": True}}) == 0
    assert trigger_initial_sync.main([*settings, "--yes"]) == 0
    out, _ = capsys.readouterr()
    markers = marked(loaded)
    assert all(len(values) == 1 and None not in values for values in markers.values())
    assert len({next(iter(v)) for v in markers.values()}) == 1
    assert loaded.product_embeddings.count_documents({MARKER_FIELD: {"$exists": True}}) == 0
    rows = {line.split()[0]: line.split()[1:3] for line in out.splitlines()[2:]}
    for name in SYNCED_COLLECTIONS:
        assert rows[name][0] == rows[name][1] == f"{loaded[name].count_documents({}):,}", name
    assert not SyncState.path(loaded.name).exists()


def test_trigger_collections_flag_and_bad_names(loaded, settings, capsys):
    assert trigger_initial_sync.main([*settings, "--yes", "--collections", "stores,inventory"]) == 0
    assert loaded.stores.count_documents({MARKER_FIELD: {"$exists": True}}) == 8
    assert loaded.inventory.count_documents({MARKER_FIELD: {"$exists": True}}) == 3168
    assert loaded.orders.count_documents({MARKER_FIELD: {"$exists": True}}) == 0
    assert trigger_initial_sync.main([*settings, "--yes", "--collections", "stores,product_embeddings"]) == 2
    assert "--collections: product_embeddings not synced" in capsys.readouterr().err


def test_trigger_resume_continues_after_ctrl_c(client, db_name, settings, mongo_uri, env_file):
    assert generate_mongodb_data.main([*settings, "--customers", "500", "--orders", "15000", "--quiet", "--yes"]) == 0
    db = client[db_name]
    env = {**os.environ, "MONGODB_CONNECTION_STRING": mongo_uri, "MONGODB_DATABASE": db_name}
    command = [sys.executable, str(SCRIPTS / "trigger_initial_sync.py"), "--env-file", str(env_file), "--yes"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while db.orders.count_documents({MARKER_FIELD: {"$exists": True}}) < 2000:
        assert process.poll() is None and time.monotonic() < deadline, "finished before it could be interrupted"
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130 and "--resume" in err, err
    state = json.loads(SyncState.path(db_name).read_text())
    resumed = subprocess.run([*command, "--resume"], env=env, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    markers = marked(db)
    assert all(values == {state["marker"]} for values in markers.values())
    total = sum(db[name].count_documents({}) for name in SYNCED_COLLECTIONS)
    touched = int(resumed.stderr.split(" documents touched")[0].split()[-1].replace(",", ""))
    assert touched == total  # each document counted once over both runs
    assert set(state["done"]) >= {"stores", "customers"}
    done_earlier = [line.split()[0] for line in resumed.stdout.splitlines() if line.endswith("done earlier")]
    assert done_earlier == state["done"]


@pytest.mark.parametrize(
    ("script", "flags"),
    [
        ("create_indexes", []),
        ("drop_indexes", ["--yes"]),
        ("clear_mongodb_data", ["--yes"]),
        ("enable_change_streams", []),
        ("test_change_streams", []),
        ("trigger_initial_sync", ["--yes"]),
        ("test_connection", []),
    ],
)
def test_unreachable_server_fails_in_seconds(script, flags, env_file):
    uri = f"mongodb://127.0.0.1:{free_port()}"
    began = time.monotonic()
    result = run_script(script, "--env-file", str(env_file), *flags, env={"MONGODB_CONNECTION_STRING": uri}, timeout=60)
    assert time.monotonic() - began < 15
    assert result.returncode == 1
    assert result.stderr.strip() == f"error: cannot reach MongoDB at {uri} within 5 s", result.stderr
