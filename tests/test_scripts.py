"""The small scripts, the benchmark, and the docs that describe them."""

from __future__ import annotations

import importlib
import io
import json
import re
from urllib.parse import unquote

import pytest

import benchmark
import check_credentials
import encode_password
import generate_mongodb_data
import test_connection as connection_script
from common import PROJECT_ROOT
from zava.model.collections import COLLECTIONS

ENTRY_POINTS = {
    path.stem: importlib.import_module(path.stem)
    for path in sorted((PROJECT_ROOT / "scripts").glob("*.py"))
    if '\nif __name__ == "__main__":' in path.read_text()
}


def test_test_connection_reports_server_and_counts(client, db_name, settings, capsys):
    assert generate_mongodb_data.main([*settings, "--quiet", "--customers", "50", "--orders", "120"]) == 0
    capsys.readouterr()
    assert connection_script.main(settings) == 0
    out, err = capsys.readouterr()
    assert "connected to mongodb://" in err
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines()[2:]}
    assert set(rows) == {c.name for c in COLLECTIONS}
    assert rows["customers"][0] == "50" and rows["orders"][0] == "120" and rows["stores"][0] == "8"
    assert rows["product_embeddings"][1] == "no" and rows["inventory"][1] == "yes"


@pytest.mark.parametrize(
    ("uri", "problem"),
    [
        ("mongodb+srv://bob:p@ss#1@cluster0.abc.mongodb.net/", "unencoded # @"),
        ("mongodb://bob:50%off@host", "a % not followed by two hex digits"),
        ("mongodb://bob@host", "no password after the user name"),
        ("mongodb+srv://bob:pw@a.example.net,b.example.net/", "takes one host name without a port"),
        ("postgres://bob:pw@host", "must start with mongodb://"),
        ("mongodb://bob:pw@127.0.0.1:99999", "the driver rejects it: Port must be an integer"),
    ],
)
def test_check_credentials_flags_problems(uri, problem):
    findings = check_credentials.inspect_uri(uri)
    bad = [f.message for f in findings if not f.ok]
    assert any(problem in message for message in bad), bad


def test_check_credentials_accepts_a_good_uri_and_hides_the_password(settings, monkeypatch, capsys):
    findings = check_credentials.inspect_uri("mongodb+srv://bob:p%40ss@cluster0.abc.mongodb.net/?authSource=admin")
    assert all(f.ok for f in findings)
    assert "password present (4 characters, hidden)" in [f.message for f in findings]
    monkeypatch.setenv("MONGODB_CONNECTION_STRING", "mongodb://bob:Secr3t@@db.example.com")
    assert check_credentials.main(settings) == 1
    output = "".join(capsys.readouterr())
    assert "Secr3t" not in output and "unencoded @" in output


def test_encode_password_round_trips(monkeypatch, capsys):
    for password in ("p@ss:w/rd?#[]%", "plain", "space and ünïcode"):
        encoded = encode_password.encode_password(password)
        assert unquote(encoded) == password and not set(encoded) & set(":/?#[]@ ")
    assert encode_password.main(["p@ss", "--user", "bob"]) == 0
    assert capsys.readouterr().out.strip() == "bob:p%40ss@"
    monkeypatch.setattr("sys.stdin", io.StringIO("from stdin:1\n"))
    assert encode_password.main(["--quiet"]) == 0
    assert capsys.readouterr().out.strip() == "from%20stdin%3A1"


def test_benchmark_json_reports_every_figure(settings, monkeypatch, client, capsys):
    monkeypatch.setenv("NUM_CUSTOMERS", "200")
    assert benchmark.main([*settings, "--orders", "400", "--json"]) == 0
    results = json.loads(capsys.readouterr().out)
    keys = (
        "generate_docs_per_s",
        "ceiling_docs_per_s",
        "load_docs_per_s",
        "load_vs_ceiling",
        "peak_rss_mb",
        "index_seconds",
        "trigger_sync_docs_per_s",
        "clear_seconds",
    )
    for key in keys:
        assert isinstance(results[key], (int, float)) and results[key] > 0, key
    assert results["documents"] > 400 * 2 + 200 + 3168
    assert not {"zava_bench_ceiling", "zava_bench_load"} & set(client.list_database_names())
    assert results["server"].startswith(("nx-27017 local server", "MongoDB "))


