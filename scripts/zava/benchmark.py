"""The benchmark: generation speed (one worker and several), the server's insert ceiling, the real load command
fresh and over an indexed database, indexes, the initial-sync trigger and clear, and memory at scale."""

from __future__ import annotations

import multiprocessing
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection

from pymongo import MongoClient

from zava.catalog.loader import load_catalog
from zava.console import peak_memory_mb, say
from zava.errors import KitError
from zava.generation.dataset import Dataset, DatasetSpec
from zava.generation.load import LoadRequest, load_dataset
from zava.generation.parallel import Workers
from zava.model.collections import SYNCED_COLLECTIONS
from zava.mongo.server import server_info
from zava.settings import PROJECT_ROOT, Config

SCRATCH_CEILING, SCRATCH_LOAD = "zava_bench_ceiling", "zava_bench_load"
SCRIPTS = PROJECT_ROOT / "scripts"


def run_script(
    name: str, argv: list[str], uri: str, database: str, env: dict[str, str] | None = None
) -> tuple[float, str]:
    """Run scripts/NAME.py in a child process against `database`; returns (seconds, its stderr)."""
    command = [sys.executable, str(SCRIPTS / f"{name}.py"), "--quiet", *argv]
    env = {**os.environ, **(env or {}), "MONGODB_CONNECTION_STRING": uri, "MONGODB_DATABASE": database}
    began = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - began
    if result.returncode:
        lines = result.stderr.strip().splitlines() or [f"exit code {result.returncode}"]
        first_error = next((line for line in lines if line.startswith("error: ")), lines[-1])
        raise KitError(f"{name} failed: {first_error.removeprefix('error: ')}")
    return seconds, result.stderr


@dataclass(frozen=True)
class Run:
    """What one load reports about itself."""

    seconds: float  # the whole load in its own process, as the user waits for it
    documents: int
    load_seconds: float  # its own wall clock of the generation and load
    peak_mb: float
    digest: str = ""  # dry run only
    rebuild_seconds: float = 0.0  # a reload over indexes only

    @property
    def us_per_document(self) -> float:
        return self.load_seconds / self.documents * 1e6


def _load_in_this_process(config: Config, request: LoadRequest, answer: Connection) -> None:
    """The body of a load's own process: its figures, or the one line of its error, go back through `answer`."""
    began = time.perf_counter()
    try:
        result = load_dataset(config, request)
    except KitError as exc:
        answer.send(str(exc))
        return
    seconds = time.perf_counter() - began
    stats = result.stats
    answer.send(Run(seconds, stats.total, stats.wall_seconds, peak_memory_mb(), result.digest, result.rebuild_seconds))


def generate(config: Config, database: str, orders: int, dry_run: bool = False, workers: int = 0) -> Run:
    """The load generate_mongodb_data.py runs, called in a process of its own so that its peak memory is its own."""
    config = replace(config, database=database, orders=orders, workers=workers or config.workers)
    receive, send = multiprocessing.Pipe(duplex=False)
    child = multiprocessing.get_context("spawn").Process(
        target=_load_in_this_process, args=(config, LoadRequest(dry_run=dry_run, assume_yes=True, quiet=True), send)
    )
    child.start()
    send.close()
    try:
        answer = receive.recv()
    except EOFError:
        answer = None
    child.join()
    if answer is None:
        answer = f"the load's process ended with exit code {child.exitcode}"
    if isinstance(answer, str):
        raise KitError(f"generate_mongodb_data failed: {answer}")
    return answer


def run_report(uri: str, database: str, customers: int, orders: int) -> tuple[float, float]:
    """data_report.py over a loaded database of these sizes; returns (seconds, the peak memory it reports in MB).

    KitError when the report finds the data broken."""
    sizes = {"NUM_CUSTOMERS": str(customers), "NUM_ORDERS": str(orders)}
    seconds, err = run_script("data_report", [], uri, database, sizes)
    return seconds, float(re.search(r"peak memory (\d+) MB", err)[1])


def _ceiling_seconds(client: MongoClient, dataset: Dataset, batch_size: int) -> float:
    """insert_many of the already generated and encoded documents: the server's own limit."""
    with Workers(dataset, "bson", 1) as pool:
        prebuilt = [(name, batch.documents()) for name, batch in pool.batches(dataset.tasks())]
    client.drop_database(SCRATCH_CEILING)
    db = client[SCRATCH_CEILING]
    began = time.perf_counter()
    for name, docs in prebuilt:
        for first in range(0, len(docs), batch_size):
            db[name].insert_many(docs[first : first + batch_size], ordered=False)
    return time.perf_counter() - began


