"""connector_config.py: every format lists exactly the synced collections of COLLECTIONS with their ID mapping."""

from __future__ import annotations

import json

import pytest

import connector_config
from helpers import free_port, run_script
from zava.model.collections import COLLECTIONS

SYNCED = [c for c in COLLECTIONS if c.synced]
NOT_SYNCED = [c.name for c in COLLECTIONS if not c.synced]


@pytest.fixture
def database(monkeypatch: pytest.MonkeyPatch, env_file) -> list[str]:
    """A database name from the environment and no reachable server: the script must not need one."""
    monkeypatch.setenv("MONGODB_DATABASE", "zava_demo-1")
    monkeypatch.setenv("MONGODB_CONNECTION_STRING", f"mongodb://127.0.0.1:{free_port()}")
    return ["--env-file", str(env_file)]


def output(argv: list[str], capsys) -> str:
    assert connector_config.main(argv) == 0
    return capsys.readouterr().out


def parse_yaml(text: str) -> dict:
    """The block-style subset connector_config writes: mappings, lists of scalars, comments, quoted strings."""
    lines = []
    for raw in text.splitlines():
        line = raw.split("  #")[0].rstrip()
        if line.strip() and not line.lstrip().startswith("#") and line.strip() != "---":
            lines.append((len(line) - len(line.lstrip()), line.strip()))

    def scalar(value: str) -> object:
        return json.loads(value) if value.startswith('"') or value in ("true", "false") else value

    def block(start: int, indent: int) -> tuple[object, int]:
        if lines[start][1].startswith("- "):
            items, i = [], start
            while i < len(lines) and lines[i][0] == indent and lines[i][1].startswith("- "):
                items.append(scalar(lines[i][1][2:]))
                i += 1
            return items, i
        mapping, i = {}, start
        while i < len(lines) and lines[i][0] == indent:
            key, _, value = lines[i][1].partition(":")
            if value.strip():
                mapping[scalar(key)] = scalar(value.strip())
                i += 1
            else:
                mapping[scalar(key)], i = block(i + 1, lines[i + 1][0])
        assert i == len(lines) or lines[i][0] < indent, f"bad indentation at {lines[i]}"
        return mapping, i

    parsed, end = block(0, 0)
    assert end == len(lines)
    return parsed


def test_table_lists_every_collection_with_its_mapping(database, capsys) -> None:
    text = output(database, capsys)
    assert text.startswith("database zava_demo-1\n")
    rows = {line.split()[0]: line.split(None, 2)[1:] for line in text.splitlines()[4:]}
    assert list(rows) == [c.name for c in COLLECTIONS]
    for c in COLLECTIONS:
        synced, mapping = rows[c.name]
        assert synced == ("yes" if c.synced else "no"), c.name
        if not c.synced:
            assert mapping == "not synced (stays in MongoDB)"
        elif c.id_fields == ("_id",):
            assert mapping == "match _id", c.name
        else:
            assert mapping == ("fields " if len(c.id_fields) > 1 else "field ") + " + ".join(c.id_fields), c.name


def test_json_parses_and_holds_exactly_the_synced_collections(database, capsys) -> None:
    config = json.loads(output([*database, "--format", "json"], capsys))
    assert config["database"] == "zava_demo-1"
    assert [c["name"] for c in config["collections"]] == [c.name for c in SYNCED]
    for entry, c in zip(config["collections"], SYNCED):
        assert entry["fields"] == list(c.id_fields)
        assert entry["id_mapping"] == ("match_id" if c.id_fields == ("_id",) else "fields")
    assert config["not_synced"] == NOT_SYNCED == ["product_embeddings"]
    inventory = next(e for e in config["collections"] if e["name"] == "inventory")
    assert inventory == {"name": "inventory", "id_mapping": "fields", "fields": ["store_id", "product_id"]}


def test_yaml_is_a_bigpeerdatabridge_for_exactly_the_synced_collections(database, capsys) -> None:
    argv = [*database, "--format", "yaml", "--name", "zava-sync", "--app", "retail", "--big-peer", "bp1"]
    text = output([*argv, "--namespace", "edge"], capsys)
    resource = parse_yaml(text)
    assert resource["apiVersion"] == "ditto.live/v1alpha1" and resource["kind"] == "BigPeerDataBridge"
    assert resource["metadata"] == {
        "name": "zava-sync",
        "namespace": "edge",
        "labels": {"ditto.live/app": "retail", "ditto.live/big-peer": "bp1"},
    }
    connector = resource["spec"]["bridge"]["mongoConnector"]
    assert connector["database"] == "zava_demo-1"
    assert connector["connectionSecret"] == {"kubernetesSecret": {"name": "zava-sync"}}
    assert list(connector["collections"]) == [c.name for c in SYNCED]
    for c in SYNCED:
        options = connector["collections"][c.name]
        assert options == {"fields": list(c.id_fields), "initialSync": True, "mode": "json", "dqlStrictMode": False}
    assert "product_embeddings:" not in text and "# not synced: product_embeddings" in text
    assert "kubectl create secret generic zava-sync -n edge" in text


def test_yaml_quotes_values_yaml_would_misread(monkeypatch, env_file, capsys) -> None:
    monkeypatch.setenv("MONGODB_DATABASE", "2025")
    resource = parse_yaml(output(["--env-file", str(env_file), "--format", "yaml"], capsys))
    connector = resource["spec"]["bridge"]["mongoConnector"]
    assert connector["database"] == "2025"  # quoted: a plain 2025 would be a number
    assert resource["metadata"]["labels"] == {"ditto.live/app": "zava", "ditto.live/big-peer": "bigpeer"}


@pytest.mark.parametrize(("flag", "value"), [("--app", "Zava_App"), ("--namespace", "edge-"), ("--name", "a" * 64)])
def test_bad_kubernetes_names_exit_2(database, capsys, flag, value) -> None:
    assert connector_config.main([*database, "--format", "yaml", flag, value]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith(f"error: {flag} must be lower-case letters")


def test_runs_as_a_script_without_a_server(database) -> None:
    result = run_script("connector_config", *database, "--format", "json", timeout=30)
    assert result.returncode == 0, result.stderr
    assert [c["name"] for c in json.loads(result.stdout)["collections"]] == [c.name for c in SYNCED]
