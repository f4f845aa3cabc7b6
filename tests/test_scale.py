"""Scaling the generator: the same bytes whatever --workers and --part say, parts that never touch each other,
reloads that set the kit's indexes aside and rebuild them, and a worker that dies."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pymongo import MongoClient
from tqdm import tqdm

import create_indexes
import generate_mongodb_data
from helpers import SMALL_CUSTOMERS, SMALL_ORDERS, refusal, start_script
from zava.catalog.loader import load_catalog
from zava.generation.dataset import CUSTOMER_CHUNK, ORDER_CHUNK, Dataset, DatasetSpec
from zava.generation.parallel import AHEAD_PER_WORKER, choose_workers, on_this_machine
from zava.generation.parts import Part
from zava.model.collections import COLLECTION_NAMES
from zava.model.ids import ORDER_ID
from zava.model.indexes import INDEXES, key_signature, spec_signature

# two chunks of customers and of orders (the second small), so parts and workers have work to share; the second
# chunks go to the second of two parts, which is so kept small
START, END = datetime(2024, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC)
CUSTOMERS, ORDERS = CUSTOMER_CHUNK + 7, ORDER_CHUNK + 11
DATES = ["--seed", "7", "--start-date", str(START.date()), "--end-date", str(END.date())]
SIZES = ["--customers", str(CUSTOMERS), "--orders", str(ORDERS), *DATES]
SMALL_SIZES = ["--customers", str(SMALL_CUSTOMERS), "--orders", str(SMALL_ORDERS)]  # the loaded fixture's
# three chunks of orders, so that each of three parts takes some
THREE_PARTS = ["--customers", str(CUSTOMERS), "--orders", str(2 * ORDER_CHUNK + 11), *DATES]


@pytest.fixture(autouse=True)
def one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers start by fork (as in a fresh run) only while this process has one thread: the progress bars'
    monitor thread, which an earlier load in this process started, is stopped and not started again."""
    monkeypatch.setattr(tqdm, "monitor_interval", 0)
    if tqdm.monitor is not None:
        tqdm.monitor.exit()
        monkeypatch.setattr(tqdm, "monitor", None)


def generate(capsys, env_file: Path, *flags: str, sizes: list[str] = SIZES) -> tuple[int, str]:
    """generate_mongodb_data.main in this process: (exit code, what it printed on stderr)."""
    capsys.readouterr()
    code = generate_mongodb_data.main(["--env-file", str(env_file), *sizes, *flags])
    return code, capsys.readouterr().err


def digest(err: str) -> str:
    return err.split("digest ")[1].split()[0]


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


@pytest.mark.slow
def test_out_files_and_dry_run_digest_are_the_same_for_any_number_of_workers(env_file, tmp_path, capsys):
    for workers in ("1", "3"):
        code, err = generate(capsys, env_file, "--out", str(tmp_path / workers), "--workers", workers)
        assert code == 0, err
        assert f"{workers} worker" in err
    for name in COLLECTION_NAMES:
        one, three = (tmp_path / w / f"{name}.jsonl" for w in ("1", "3"))
        assert one.read_bytes() == three.read_bytes() and one.stat().st_size > 0, name
    digests = set()
    for workers in ("1", "2"):
        code, err = generate(capsys, env_file, "--dry-run", "--workers", workers)
        assert code == 0, err
        digests.add(digest(err))
    assert len(digests) == 1
    _, other_seed = generate(capsys, env_file, "--dry-run", "--workers", "2", "--seed", "8")
    assert digest(other_seed) not in digests


@pytest.mark.slow
def test_the_parts_together_are_exactly_the_whole_dataset(env_file, tmp_path, capsys):
    assert generate(capsys, env_file, "--out", str(tmp_path / "whole"), sizes=THREE_PARTS)[0] == 0
    whole = lines_of(tmp_path / "whole")
    parts = []
    for k in (1, 2, 3):
        out = str(tmp_path / f"part{k}")
        code, err = generate(capsys, env_file, "--out", out, "--part", f"{k}/3", "--workers", "2", sizes=THREE_PARTS)
        assert code == 0, err
        parts.append(lines_of(tmp_path / f"part{k}"))
    for name in COLLECTION_NAMES:
        assert Counter(line for part in parts for line in part[name]) == Counter(whole[name]), name
    assert all(len(part[n]) == len(whole[n]) for part, n in [(parts[0], "stores"), (parts[0], "inventory")])
    assert not parts[1]["stores"] and not parts[2]["inventory"]  # small collections belong to part 1 alone
    assert all(part["orders"] for part in parts)  # every part takes some order chunks


@pytest.mark.parametrize("bad", ["0/3", "4/3", "2", "a/b"])
def test_a_bad_part_is_one_line_and_exit_2(env_file, tmp_path, capsys, bad):
    code, err = generate(capsys, env_file, "--out", str(tmp_path), "--part", bad)
    assert code == 2
    assert err.strip() == f"error: --part must be K/N with 1 <= K <= N (e.g. 2/4), got {bad!r}"


