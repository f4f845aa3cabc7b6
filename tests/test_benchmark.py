"""benchmark.py reports every figure and leaves no database behind."""

from __future__ import annotations

import argparse
import json

import pytest

import benchmark
from common import load_config
from zava.catalog.loader import load_catalog
from zava.generation.dataset import Dataset, DatasetSpec
from zava.mongo.server import server_info


def test_benchmark_json_reports_every_figure(settings, monkeypatch, client, capsys):
    monkeypatch.setenv("NUM_CUSTOMERS", "200")
    monkeypatch.setenv("END_DATE", "2025-07-01")  # the same dataset whenever the test runs
    assert benchmark.main([*settings, "--orders", "400", "--json"]) == 0
    results = json.loads(capsys.readouterr().out)
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
    dataset = Dataset(DatasetSpec(200, 400, config.start, config.end, config.seed), load_catalog())
    assert results["documents"] == sum(dataset.expected_counts().values())
    rate, seconds = results["load_docs_per_s"], results["fresh_load_seconds"]  # rounded to 1 and to 0.01
    assert abs(results["documents"] - rate * seconds) <= 0.5 * seconds + 0.005 * rate + 1
    assert results["load_vs_ceiling"] == pytest.approx(
        results["ceiling_docs_per_s"] / results["load_docs_per_s"], rel=0.01
    )
    assert not {"zava_bench_ceiling", "zava_bench_load"} & set(client.list_database_names())
    assert results["server"].startswith("nx-27017 local server" if server_info(client).is_local else "MongoDB ")


def test_benchmark_compares_memory_and_time_at_two_sizes(settings, monkeypatch, client, capsys):
    monkeypatch.setenv("NUM_CUSTOMERS", "200")
    flags = ["--orders", "300", "--report-orders", "900", "--dry-run-orders", "20000", "--scale-orders", "1200"]
    assert benchmark.main([*settings, *flags, "--json"]) == 0
    out, err = capsys.readouterr()
    results = json.loads(out)
    assert results["dry_run_peak_rss_growth"] == pytest.approx(
        results["dry_run_peak_rss_mb_20000_orders"] / results["dry_run_peak_rss_mb"], abs=0.01
    )
    growth = results["dry_run_us_per_document_20000_orders"] / results["dry_run_us_per_document"]
    assert results["dry_run_time_per_document_growth"] == pytest.approx(growth, rel=0.05)
    for key in ("report_seconds", "report_peak_rss_mb", "report_seconds_900_orders", "report_peak_rss_mb_900_orders"):
        assert isinstance(results[key], (int, float)) and results[key] > 0, key
    growth = results["report_peak_rss_mb_900_orders"] / results["report_peak_rss_mb"]
    assert results["report_peak_rss_growth"] == pytest.approx(growth, abs=0.001)
    assert not {"zava_bench_ceiling", "zava_bench_load"} & set(client.list_database_names())
    assert "extra: the real command with 1,200 orders" in err and results["peak_rss_mb_1200_orders"] > 0
    growth = results["peak_rss_mb_1200_orders"] / results["peak_rss_mb"]
    assert results["peak_rss_growth"] == pytest.approx(growth, abs=0.001)