def test_benchmark_compares_the_data_report_memory_at_two_sizes(settings, monkeypatch, client, capsys):
    monkeypatch.setenv("NUM_CUSTOMERS", "200")
    assert benchmark.main([*settings, "--orders", "300", "--report-orders", "900", "--json"]) == 0
    results = json.loads(capsys.readouterr().out)
    for key in ("report_seconds", "report_peak_rss_mb", "report_seconds_900_orders", "report_peak_rss_mb_900_orders"):
        assert isinstance(results[key], (int, float)) and results[key] > 0, key
    growth = results["report_peak_rss_mb_900_orders"] / results["report_peak_rss_mb"]
    assert results["report_peak_rss_growth"] == pytest.approx(growth, abs=0.001)
    assert not {"zava_bench_ceiling", "zava_bench_load"} & set(client.list_database_names())


def _help_flags(module, capsys) -> set[str]:
    with pytest.raises(SystemExit):
        module.main(["--help"])
    return set(re.findall(r"(--[a-z][a-z-]+)", capsys.readouterr().out)) - {"--help"}


def test_scripts_reference_documents_every_script_and_flag(capsys):
    reference = (PROJECT_ROOT / "SCRIPTS_REFERENCE.md").read_text()
    sections = dict(re.findall(r"^## (\w+)\.py\n(.*?)(?=^## |\Z)", reference, flags=re.S | re.M))
    assert len(ENTRY_POINTS) >= 12 and set(ENTRY_POINTS) == set(sections)
    shared = {"--env-file", "--quiet"}
    assert all(flag in reference for flag in shared)
    for name, module in ENTRY_POINTS.items():
        missing = {f for f in _help_flags(module, capsys) - shared if f not in sections[name]}
        assert not missing, f"{name}: {missing} not in SCRIPTS_REFERENCE.md"


def test_env_sample_documents_every_setting_the_code_reads():
    sample = (PROJECT_ROOT / ".env.sample").read_text()
    documented = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", sample, flags=re.M))
    code = "".join(p.read_text() for p in (PROJECT_ROOT / "scripts").glob("*.py"))
    read = set(re.findall(r'"((?:MONGODB|NUM|START|END|SEED|BATCH|DITTO|AZURE|EMBEDDING)[A-Z_]*)"', code))
    assert read and read <= documented, read - documented


def test_readme_shows_the_two_commands_and_the_collection_definition():
    readme = (PROJECT_ROOT / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme
    rows = dict(re.findall(r"^\| `(\w+)` \|[^|]*\|[^|]*\| (.+?) \|$", readme, flags=re.M))
    assert list(rows) == [c.name for c in COLLECTIONS]
    for c in COLLECTIONS:
        if not c.synced:
            assert rows[c.name].startswith("no"), c.name
        else:
            fields = " + ".join(f"`{f}`" for f in c.id_fields)
            assert rows[c.name] == f"yes, by {fields}", c.name


def test_connector_setup_mapping_is_the_collection_definition():
    text = (PROJECT_ROOT / "CONNECTOR_SETUP.md").read_text()
    rows = re.findall(r"^\| `(\w+)` \| (yes|no) \| (.+?) \|$", text, flags=re.M)
    assert [name for name, _, _ in rows] == [c.name for c in COLLECTIONS]
    for (name, synced, mapping), c in zip(rows, COLLECTIONS):
        assert (synced == "yes") == c.synced, name
        if c.id_fields == ("_id",):
            assert mapping == "match `_id`", name
        elif c.synced:
            plural = "fields" if len(c.id_fields) > 1 else "field"
            assert mapping == f"{plural} " + " + ".join(f"`{f}`" for f in c.id_fields), name


def test_scripts_reference_lists_every_index():
    from zava.model.indexes import INDEXES

    section = (PROJECT_ROOT / "SCRIPTS_REFERENCE.md").read_text().split("## create_indexes.py")[1].split("\n## ")[0]
    listed = {}
    for collection, cell in re.findall(r"^\| (\w+) \| (`.+) \|$", section, flags=re.M):
        listed[collection] = [n for n in re.findall(r"`(\w+)`", cell) if n.startswith(collection)]
    expected = {}
    for spec in INDEXES:
        expected.setdefault(spec.collection, []).append(spec.name)
    assert listed == expected
