"""enable_change_streams.py and test_change_streams.py (check and --watch) against a real server."""

from __future__ import annotations

import os
import subprocess
import sys

import enable_change_streams
import test_change_streams as change_stream_check
from helpers import SCRIPTS, StallingProxy, run_script
from zava.model.collections import SYNCED_COLLECTIONS
from zava.mongo.change_streams import EVENT_TIMEOUT_S, LOCAL_NO_PRE_IMAGES, PROBE_COLLECTION
from zava.mongo.server import server_info


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


def test_change_stream_check_exits_1_when_no_event_arrives(client, db_name, settings, mongo_uri):
    """A server whose change stream stops answering (its getMore held back on the way): no event within 5 s."""
    stalls = lambda command: command.get("getMore") and command.get("collection") == PROBE_COLLECTION  # noqa: E731
    with StallingProxy(mongo_uri, stalls) as proxy:
        result = run_script("test_change_streams", *settings, env={"MONGODB_CONNECTION_STRING": proxy.uri}, timeout=60)
        assert proxy.stalled.is_set()
    assert result.returncode == 1, result.stderr
    assert (
        result.stderr.strip().splitlines()[-1]
        == f"error: only 0 of 3 change events arrived within {EVENT_TIMEOUT_S:g} s"
    )
    assert "change events arrive:" not in result.stderr and "change streams work" not in result.stderr
    assert client[db_name].list_collection_names() == []  # the probe collection is dropped, nothing else made
