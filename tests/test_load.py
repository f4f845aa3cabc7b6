"""Loading the dataset into a real server: exact counts, safe reruns, --out and --dry-run, reruns after a stop."""

from __future__ import annotations

import os
import signal
import subprocess
import time

from bson import json_util
from pymongo import MongoClient

import generate_mongodb_data
from helpers import counts, expected_counts, number, planned_counts, printed_table, refusal, start_script
from zava.model.collections import COLLECTION_NAMES
from zava.mongo.server import server_info

SMALL_CUSTOMERS, SMALL_ORDERS = 100, 400
SMALL = ["--customers", str(SMALL_CUSTOMERS), "--orders", str(SMALL_ORDERS), "--start-date", "2024-01-01"]
SMALL += ["--end-date", "2025-01-01"]


def all_documents(client: MongoClient, db_name: str) -> dict[str, list[dict]]:
    db = client[db_name]
    return {name: sorted(db[name].find(), key=lambda d: str(d["_id"])) for name in COLLECTION_NAMES}


def test_regenerating_asks_first_and_keeps_indexes(client, db_name, settings, capsys):
    assert generate_mongodb_data.main([*settings, *SMALL, "--quiet"]) == 0
    first = all_documents(client, db_name)
    db = client[db_name]
    db.orders.create_index([("customer_id", 1), ("order_date", -1)], name="orders_by_customer_date")
    indexes_before = sorted(ix["name"] for ix in db.orders.list_indexes())
    if not server_info(client).is_local:  # the local server does not report collection options
        db.command("collMod", "orders", changeStreamPreAndPostImages={"enabled": True})

    # what the rerun must undo (same seed: same documents), and a collection outside the dataset it must keep
    db.orders.update_one({"_id": "order_00000007"}, {"$set": {"status": "edited", "total": 0.0}})
    db.customers.delete_one({"_id": "cust_000011"})
    db.products.insert_one({"_id": "prod_stray", "product_id": "prod_stray"})
    db.visitor_notes.insert_one({"_id": "not ours"})
    changed = all_documents(client, db_name)
    assert changed != first

    capsys.readouterr()
    assert generate_mongodb_data.main([*settings, *SMALL, "--quiet"]) == 1  # no terminal, no --yes
    listing = ", ".join(f"{name} {n:,}" for name, n in counts(client, db_name).items())
    question = (
        f"Database {db_name!r} already holds data ({listing}); it will be replaced "
        "(collections, their options and indexes are kept)."
    )
    assert capsys.readouterr().err.strip().splitlines()[-1] == refusal(question)
    assert all_documents(client, db_name) == changed

    assert generate_mongodb_data.main([*settings, *SMALL, "--quiet", "--yes"]) == 0
    assert all_documents(client, db_name) == first
    assert list(db.visitor_notes.find()) == [{"_id": "not ours"}]
    assert sorted(ix["name"] for ix in db.orders.list_indexes()) == indexes_before
    if not server_info(client).is_local:
        options = next(db.list_collections(filter={"name": "orders"}))["options"]
        assert options["changeStreamPreAndPostImages"] == {"enabled": True}


def test_out_files_reimport_to_the_same_documents(client, db_name, settings, tmp_path, capsys):
    out = tmp_path / "out"
    assert generate_mongodb_data.main([*settings, *SMALL, "--out", str(out)]) == 0
    assert db_name not in client.list_database_names()
    assert generate_mongodb_data.main([*settings, *SMALL, "--quiet"]) == 0
    imported = f"{db_name}_import"
    try:
        for name in COLLECTION_NAMES:
            lines = (out / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
            client[imported][name].insert_many([json_util.loads(line) for line in lines])
        assert all_documents(client, imported) == all_documents(client, db_name)
    finally:
        client.drop_database(imported)


def test_dry_run_writes_nothing(client, db_name, settings, capsys):
    argv = [*settings, *SMALL, "--dry-run"]
    assert generate_mongodb_data.main(argv) == 0
    output = capsys.readouterr()
    expected = planned_counts(argv)
    assert (expected["customers"], expected["orders"]) == (SMALL_CUSTOMERS, SMALL_ORDERS)
    printed = printed_table(output.out, "collection", "documents", "seconds", "docs/s")
    total = sum(expected.values())
    assert {name: number(row[0]) for name, row in printed.items()} == {**expected, "total (wall clock)": total}
    assert f"{total:,} documents generated into nowhere (dry run)" in output.err and "MB of BSON" in output.err
    assert db_name not in client.list_database_names()


# A load still running when it is stopped: orders are written after the catalog, the customers and the inventory,
# in chunks of 5,000 with their items, 2,000 a batch; the stop comes at 4,000 orders, halfway through the first chunk.
STOPPABLE_CUSTOMERS, STOPPABLE_ORDERS = 2_000, 10_000


def _start_load(uri: str, db_name: str, env_file, *extra: str) -> subprocess.Popen:
    flags = ["--env-file", str(env_file), "--yes", "--quiet", "--batch-size", "2000", *extra]
    flags += ["--customers", str(STOPPABLE_CUSTOMERS), "--orders", str(STOPPABLE_ORDERS)]
    return start_script(
        "generate_mongodb_data", *flags, env={"MONGODB_CONNECTION_STRING": uri, "MONGODB_DATABASE": db_name}
    )


def _wait_for_orders(client: MongoClient, db_name: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while client[db_name].orders.estimated_document_count() < 4000:
        assert process.poll() is None and time.monotonic() < deadline, "the load ended before it could be stopped"
        time.sleep(0.05)


def _assert_complete(client: MongoClient, db_name: str) -> None:
    got = counts(client, db_name)
    assert got == expected_counts(STOPPABLE_ORDERS, STOPPABLE_CUSTOMERS, got["order_items"])
    assert got["order_items"] > 2 * STOPPABLE_ORDERS
    ids = {d["_id"] for d in client[db_name].order_items.find({}, {"_id": 1})}
    assert len(ids) == got["order_items"]


def test_ctrl_c_mid_load_exits_130_and_a_rerun_completes(client, db_name, mongo_uri, env_file):
    process = _start_load(mongo_uri, db_name, env_file)
    _wait_for_orders(client, db_name, process)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "partial dataset" in err and "python scripts/generate_mongodb_data.py --yes" in err
    assert "Traceback" not in err
    rerun = _start_load(mongo_uri, db_name, env_file)
    _, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    _assert_complete(client, db_name)


def test_server_killed_mid_load_gives_a_clear_error_and_a_rerun_completes(new_server, env_file):
    server = new_server
    server.start()
    with MongoClient(server.uri, serverSelectionTimeoutMS=5000) as client:
        process = _start_load(server.uri, "zava_killed", env_file)
        _wait_for_orders(client, "zava_killed", process)
        os.kill(server.pid(), signal.SIGKILL)
        _, err = process.communicate(timeout=60)
        assert process.returncode == 1, err
        last = err.strip().splitlines()[-1]
        assert last.startswith("error: ") and "the load is incomplete" in last and "--yes" in last
        assert "Traceback" not in err
        server.start()
        rerun = _start_load(server.uri, "zava_killed", env_file)
        _, err = rerun.communicate(timeout=300)
        assert rerun.returncode == 0, err
        _assert_complete(client, "zava_killed")
