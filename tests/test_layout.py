"""The tree tells the story: scripts/ holds what people run, the package holds the rest, the docs follow."""

from __future__ import annotations

import ast
import re

from common import PROJECT_ROOT

SCRIPTS = PROJECT_ROOT / "scripts"
PACKAGE = SCRIPTS / "zava"
DOCS = [PROJECT_ROOT / n for n in ("README.md", "SCRIPTS_REFERENCE.md", "SAMPLE_QUERIES.md", "CONNECTOR_SETUP.md")]
DOCS += sorted((PROJECT_ROOT / "docs").glob("*.md"))


def test_scripts_holds_only_entry_points_common_and_the_package():
    for path in SCRIPTS.glob("*.py"):
        assert path.name == "common.py" or '\nif __name__ == "__main__":\n' in path.read_text(), path.name
    assert {p.name for p in SCRIPTS.iterdir() if p.is_dir() and not p.name.startswith((".", "__"))} == {"zava"}


def test_the_package_never_imports_an_entry_point():
    entry_points = {p.stem for p in SCRIPTS.glob("*.py")}  # common.py included: it re-exports the package
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            names += [node.module] if isinstance(node, ast.ImportFrom) and node.module else []
            assert not {n.split(".")[0] for n in names} & entry_points, f"{path.relative_to(SCRIPTS)} imports {names}"


def test_every_path_the_docs_name_exists():
    named = {m for doc in DOCS for m in re.findall(r"scripts/[a-z_/]+\.(?:json|py|js)\b", doc.read_text())}
    assert named, "the docs name no script paths at all"
    assert sorted(p for p in named if not (PROJECT_ROOT / p).is_file()) == []


def test_the_architecture_module_map_lists_every_module_of_the_package():
    text = (PROJECT_ROOT / "docs" / "ARCHITECTURE.md").read_text()
    listed = set(re.findall(r"`(zava/[\w/]+\.py)`", text))
    present = {str(p.relative_to(SCRIPTS)) for p in PACKAGE.rglob("*.py") if p.name != "__init__.py"}
    assert listed == present
