"""benchmark.py reports every figure and leaves no database behind."""

from __future__ import annotations

import argparse
import io
import json
from contextlib import redirect_stderr, redirect_stdout

import pytest
from pymongo import MongoClient

import benchmark
from common import load_config
from zava.catalog.loader import load_catalog
from zava.generation.dataset import Dataset, DatasetSpec
from zava.mongo.server import server_info

# The smallest sizes that still give every figure: the base load, and the bigger report, dry-run and scale runs.
ORDERS, REPORT_ORDERS, DRY_RUN_ORDERS, SCALE_ORDERS = 300, 600, 2000, 600


@pytest.fixture(scope="module")
def bench(mongo_uri, tmp_path_factory):
    """One benchmark run with every flag, which both tests read (a run takes many loads):
    (its JSON figures, its stderr, the --env-file flag it ran with, a client)."""
    env = tmp_path_factory.mktemp("bench") / "test.env"
    env.write_text(
        f"MONGODB_CONNECTION_STRING={mongo_uri}\nMONGODB_DATABASE=zava_bench_test\n"
        "NUM_CUSTOMERS=200\nEND_DATE=2025-07-01\n"  # the same dataset whenever the test runs
    )
    settings = ["--env-file", str(env)]
    flags = ["--orders", str(ORDERS), "--report-orders", str(REPORT_ORDERS)]
    flags += ["--dry-run-orders", str(DRY_RUN_ORDERS), "--scale-orders", str(SCALE_ORDERS)]
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = benchmark.main([*settings, *flags, "--json"])
    assert code == 0, err.getvalue()
    with MongoClient(mongo_uri, serverSelectionTimeoutMS=5000) as client:
        yield json.loads(out.getvalue()), err.getvalue(), settings, client


def test_benchmark_json_reports_every_figure(bench):
    results, _, settings, client = bench
    keys = (
        "generate_docs_per_s",
        "generate_docs_per_s_2_workers",
        "workers_speedup",
        "ceiling_docs_per_s",
        "load_docs_per_s",
        "load_vs_ceiling",
        "peak_rss_mb",
        "index_seconds",
        "fresh_load_seconds",
        "reload_seconds",
        "reload_vs_fresh",
        "reload_index_rebuild_seconds",
        "trigger_sync_docs_per_s",
        "clear_seconds",
    )
    for key in keys:
        assert isinstance(results[key], (int, float)) and results[key] > 0, key
    assert results["workers_same_bytes"] is True
    assert results["reload_vs_fresh"] == pytest.approx(
        results["reload_seconds"] / results["fresh_load_seconds"], abs=0.01
    )
    speedup = results["generate_docs_per_s_2_workers"] / results["generate_docs_per_s"]
    assert results["workers_speedup"] == pytest.approx(speedup, rel=0.05)
    config = load_config(argparse.Namespace(env_file=settings[1]))
    dataset = Dataset(DatasetSpec(200, ORDERS, config.start, config.end, config.seed), load_catalog())
    assert results["documents"] == sum(dataset.expected_counts().values())
    rate, seconds = results["load_docs_per_s"], results["fresh_load_seconds"]  # rounded to 1 and to 0.01
    assert abs(results["documents"] - rate * seconds) <= 0.5 * seconds + 0.005 * rate + 1
    assert results["load_vs_ceiling"] == pytest.approx(
        results["ceiling_docs_per_s"] / results["load_docs_per_s"], rel=0.01
    )
    assert not {"zava_bench_ceiling", "zava_bench_load"} & set(client.list_database_names())
    assert results["server"].startswith("nx-27017 local server" if server_info(client).is_local else "MongoDB ")


def test_benchmark_compares_memory_and_time_at_two_sizes(bench):
    results, err, _, client = bench
    assert results["dry_run_peak_rss_growth"] == pytest.approx(
        results[f"dry_run_peak_rss_mb_{DRY_RUN_ORDERS}_orders"] / results["dry_run_peak_rss_mb"], abs=0.01
    )
    growth = results[f"dry_run_us_per_document_{DRY_RUN_ORDERS}_orders"] / results["dry_run_us_per_document"]
    assert results["dry_run_time_per_document_growth"] == pytest.approx(growth, rel=0.05)
    report_keys = (f"report_seconds_{REPORT_ORDERS}_orders", f"report_peak_rss_mb_{REPORT_ORDERS}_orders")
    for key in ("report_seconds", "report_peak_rss_mb", *report_keys):
        assert isinstance(results[key], (int, float)) and results[key] > 0, key
    growth = results[f"report_peak_rss_mb_{REPORT_ORDERS}_orders"] / results["report_peak_rss_mb"]
    assert results["report_peak_rss_growth"] == pytest.approx(growth, abs=0.001)
    assert not {"zava_bench_ceiling", "zava_bench_load"} & set(client.list_database_names())
    assert f"extra: the real command with {SCALE_ORDERS:,} orders" in err
    assert results[f"peak_rss_mb_{SCALE_ORDERS}_orders"] > 0
    scaled, base = results[f"peak_rss_mb_{SCALE_ORDERS}_orders"], results["peak_rss_mb"]
    assert ratio_of_rounded(results["peak_rss_growth"], scaled, base, 0.1), (scaled, base)


def ratio_of_rounded(ratio: float, top: float, bottom: float, step: float) -> bool:
    """Whether `ratio` (rounded to 3 places) is top / bottom as they were before each was rounded to `step`: two
    figures near 100 MB rounded to 0.1 MB leave their ratio uncertain by up to 0.001 on their own."""
    low, high = (top - step / 2) / (bottom + step / 2), (top + step / 2) / (bottom - step / 2)
    return low - 0.0005 <= ratio <= high + 0.0005
