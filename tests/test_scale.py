"""Scaling the generator: the same bytes whatever --workers and --part say, parts that never touch each other,
reloads that set the kit's indexes aside and rebuild them, and a worker that dies."""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pymongo import MongoClient

from helpers import refusal, run_script, start_script
from zava.catalog.loader import load_catalog
from zava.generation.dataset import CUSTOMER_CHUNK, ORDER_CHUNK, Dataset, DatasetSpec
from zava.generation.parallel import choose_workers, on_this_machine
from zava.generation.parts import Part
from zava.model.collections import COLLECTION_NAMES
from zava.model.ids import ORDER_ID
from zava.model.indexes import INDEXES, key_signature, spec_signature

# several chunks of customers and of orders, so parts and workers have work to share
START, END = datetime(2024, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC)
SIZES = ["--customers", str(2 * CUSTOMER_CHUNK + 7), "--orders", str(3 * ORDER_CHUNK + 11), "--seed", "7"]
SIZES += ["--start-date", str(START.date()), "--end-date", str(END.date())]


def generate(env_file: Path, *flags: str, env: dict[str, str] | None = None, timeout: float = 300):
    return run_script("generate_mongodb_data", "--env-file", str(env_file), *SIZES, *flags, env=env, timeout=timeout)


def lines_of(folder: Path) -> dict[str, list[bytes]]:
    return {name: (folder / f"{name}.jsonl").read_bytes().splitlines() for name in COLLECTION_NAMES}


def kit_indexes_missing(db) -> list[str]:
    """The kit's indexes a database lacks (matched by name or fields: the local server renames them)."""
    listed = {name: list(db[name].list_indexes()) for name in COLLECTION_NAMES}
    return [
        s.name
        for s in INDEXES
        if not s.is_text
        and not any(
            ix["name"] == s.name or key_signature(ix["key"]) == spec_signature(s) for ix in listed[s.collection]
        )
    ]


def test_out_files_and_dry_run_digest_are_the_same_for_any_number_of_workers(env_file, tmp_path):
    for workers in ("1", "3"):
        result = generate(env_file, "--out", str(tmp_path / workers), "--workers", workers)
        assert result.returncode == 0, result.stderr
        assert f"{workers} worker" in result.stderr
    for name in COLLECTION_NAMES:
        one, three = (tmp_path / w / f"{name}.jsonl" for w in ("1", "3"))
        assert one.read_bytes() == three.read_bytes() and one.stat().st_size > 0, name
    digests = set()
    for workers in ("1", "2"):
        result = generate(env_file, "--dry-run", "--workers", workers)
        assert result.returncode == 0, result.stderr
        digests.add(result.stderr.split("digest ")[1].split()[0])
    assert len(digests) == 1
    other_seed = generate(env_file, "--dry-run", "--workers", "2", "--seed", "8")
    assert other_seed.stderr.split("digest ")[1].split()[0] not in digests


def test_the_parts_together_are_exactly_the_whole_dataset(env_file, tmp_path):
    assert generate(env_file, "--out", str(tmp_path / "whole")).returncode == 0
    whole = lines_of(tmp_path / "whole")
    parts = []
    for k in (1, 2, 3):
        result = generate(env_file, "--out", str(tmp_path / f"part{k}"), "--part", f"{k}/3", "--workers", "2")
        assert result.returncode == 0, result.stderr
        parts.append(lines_of(tmp_path / f"part{k}"))
    for name in COLLECTION_NAMES:
        assert Counter(line for part in parts for line in part[name]) == Counter(whole[name]), name
    assert all(len(part[n]) == len(whole[n]) for part, n in [(parts[0], "stores"), (parts[0], "inventory")])
    assert not parts[1]["stores"] and not parts[2]["inventory"]  # small collections belong to part 1 alone
    assert all(part["orders"] for part in parts)  # every part takes some order chunks


@pytest.mark.parametrize("bad", ["0/3", "4/3", "2", "a/b"])
def test_a_bad_part_is_one_line_and_exit_2(env_file, tmp_path, bad):
    result = generate(env_file, "--out", str(tmp_path), "--part", bad)
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: --part must be K/N with 1 <= K <= N (e.g. 2/4), got {bad!r}"


