"""The benchmark: generation speed, the server's insert ceiling, the real load command, indexes, trigger and clear."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

from pymongo import MongoClient

from common import PROJECT_ROOT, Config, KitError
from zava.console import say
from zava.generation.dataset import Dataset, DatasetSpec
from zava.generation.loader import EncodeSink, LoadStats, MongoSink, load
from zava.model.catalog import load_catalog
from zava.model.collections import SYNCED_COLLECTIONS
from zava.mongo.server import server_info

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


def _peak_mb(err: str) -> float:
    return float(re.search(r"peak memory (\d+) MB", err).group(1))


def run_load(uri: str, database: str, orders: int, extra: list[str]) -> tuple[float, float]:
    """The real load command; returns (seconds, the peak memory it reports in MB)."""
    seconds, err = run_script("generate_mongodb_data", ["--yes", "--orders", str(orders), *extra], uri, database)
    return seconds, _peak_mb(err)


def run_report(uri: str, database: str, customers: int, orders: int) -> tuple[float, float]:
    """data_report.py over a loaded database of these sizes; returns (seconds, the peak memory it reports in MB).

    KitError when the report finds the data broken."""
    sizes = {"NUM_CUSTOMERS": str(customers), "NUM_ORDERS": str(orders)}
    seconds, err = run_script("data_report", [], uri, database, sizes)
    return seconds, _peak_mb(err)


def measure(
    client: MongoClient, config: Config, orders: int, scale_orders: int, report_orders: int = 0
) -> dict[str, object]:
    """Every figure of the benchmark; the caller drops the scratch databases."""
    dataset = Dataset(DatasetSpec(config.customers, orders, config.start, config.end, config.seed), load_catalog())
    expected = dataset.expected_counts()
    quiet = True

    say("1/3 generating and encoding (no server) ...")
    generated = load(dataset.batches(), EncodeSink(), expected, quiet, LoadStats())

    say("2/3 raw insert_many of the same pre-built documents into a scratch database ...")
    prebuilt = list(dataset.batches())
    client.drop_database(SCRATCH_CEILING)
    sink = MongoSink(client[SCRATCH_CEILING], config.batch_size)
    began = time.perf_counter()
    for name, docs in prebuilt:
        sink.write(name, docs)
    ceiling_seconds = time.perf_counter() - began
    del prebuilt

    say("3/3 the real command, end to end ...")
    client.drop_database(SCRATCH_LOAD)
    seed_flags = [
        "--seed",
        str(config.seed),
        "--customers",
        str(config.customers),
        "--start-date",
        str(config.start.date()),
        "--end-date",
        str(config.end.date()),
    ]
    load_seconds, peak_mb = run_load(config.mongo_uri, SCRATCH_LOAD, orders, seed_flags)
    if report_orders:
        say("the data report over the loaded data ...")
        report_seconds, report_mb = run_report(config.mongo_uri, SCRATCH_LOAD, config.customers, orders)
    say("then indexes, the initial-sync trigger and a clear of the loaded data ...")
    index_seconds, _ = run_script("create_indexes", [], config.mongo_uri, SCRATCH_LOAD)
    synced = sum(client[SCRATCH_LOAD][name].estimated_document_count() for name in SYNCED_COLLECTIONS)
    trigger_seconds, _ = run_script("trigger_initial_sync", ["--yes"], config.mongo_uri, SCRATCH_LOAD)
    clear_seconds, _ = run_script("clear_mongodb_data", ["--yes"], config.mongo_uri, SCRATCH_LOAD)
    results: dict[str, object] = {
        "server": server_info(client).describe(),
        "documents": generated.total,
        "generate_docs_per_s": round(generated.total / generated.wall_seconds),
        "ceiling_docs_per_s": round(generated.total / ceiling_seconds),
        "load_docs_per_s": round(generated.total / load_seconds),
        "load_vs_ceiling": round(load_seconds / ceiling_seconds, 3),
        "peak_rss_mb": round(peak_mb, 1),
        "index_seconds": round(index_seconds, 2),
        "trigger_sync_docs_per_s": round(synced / trigger_seconds),
        "clear_seconds": round(clear_seconds, 2),
    }
    if scale_orders:
        say(f"extra: the real command with {scale_orders:,} orders, for memory ...")
        _, scaled_mb = run_load(config.mongo_uri, SCRATCH_LOAD, scale_orders, seed_flags)
        if report_orders != scale_orders:
            client.drop_database(SCRATCH_LOAD)
        results[f"peak_rss_mb_{scale_orders}_orders"] = round(scaled_mb, 1)
        results["peak_rss_growth"] = round(scaled_mb / peak_mb, 3)
    if report_orders:
        results["report_seconds"] = round(report_seconds, 2)
        results["report_peak_rss_mb"] = round(report_mb, 1)
        if report_orders != scale_orders:
            say(f"extra: the real command with {report_orders:,} orders, for the data report ...")
            run_load(config.mongo_uri, SCRATCH_LOAD, report_orders, seed_flags)
        say(f"the data report over {report_orders:,} orders ...")
        scaled_seconds, scaled_report_mb = run_report(config.mongo_uri, SCRATCH_LOAD, config.customers, report_orders)
        client.drop_database(SCRATCH_LOAD)
        results[f"report_seconds_{report_orders}_orders"] = round(scaled_seconds, 2)
        results[f"report_peak_rss_mb_{report_orders}_orders"] = round(scaled_report_mb, 1)
        results["report_peak_rss_growth"] = round(scaled_report_mb / report_mb, 3)
    return results
