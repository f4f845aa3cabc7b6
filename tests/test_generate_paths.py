"""generate_mongodb_data.py paths a user takes by hand: typing the confirmation phrase, --batch-size, Ctrl-C while
the old data is being emptied, and the same --out bytes from separate processes."""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import sys

import create_indexes
import generate_mongodb_data
from helpers import SCRIPTS, SMALL, StallingProxy, run_script, start_script
from zava.model.collections import COLLECTION_NAMES
from zava.mongo.reload import _pending

SIZES = [flag for flag in SMALL if flag != "--yes"]  # the loaded fixture's dataset, asking first


def documents(db) -> dict[str, list[dict]]:
    return {name: list(db[name].find().sort("_id")) for name in COLLECTION_NAMES}


def index_names(db) -> dict[str, list[str]]:
    return {name: sorted(ix["name"] for ix in db[name].list_indexes()) for name in COLLECTION_NAMES}


def typed(settings: list[str], answer: str) -> tuple[int, str, str]:
    """Run the generator over existing data on a terminal where the user types `answer`."""
    controller, terminal = pty.openpty()
    try:
        process = subprocess.Popen(
            [sys.executable, str(SCRIPTS / "generate_mongodb_data.py"), *settings, *SIZES],
            stdin=terminal,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        os.write(controller, f"{answer}\n".encode())
        out, err = process.communicate(timeout=120)
    finally:
        os.close(terminal)
        os.close(controller)
    return process.returncode, out, err


def test_typing_the_phrase_replaces_the_data_and_anything_else_changes_nothing(loaded, settings):
    original = documents(loaded)
    loaded.orders.update_one({"_id": "order_00000001"}, {"$set": {"total": -1.0}})
    changed = documents(loaded)

    code, out, err = typed(settings, "replace data please")
    assert code == 1 and "Type REPLACE DATA to continue" in out + err
    assert err.strip().splitlines()[-1] == "error: not confirmed; nothing was changed"
    assert documents(loaded) == changed

    code, out, err = typed(settings, "REPLACE DATA")
    assert code == 0, err
    assert f"Database {loaded.name!r} already holds data" in err
    assert documents(loaded) == original


def test_batch_size_does_not_change_the_documents(loaded, client, settings, monkeypatch):
    twin = loaded.name + "_batches"
    monkeypatch.setenv("MONGODB_DATABASE", twin)
    try:
        assert generate_mongodb_data.main([*settings, *SMALL, "--batch-size", "7"]) == 0
        assert documents(client[twin]) == documents(loaded)
    finally:
        client.drop_database(twin)


def test_ctrl_c_while_emptying_exits_130_and_a_rerun_completes(loaded, settings, mongo_uri):
    assert create_indexes.main([*settings, "--quiet"]) == 0
    original, indexes = documents(loaded), index_names(loaded)
    with StallingProxy(mongo_uri, lambda command: command.get("delete") == "orders") as proxy:
        process = start_script("generate_mongodb_data", *settings, *SMALL, env={"MONGODB_CONNECTION_STRING": proxy.uri})
        assert proxy.stalled.wait(60), "the load never started emptying the orders"
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert err.strip().splitlines()[-1] == (
        f"error: interrupted before the load; database {loaded.name!r} may be partly emptied. "
        "Run `python scripts/generate_mongodb_data.py --yes` to load a complete dataset."
    )
    assert loaded.stores.count_documents({}) == 0 and loaded.orders.count_documents({}) == len(original["orders"])
    assert index_names(loaded) != indexes and _pending(loaded).is_file()  # the kit's indexes were set aside

    rerun = run_script("generate_mongodb_data", *settings, *SMALL)
    assert rerun.returncode == 0, rerun.stderr
    assert documents(loaded) == original
    assert index_names(loaded) == indexes and not _pending(loaded).exists()


def test_out_files_are_byte_identical_across_processes_and_hash_seeds(env_file, tmp_path):
    runs = []
    for hash_seed in ("1", "2"):
        out = tmp_path / hash_seed
        result = run_script(
            "generate_mongodb_data", "--env-file", str(env_file), *SMALL, "--out", str(out),
            env={"PYTHONHASHSEED": hash_seed},
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        runs.append({path.name: path.read_bytes() for path in out.iterdir()})
    assert sorted(runs[0]) == [f"{name}.jsonl" for name in sorted(COLLECTION_NAMES)]
    assert all(runs[0].values()) and runs[0] == runs[1]
