"""The docs describe what the code does: every script and flag, every setting, collection and index."""

from __future__ import annotations

import importlib
import re

import pytest

from common import PROJECT_ROOT
from helpers import ENVIRONMENT_ONLY_SETTINGS, kit_settings
from zava.model.collections import COLLECTIONS
from zava.model.indexes import INDEXES

ENTRY_POINTS = {
    path.stem: importlib.import_module(path.stem)
    for path in sorted((PROJECT_ROOT / "scripts").glob("*.py"))
    if '\nif __name__ == "__main__":' in path.read_text()
}


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
    section = (PROJECT_ROOT / "SCRIPTS_REFERENCE.md").read_text().split("## create_indexes.py")[1].split("\n## ")[0]
    listed = {}
    for collection, cell in re.findall(r"^\| (\w+) \| (`.+) \|$", section, flags=re.M):
        listed[collection] = [n for n in re.findall(r"`(\w+)`", cell) if n.startswith(collection)]
    expected = {}
    for spec in INDEXES:
        expected.setdefault(spec.collection, []).append(spec.name)
    assert listed == expected


# Upper-case strings the code passes that name no setting: a signal, a column title.
NOT_SETTINGS = {"SIGINT", "SIGTERM", "SIGHUP", "SKU"}


def test_the_settings_list_is_every_setting_the_code_reads_and_the_env_sample_documents():
    """What .env.sample documents (and the tests clear) is every upper-case name the code reads (an argument such
    as values.get("NAME"), or a constant NAME_SETTING = "NAME"), besides those read from the environment alone."""
    code = "".join(p.read_text() for p in (PROJECT_ROOT / "scripts").rglob("*.py"))
    read = set(re.findall(r'[(,]\s*"([A-Z][A-Z0-9_]{2,})"\s*[,)]', code))
    read |= set(re.findall(r'^[A-Z_]*SETTING = "([A-Z][A-Z0-9_]+)"', code, flags=re.M))
    assert read - NOT_SETTINGS == kit_settings() | set(ENVIRONMENT_ONLY_SETTINGS)
    assert len(kit_settings()) >= 18