def test_parts_load_one_dataset_and_never_touch_each_other(client, db_name, mongo_uri, env_file):
    env = {"MONGODB_CONNECTION_STRING": mongo_uri, "MONGODB_DATABASE": db_name}
    assert generate(env_file, "--quiet", env={**env, "MONGODB_DATABASE": f"{db_name}_whole"}).returncode == 0
    try:
        whole = {n: client[f"{db_name}_whole"][n].count_documents({}) for n in COLLECTION_NAMES}
        for k in (2, 1):
            result = generate(env_file, "--part", f"{k}/2", "--quiet", env=env)
            assert result.returncode == 0, result.stderr
        db = client[db_name]
        assert {n: db[n].count_documents({}) for n in COLLECTION_NAMES} == whole
        for name in COLLECTION_NAMES:  # the same documents as one run, not only the same counts
            ids = sorted(str(d["_id"]) for d in db[name].find({}, {"_id": 1}))
            assert ids == sorted(str(d["_id"]) for d in client[f"{db_name}_whole"][name].find({}, {"_id": 1})), name
    finally:
        client.drop_database(f"{db_name}_whole")

    spec = DatasetSpec(2 * CUSTOMER_CHUNK + 7, 3 * ORDER_CHUNK + 11, START, END, 7)
    tasks = Dataset(spec, load_catalog()).tasks()
    first_part_order, second_part_order = (
        ORDER_ID(next(t for t in Part(k, 2).select(tasks) if t.kind == "orders").first + 1) for k in (1, 2)
    )
    db.orders.update_many({"_id": {"$in": [first_part_order, second_part_order]}}, {"$set": {"status": "edited"}})
    refused = generate(env_file, "--part", "2/2", "--quiet", env=env)
    listing = ", ".join(
        f"{n} {c:,}" for n, c in Dataset(spec, load_catalog()).counts_of(Part(2, 2).select(tasks)).items()
    )
    question = f"Database {db_name!r} already holds this part ({listing}); it will be replaced"
    assert refused.returncode == 1 and refused.stderr.strip().splitlines()[-1] == refusal(
        f"{question} (collections, their options and indexes are kept)."
    )
    assert db.orders.count_documents({"status": "edited"}) == 2

    rerun = generate(env_file, "--part", "2/2", "--quiet", "--yes", env=env)
    assert rerun.returncode == 0, rerun.stderr
    assert db.orders.find_one({"_id": first_part_order})["status"] == "edited"  # part 1 untouched
    assert db.orders.find_one({"_id": second_part_order})["status"] != "edited"  # part 2 replaced
    assert {n: db[n].count_documents({}) for n in COLLECTION_NAMES} == whole


def test_a_reload_sets_the_kit_indexes_aside_keeps_others_and_rebuilds(client, db_name, mongo_uri, env_file):
    env = {"MONGODB_CONNECTION_STRING": mongo_uri, "MONGODB_DATABASE": db_name}
    assert generate(env_file, "--quiet", env=env).returncode == 0
    assert run_script("create_indexes", "--env-file", str(env_file), "--quiet", env=env).returncode == 0
    db = client[db_name]
    db.orders.create_index([("customer_name", 1)], name="my_orders_by_customer_name")
    db.orders.update_one({"_id": "order_00000001"}, {"$set": {"status": "edited"}})
    kit = [s for s in INDEXES if not s.is_text]
    assert not kit_indexes_missing(db)

    result = generate(env_file, "--yes", env=env)
    assert result.returncode == 0, result.stderr
    assert f"{len(kit)} of the kit's indexes set aside for the load" in result.stderr
    assert "1 other indexes kept and maintained (" in result.stderr and "customer_name" in result.stderr
    assert f"rebuilt the {len(kit)} indexes set aside for the load in " in result.stderr
    assert not kit_indexes_missing(db)
    assert any(key_signature(ix["key"]) == ("customer_name",) for ix in db.orders.list_indexes())
    assert db.orders.find_one({"_id": "order_00000001"})["status"] != "edited"