def test_parts_load_one_dataset_and_never_touch_each_other(client, db_name, settings, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO())  # no terminal to confirm on, even under pytest -s
    spec = DatasetSpec(CUSTOMERS, ORDERS, START, END, 7)
    whole: dict[str, list[str]] = {name: [] for name in COLLECTION_NAMES}  # the _ids one run generates
    for name, docs in Dataset(spec, load_catalog()).batches():
        whole[name] += [str(d["_id"]) for d in docs]
    for k in (2, 1):
        code, err = generate(capsys, Path(settings[1]), "--part", f"{k}/2", "--quiet")
        assert code == 0, err
    db = client[db_name]
    assert {n: db[n].count_documents({}) for n in COLLECTION_NAMES} == {n: len(ids) for n, ids in whole.items()}
    for name in COLLECTION_NAMES:  # the same documents as one run, not only the same counts
        assert sorted(str(d["_id"]) for d in db[name].find({}, {"_id": 1})) == sorted(whole[name]), name

    tasks = Dataset(spec, load_catalog()).tasks()
    first_part_order, second_part_order = (
        ORDER_ID(next(t for t in Part(k, 2).select(tasks) if t.kind == "orders").first + 1) for k in (1, 2)
    )
    db.orders.update_many({"_id": {"$in": [first_part_order, second_part_order]}}, {"$set": {"status": "edited"}})
    code, err = generate(capsys, Path(settings[1]), "--part", "2/2", "--quiet")
    listing = ", ".join(
        f"{n} {c:,}" for n, c in Dataset(spec, load_catalog()).counts_of(Part(2, 2).select(tasks)).items()
    )
    question = f"Database {db_name!r} already holds this part ({listing}); it will be replaced"
    assert code == 1 and err.strip().splitlines()[-1] == refusal(
        f"{question} (collections, their options and indexes are kept)."
    )
    assert db.orders.count_documents({"status": "edited"}) == 2

    code, err = generate(capsys, Path(settings[1]), "--part", "2/2", "--quiet", "--yes")
    assert code == 0, err
    assert db.orders.find_one({"_id": first_part_order})["status"] == "edited"  # part 1 untouched
    assert db.orders.find_one({"_id": second_part_order})["status"] != "edited"  # part 2 replaced
    assert {n: db[n].count_documents({}) for n in COLLECTION_NAMES} == {n: len(ids) for n, ids in whole.items()}


def test_a_reload_sets_the_kit_indexes_aside_keeps_others_and_rebuilds(loaded, settings, capsys):
    assert create_indexes.main([*settings, "--quiet"]) == 0
    db = loaded
    db.orders.create_index([("customer_name", 1)], name="my_orders_by_customer_name")
    db.orders.update_one({"_id": "order_00000001"}, {"$set": {"status": "edited"}})
    kit = [s for s in INDEXES if not s.is_text]
    assert not kit_indexes_missing(db)

    capsys.readouterr()
    assert generate_mongodb_data.main([*settings, *SMALL_SIZES, "--yes"]) == 0  # not --quiet: it notes the indexes
    err = capsys.readouterr().err
    assert f"{len(kit)} of the kit's indexes set aside for the load" in err
    assert "1 other indexes kept and maintained (" in err and "customer_name" in err
    assert f"rebuilt the {len(kit)} indexes set aside for the load in " in err
    assert not kit_indexes_missing(db)
    assert any(key_signature(ix["key"]) == ("customer_name",) for ix in db.orders.list_indexes())
    assert db.orders.find_one({"_id": "order_00000001"})["status"] != "edited"


# A load with workers, still under way when it is stopped or loses a worker while its catalog (or its first chunk of
# customers) is being written. A dead worker is noticed only while there is a task left to hand out: the pool
# takes AHEAD_PER_WORKER tasks per worker ahead, and the writing thread three batches (a chunk of customers is one)
# ahead of the writes, so over 2 x 4 + 3 tasks must follow the one being written. Chunks of customers, the cheapest to
# write, make them up; once stopped, the rest is never written.
LONG_CUSTOMERS = (2 * AHEAD_PER_WORKER + 2) * CUSTOMER_CHUNK + 7
LONG_SIZES = ["--customers", str(LONG_CUSTOMERS), "--orders", "20", "--yes", "--quiet"]
LONG = [*LONG_SIZES, "--workers", "2"]