def measure(
    client: MongoClient,
    config: Config,
    orders: int,
    scale_orders: int = 0,
    report_orders: int = 0,
    dry_run_orders: int = 0,
    workers: int = 2,
) -> dict[str, object]:
    """Every figure of the benchmark; the caller drops the scratch databases."""
    uri = config.mongo_uri
    say(f"1/4 generating and encoding, no server: 1 worker, then {workers} ...")
    one = generate(config, SCRATCH_LOAD, orders, dry_run=True, workers=1)
    many = generate(config, SCRATCH_LOAD, orders, dry_run=True, workers=workers)

    say("2/4 raw insert_many of the same pre-encoded documents into a scratch database ...")
    dataset = Dataset(DatasetSpec(config.customers, orders, config.start, config.end, config.seed), load_catalog())
    ceiling = _ceiling_seconds(client, dataset, config.batch_size)
    client.drop_database(SCRATCH_CEILING)

    say("3/4 the real command: a fresh load, indexes, then a reload over the indexed data ...")
    client.drop_database(SCRATCH_LOAD)
    fresh = generate(config, SCRATCH_LOAD, orders)
    index_seconds, _ = run_script("create_indexes", [], uri, SCRATCH_LOAD)
    reload = generate(config, SCRATCH_LOAD, orders)

    say("4/4 the initial-sync trigger and a clear of the loaded data ...")
    synced = sum(client[SCRATCH_LOAD][name].estimated_document_count() for name in SYNCED_COLLECTIONS)
    trigger_seconds, _ = run_script("trigger_initial_sync", ["--yes"], uri, SCRATCH_LOAD)
    clear_seconds, _ = run_script("clear_mongodb_data", ["--yes"], uri, SCRATCH_LOAD)
    results: dict[str, object] = {
        "server": server_info(client).describe(),
        "documents": fresh.documents,
        "generate_docs_per_s": round(one.documents / one.load_seconds),
        f"generate_docs_per_s_{workers}_workers": round(many.documents / many.load_seconds),
        "workers_speedup": round(one.load_seconds / many.load_seconds, 3),
        "workers_same_bytes": one.digest == many.digest != "",
        "ceiling_docs_per_s": round(fresh.documents / ceiling),
        "load_docs_per_s": round(fresh.documents / fresh.seconds),
        "load_vs_ceiling": round(fresh.seconds / ceiling, 3),
        "peak_rss_mb": round(fresh.peak_mb, 1),
        "index_seconds": round(index_seconds, 2),
        "reload_seconds": round(reload.seconds, 2),
        "fresh_load_seconds": round(fresh.seconds, 2),
        "reload_vs_fresh": round(reload.seconds / fresh.seconds, 3),
        "reload_index_rebuild_seconds": round(reload.rebuild_seconds, 2),
        "trigger_sync_docs_per_s": round(synced / trigger_seconds),
        "clear_seconds": round(clear_seconds, 2),
    }
    if scale_orders:
        say(f"extra: the real command with {scale_orders:,} orders, for memory ...")
        scaled = generate(config, SCRATCH_LOAD, scale_orders)
        results[f"peak_rss_mb_{scale_orders}_orders"] = round(scaled.peak_mb, 1)
        results["peak_rss_growth"] = round(scaled.peak_mb / fresh.peak_mb, 3)
    if dry_run_orders:
        say(f"extra: a one-worker dry run with {dry_run_orders:,} orders, for memory and time per document ...")
        big = generate(config, SCRATCH_LOAD, dry_run_orders, dry_run=True, workers=1)
        results["dry_run_peak_rss_mb"] = round(one.peak_mb, 1)
        results[f"dry_run_peak_rss_mb_{dry_run_orders}_orders"] = round(big.peak_mb, 1)
        results["dry_run_peak_rss_growth"] = round(big.peak_mb / one.peak_mb, 3)
        results["dry_run_us_per_document"] = round(one.us_per_document, 2)
        results[f"dry_run_us_per_document_{dry_run_orders}_orders"] = round(big.us_per_document, 2)
        results["dry_run_time_per_document_growth"] = round(big.us_per_document / one.us_per_document, 3)
    if report_orders:
        _report(results, client, config, orders, report_orders)
    client.drop_database(SCRATCH_LOAD)
    return results


def _report(results: dict[str, object], client: MongoClient, config: Config, orders: int, report_orders: int) -> None:
    """The data report's time and memory over the default load and over a bigger one."""
    uri = config.mongo_uri
    say("the data report over the loaded data ...")
    generate(config, SCRATCH_LOAD, orders)
    report_seconds, report_mb = run_report(uri, SCRATCH_LOAD, config.customers, orders)
    say(f"extra: the real command with {report_orders:,} orders, then the data report over it ...")
    generate(config, SCRATCH_LOAD, report_orders)
    scaled_seconds, scaled_mb = run_report(uri, SCRATCH_LOAD, config.customers, report_orders)
    results["report_seconds"] = round(report_seconds, 2)
    results["report_peak_rss_mb"] = round(report_mb, 1)
    results[f"report_seconds_{report_orders}_orders"] = round(scaled_seconds, 2)
    results[f"report_peak_rss_mb_{report_orders}_orders"] = round(scaled_mb, 1)
    results["report_peak_rss_growth"] = round(scaled_mb / report_mb, 3)
