"""enable_change_streams.py and test_change_streams.py (check and --watch) against a real server."""

from __future__ import annotations

import subprocess
import sys
import uuid

import pytest
from pymongo import MongoClient

import enable_change_streams
import test_change_streams as change_stream_check
from helpers import SCRIPTS, SMALL_CUSTOMERS, SMALL_ORDERS, StallingProxy, scratch_dataset
from zava.model.collections import SYNCED_COLLECTIONS
from zava.mongo.change_streams import EVENT_TIMEOUT_S, LOCAL_NO_PRE_IMAGES, PROBE_COLLECTION
from zava.mongo.server import server_info


@pytest.fixture(scope="module", autouse=True)
def stalled_check(mongo_uri, tmp_path_factory):
    """`python scripts/test_change_streams.py` on a fresh database through a StallingProxy that holds back the
    probe's getMore: started as the module starts, as it waits out two 5 s timeouts (the events', then its
    watcher's) while the module's other tests run. (the database name, the proxy, the process)."""
    database = f"zava_test_{uuid.uuid4().hex[:10]}"
    env = tmp_path_factory.mktemp("stalled") / "test.env"
    stalls = lambda command: command.get("getMore") and command.get("collection") == PROBE_COLLECTION  # noqa: E731
    with StallingProxy(mongo_uri, stalls) as proxy, MongoClient(mongo_uri, serverSelectionTimeoutMS=5000) as client:
        env.write_text(f"MONGODB_CONNECTION_STRING={proxy.uri}\nMONGODB_DATABASE={database}\n")
        process = subprocess.Popen(
            [sys.executable, str(SCRIPTS / "test_change_streams.py"), "--env-file", str(env)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            yield database, proxy, process
        finally:
            if process.poll() is None:
                process.kill()
            process.communicate()
            client.drop_database(database)


def statuses(out: str) -> dict[str, str]:
    """The first status word of each synced collection's row in a script's table."""
    rows = [line.split() for line in out.splitlines()]
    return {row[0]: row[1] for row in rows if len(row) > 1 and row[0] in SYNCED_COLLECTIONS}


def test_enable_change_streams_creates_and_enables_every_synced_collection(client, db_name, settings, capsys):
    local = server_info(client).is_local
    assert enable_change_streams.main(settings) == 0
    out, err = capsys.readouterr()
    db = client[db_name]
    assert set(SYNCED_COLLECTIONS) <= set(db.list_collection_names())
    assert "product_embeddings" not in db.list_collection_names()
    if local:
        assert statuses(out) == dict.fromkeys(SYNCED_COLLECTIONS, "accepted")
        assert "the local server accepts the setting but never delivers pre-images" in err
    else:  # MongoDB 6.0+ reports the option back through listCollections
        assert statuses(out) == dict.fromkeys(SYNCED_COLLECTIONS, "enabled")
        assert LOCAL_NO_PRE_IMAGES not in err
        for name in SYNCED_COLLECTIONS:
            options = next(db.list_collections(filter={"name": name}))["options"]
            assert options["changeStreamPreAndPostImages"] == {"enabled": True}, name


@pytest.fixture(scope="module")
def small_dataset(mongo_uri, tmp_path_factory):
    """A small dataset (helpers.SMALL sizes) in the module's own database: (the database, the --env-file flag)."""
    sizes = ["--customers", str(SMALL_CUSTOMERS), "--orders", str(SMALL_ORDERS)]
    with scratch_dataset(mongo_uri, tmp_path_factory.mktemp("env"), "zava_change_streams", sizes) as dataset:
        yield dataset


def test_change_stream_check_reports_events_without_touching_synced_data(small_dataset, capsys):
    loaded, settings = small_dataset
    client = loaded.client
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
    if server_info(client).is_local:  # its listCollections does not report the option
        assert statuses(out) == dict.fromkeys(SYNCED_COLLECTIONS, "unknown")
        assert rows["update"][2] == "no"
        assert "pre-images were not delivered: the local server accepts the setting but never delivers" in err
    else:  # with changeStreamPreAndPostImages on, update and delete events carry fullDocumentBeforeChange
        assert statuses(out) == dict.fromkeys(SYNCED_COLLECTIONS, "enabled")
        assert rows["update"][2] == "yes" and rows["delete"][2] == "yes"
        assert "change streams work with pre- and post-images" in err and LOCAL_NO_PRE_IMAGES not in err
    assert PROBE_COLLECTION not in loaded.list_collection_names()
    assert before == {name: list(loaded[name].find().sort("_id")) for name in before}


def test_watch_mode_prints_live_events(small_dataset):
    loaded, settings = small_dataset
    process = subprocess.Popen(
        [sys.executable, str(SCRIPTS / "test_change_streams.py"), *settings, "--watch", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert "watching 8 synced collections" in process.stdout.readline()
    one = {"store_id": "store_tacoma", "product_id": "prod_hnd_hamr_001"}
    loaded.inventory.update_one(one, {"$inc": {"stock_level": -1}})
    out, err = process.communicate(timeout=30)
    loaded.inventory.update_one(one, {"$inc": {"stock_level": 1}})  # back as loaded, for the module's other test
    assert process.returncode == 0, err
    assert any(line.split()[1:3] == ["update", "inventory"] for line in out.splitlines())
    assert "1 change events in 2 s" in err


def test_change_stream_check_exits_1_when_no_event_arrives(stalled_check, client):
    """A server whose change stream stops answering (its getMore held back on the way): no event within 5 s."""
    db_name, proxy, process = stalled_check
    _, err = process.communicate(timeout=60)
    assert proxy.stalled.is_set()
    assert process.returncode == 1, err
    assert err.strip().splitlines()[-1] == f"error: only 0 of 3 change events arrived within {EVENT_TIMEOUT_S:g} s"
    assert "change events arrive:" not in err and "change streams work" not in err
    assert client[db_name].list_collection_names() == []  # the probe collection is dropped, nothing else made