def _children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="finds the worker processes through /proc")
def test_a_killed_worker_is_one_line_and_a_rerun_repairs_with_the_indexes(client, db_name, settings):
    # a small dataset with the kit's indexes, which the load sets aside
    assert generate_mongodb_data.main([*settings, "--customers", "50", "--orders", "50", "--quiet", "--yes"]) == 0
    assert create_indexes.main([*settings, "--quiet"]) == 0
    process = start_script("generate_mongodb_data", *settings, *LONG)
    deadline, db = time.monotonic() + 120, client[db_name]
    while db.customers.estimated_document_count():  # emptied: the load has set the indexes aside
        assert process.poll() is None and time.monotonic() < deadline, "the load never emptied the data"
        time.sleep(0.02)
    while not db.stores.estimated_document_count():  # its first documents: the workers have handed some back
        assert process.poll() is None and time.monotonic() < deadline, "the load ended before it could be stopped"
        time.sleep(0.02)
    workers = _children(process.pid)
    assert len(workers) == 2
    os.kill(workers[0], signal.SIGKILL)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 1, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: a worker process ended abruptly"), err
    assert "partial dataset" in lines[0] and "rebuilds the" in lines[0] and "--yes" in lines[0]
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)

    assert generate_mongodb_data.main([*settings, *LONG_SIZES]) == 0  # the rerun the line asks for
    assert db.customers.count_documents({}) == LONG_CUSTOMERS and db.orders.count_documents({}) == 20
    assert not kit_indexes_missing(db)


STOPS = {  # how a load with workers is stopped: (signal, exit code, sent to the workers too, as a terminal does)
    "ctrl-c to the group": (signal.SIGINT, 130, True),
    "hang-up to the group": (signal.SIGHUP, 129, True),
    "kill to the parent": (signal.SIGTERM, 143, False),
}


@pytest.fixture(scope="module")
def stopped_loads(mongo_uri: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, str, list[int]]]:
    """The three stops at once, each of its own load into its own database: how each ended (exit code, stderr,
    the worker pids it had)."""
    env_file = tmp_path_factory.mktemp("stops") / "test.env"
    env_file.write_text("")
    names = {stop: f"zava_test_stop_{uuid.uuid4().hex[:10]}" for stop in STOPS}
    ended: dict = {}
    processes: dict[str, subprocess.Popen] = {}
    with MongoClient(mongo_uri, serverSelectionTimeoutMS=5000) as client:
        try:
            for stop in STOPS:
                env = {"MONGODB_CONNECTION_STRING": mongo_uri, "MONGODB_DATABASE": names[stop]}
                processes[stop] = start_script("generate_mongodb_data", "--env-file", str(env_file), *LONG, env=env)
            deadline, running = time.monotonic() + 120, dict(processes)
            while running:  # each stopped once it writes its first documents
                for stop, process in list(running.items()):
                    assert process.poll() is None, f"{stop}: the load ended before it could be stopped"
                    if client[names[stop]].stores.estimated_document_count():
                        workers = _children(process.pid)
                        signum, _, group = STOPS[stop]
                        for pid in [process.pid, *workers] if group else [process.pid]:  # a terminal's signals
                            os.kill(pid, signum)  # reach the workers too
                        ended[stop] = workers
                        del running[stop]
                assert time.monotonic() < deadline, "the loads never wrote their first documents"
                time.sleep(0.02)
            for stop, process in processes.items():
                _, err = process.communicate(timeout=60)
                ended[stop] = (process.returncode, err, ended[stop])
        finally:
            for process in processes.values():
                if process.poll() is None:
                    process.kill()
                    process.wait()
            for name in names.values():
                client.drop_database(name)
    return ended


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="finds the worker processes through /proc")
@pytest.mark.parametrize("stop", list(STOPS))
def test_a_stop_with_workers_is_one_line_and_leaves_no_process(stopped_loads, stop):
    code, err, workers = stopped_loads[stop]
    assert code == STOPS[stop][1], err
    assert err.strip().startswith("error: interrupted;") and len(err.strip().splitlines()) == 1, err
    assert "the load is incomplete" in err and "--yes" in err
    assert workers and not any(Path(f"/proc/{pid}").exists() for pid in workers)


@pytest.mark.parametrize("value", ["-1", "two", "65"])
def test_bad_workers_setting_is_one_line_and_exit_2(env_file, capsys, value):
    env_file.write_text(f"WORKERS={value}\n")
    code, err = generate(capsys, env_file, "--dry-run")
    assert code == 2
    assert err.strip().startswith("error: WORKERS must be") and value in err


def test_automatic_workers_follow_where_the_server_is():
    cores = min(4, os.cpu_count() or 1)
    assert on_this_machine("mongodb://127.0.0.1:27017") and on_this_machine("mongodb://localhost,127.0.0.1:27018")
    assert not on_this_machine("mongodb://db.example.com:27017") and not on_this_machine("mongodb+srv://c.example.net")
    assert choose_workers(0, "mongodb://127.0.0.1:27017") == 1
    assert choose_workers(0, "mongodb://db.example.com") == cores
    assert choose_workers(0, None) == cores  # --dry-run and --out
    assert choose_workers(3, "mongodb://127.0.0.1") == 3