def _children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _wait_for(client: MongoClient, db_name: str, process, docs: int = 2000) -> None:
    """Until the load has emptied the orders and written `docs` of them again."""
    deadline = time.monotonic() + 120
    emptied = False
    while not (emptied and client[db_name].orders.estimated_document_count() >= docs):
        assert process.poll() is None and time.monotonic() < deadline, "the load ended before it could be stopped"
        emptied = emptied or client[db_name].orders.estimated_document_count() < docs
        time.sleep(0.05)


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="finds the worker processes through /proc")
def test_a_killed_worker_is_one_line_and_a_rerun_repairs_with_the_indexes(client, db_name, mongo_uri, env_file):
    env = {"MONGODB_CONNECTION_STRING": mongo_uri, "MONGODB_DATABASE": db_name}
    big = ["--env-file", str(env_file), "--orders", "60000", "--customers", "3000", "--yes", "--quiet"]
    assert run_script("generate_mongodb_data", *big, env=env, timeout=300).returncode == 0
    assert run_script("create_indexes", "--env-file", str(env_file), "--quiet", env=env).returncode == 0
    process = start_script("generate_mongodb_data", *big, "--workers", "2", "--batch-size", "2000", env=env)
    _wait_for(client, db_name, process)
    workers = _children(process.pid)
    assert len(workers) == 2
    os.kill(workers[0], signal.SIGKILL)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 1, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: a worker process ended abruptly"), err
    assert "partial dataset" in lines[0] and "rebuilds the" in lines[0] and "--yes" in lines[0]
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)

    rerun = run_script("generate_mongodb_data", *big, env=env, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert client[db_name].orders.count_documents({}) == 60_000
    assert not kit_indexes_missing(client[db_name])


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="finds the worker processes through /proc")
@pytest.mark.parametrize(
    ("stop", "code", "group"),
    [(signal.SIGINT, 130, True), (signal.SIGHUP, 129, True), (signal.SIGTERM, 143, False)],
    ids=["ctrl-c to the group", "hang-up to the group", "kill to the parent"],
)
def test_a_stop_with_workers_is_one_line_and_leaves_no_process(client, db_name, mongo_uri, env_file, stop, code, group):
    env = {"MONGODB_CONNECTION_STRING": mongo_uri, "MONGODB_DATABASE": db_name}
    flags = ["--env-file", str(env_file), "--orders", "60000", "--customers", "3000", "--yes", "--quiet"]
    process = start_script("generate_mongodb_data", *flags, "--workers", "2", "--batch-size", "2000", env=env)
    _wait_for(client, db_name, process)
    workers = _children(process.pid)
    for pid in [process.pid, *workers] if group else [process.pid]:  # a terminal's signals reach the workers too
        os.kill(pid, stop)
    _, err = process.communicate(timeout=60)
    assert process.returncode == code, err
    assert err.strip().startswith("error: interrupted;") and len(err.strip().splitlines()) == 1, err
    assert "the load is incomplete" in err and "--yes" in err
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)


@pytest.mark.parametrize("value", ["-1", "two", "65"])
def test_bad_workers_setting_is_one_line_and_exit_2(env_file, tmp_path, value):
    env_file.write_text(f"WORKERS={value}\n")
    result = generate(env_file, "--dry-run")
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error: WORKERS must be") and value in result.stderr


def test_automatic_workers_follow_where_the_server_is():
    cores = min(4, os.cpu_count() or 1)
    assert on_this_machine("mongodb://127.0.0.1:27017") and on_this_machine("mongodb://localhost,127.0.0.1:27018")
    assert not on_this_machine("mongodb://db.example.com:27017") and not on_this_machine("mongodb+srv://c.example.net")
    assert choose_workers(0, "mongodb://127.0.0.1:27017") == 1
    assert choose_workers(0, "mongodb://db.example.com") == cores
    assert choose_workers(0, None) == cores  # --dry-run and --out
    assert choose_workers(3, "mongodb://127.0.0.1") == 3
