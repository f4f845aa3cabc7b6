"""generate_mongodb_data.py paths a user takes by hand: typing the confirmation phrase, --batch-size, Ctrl-C while
the old data is being emptied, and the same --out bytes from separate processes."""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest
from pymongo.database import Database

import create_indexes
import generate_mongodb_data
from helpers import SCRIPTS, SMALL, StallingProxy, scratch_dataset, start_script
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


@pytest.fixture(scope="module")
def dataset(mongo_uri: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, list[str]]]:
    """The loaded fixture's dataset, loaded once for this module: (the database, the --env-file flag). Each test
    leaves it complete (a test that replaces it loads the same documents again)."""
    folder, name = tmp_path_factory.mktemp("env"), f"zava_test_paths_{uuid.uuid4().hex[:10]}"
    with scratch_dataset(mongo_uri, folder, name, SMALL[:4]) as (db, settings):
        yield db, settings


def test_typing_the_phrase_replaces_the_data_and_anything_else_changes_nothing(dataset):
    loaded, settings = dataset
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


def test_batch_size_does_not_change_the_documents(dataset, client, monkeypatch):
    loaded, settings = dataset
    twin = loaded.name + "_batches"
    monkeypatch.setenv("MONGODB_DATABASE", twin)
    try:
        assert generate_mongodb_data.main([*settings, *SMALL, "--batch-size", "7"]) == 0
        assert documents(client[twin]) == documents(loaded)
    finally:
        client.drop_database(twin)


def test_ctrl_c_while_emptying_exits_130_and_a_rerun_completes(dataset, mongo_uri):
    loaded, settings = dataset
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

    assert generate_mongodb_data.main([*settings, *SMALL]) == 0  # the rerun the line asks for
    assert documents(loaded) == original
    assert index_names(loaded) == indexes and not _pending(loaded).exists()


@pytest.mark.slow
def test_out_files_are_byte_identical_across_processes_and_hash_seeds(env_file, tmp_path):
    # a new process with a hash seed other than this one's (random, unless PYTHONHASHSEED says), while this one runs
    seed = "2" if os.environ.get("PYTHONHASHSEED") == "1" else "1"
    flags = ["--env-file", str(env_file), *SMALL]
    process = start_script("generate_mongodb_data", *flags, "--out", str(tmp_path / "1"), env={"PYTHONHASHSEED": seed})
    assert generate_mongodb_data.main([*flags, "--out", str(tmp_path / "2"), "--workers", "1"]) == 0
    _, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    runs = [{path.name: path.read_bytes() for path in (tmp_path / run).iterdir()} for run in ("1", "2")]
    assert sorted(runs[0]) == [f"{name}.jsonl" for name in sorted(COLLECTION_NAMES)]
    assert all(runs[0].values()) and runs[0] == runs[1]
