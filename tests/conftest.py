"""Shared fixtures: a real server over the wire (the local server, or MONGODB_TEST_URI).

Every test whose fixtures reach a server (SERVER_FIXTURES) is marked `server`; the few that need none but
generate whole datasets again and again (or measure the default-size one at length) are marked `slow`;
`pytest -m "not server and not slow"` runs the rest, the fast set of `make check`. Under pytest-xdist
(`make test` runs two workers) each worker starts its own local server, or shares MONGODB_TEST_URI with
scratch database names of its own.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from pymongo import MongoClient

import generate_mongodb_data
from helpers import ENVIRONMENT_ONLY_SETTINGS, SMALL, WORKER_SUFFIX, Pristine, free_port, kit_settings, scratch_dataset
from zava.mongo.local_server import LocalServer
from zava.mongo.server import server_info
from zava.reads.queries import example_params

# The shared server, a server of the test's own, and a port where a server is expected but none answers
# (the scripts wait out their 5 s server selection timeout there).
SERVER_FIXTURES = frozenset({"mongo_uri", "new_server", "unreachable_port"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if SERVER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.server)


@pytest.fixture(scope="session", autouse=True)
def sealed_environment() -> Iterator[None]:
    """Every setting the kit reads is cleared for the whole session, before any other fixture runs, so that
    nothing in a developer's shell changes a result (MONGODB_TEST_URI, the suite's own, stays)."""
    with pytest.MonkeyPatch.context() as patch:
        for name in (*kit_settings(), *ENVIRONMENT_ONLY_SETTINGS):
            patch.delenv(name, raising=False)
        yield


@pytest.fixture(scope="session")
def mongo_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """MONGODB_TEST_URI when set, else a local server started for this test session."""
    if os.environ.get("MONGODB_TEST_URI"):
        yield os.environ["MONGODB_TEST_URI"]
        return
    server = LocalServer(tmp_path_factory.mktemp("server"), "127.0.0.1", free_port())
    server.start()
    yield server.uri
    server.stop()


@pytest.fixture
def new_server(tmp_path: Path) -> Iterator[LocalServer]:
    """A local server of this test's own under tmp_path/"server", on a free port: not started, stopped afterwards."""
    server = LocalServer(tmp_path / "server", "127.0.0.1", free_port())
    yield server
    server.stop()


@pytest.fixture
def unreachable_port() -> int:
    """A free local port: nothing answers there, so a script that connects waits out its timeout."""
    return free_port()


@pytest.fixture
def client(mongo_uri: str) -> Iterator[MongoClient]:
    with MongoClient(mongo_uri, serverSelectionTimeoutMS=5000) as c:
        yield c


@pytest.fixture
def env_file(tmp_path: Path) -> Path:
    """An empty settings file, so a developer's own .env never leaks into a test."""
    path = tmp_path / "test.env"
    path.write_text("")
    return path


@pytest.fixture
def db_name(client: MongoClient) -> Iterator[str]:
    """A fresh database name per test, dropped afterwards."""
    name = f"zava_test_{uuid.uuid4().hex[:10]}"
    yield name
    client.drop_database(name)


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch, mongo_uri: str, db_name: str, env_file: Path) -> list[str]:
    """Point the scripts at the test server and database; returns the --env-file flag to pass."""
    monkeypatch.setenv("MONGODB_CONNECTION_STRING", mongo_uri)
    monkeypatch.setenv("MONGODB_DATABASE", db_name)
    return ["--env-file", str(env_file)]


@pytest.fixture
def loaded(client: MongoClient, db_name: str, settings: list[str]):
    """The test database holding a small generated dataset (helpers.SMALL)."""
    assert generate_mongodb_data.main([*settings, *SMALL]) == 0
    return client[db_name]


WORLD_SIZE = ["--customers", "400", "--orders", "4000", "--start-date", "2024-01-01", "--end-date", "2025-07-01"]


@pytest.fixture(scope="session")
def world(mongo_uri, tmp_path_factory):
    """A loaded, indexed dataset and every raw document of it, shared by the query and search tests."""
    folder = tmp_path_factory.mktemp("env")
    with scratch_dataset(mongo_uri, folder, "zava_queries", WORLD_SIZE, indexed=True) as (db, settings):
        raw = {name: list(db[name].find()) for name in db.list_collection_names()}
        yield {
            "db": db,
            "raw": raw,
            "params": example_params(db),
            "settings": settings,
            "local": server_info(db.client).is_local,
        }


def pytest_terminal_summary(terminalreporter) -> None:
    """One line when the browser tests of the store dashboard could not run here."""
    from browser import browser_missing

    missing = browser_missing()
    if missing:
        terminalreporter.write_line(f"browser tests did not run: {missing}")


DEFAULT_DATABASE = "zava_default" + WORKER_SUFFIX


@pytest.fixture(scope="session")
def default_load(mongo_uri: str, tmp_path_factory: pytest.TempPathFactory):
    """`python scripts/generate_mongodb_data.py` with no size flags, as a user runs it: the default dataset
    (25,000 customers, 100,000 orders, dates ending today in UTC) in its own database, DEFAULT_DATABASE, then
    indexed by create_indexes. (the database, the --env-file flag, the load's CompletedProcess); the database is
    dropped at the end of the session. Read it only; default_dataset is the same without the load's output."""
    import create_indexes
    from helpers import run_script

    env = tmp_path_factory.mktemp("default") / "test.env"
    env.write_text(f"MONGODB_CONNECTION_STRING={mongo_uri}\nMONGODB_DATABASE={DEFAULT_DATABASE}\n")
    settings = ["--env-file", str(env)]
    with MongoClient(mongo_uri, serverSelectionTimeoutMS=5000) as client:
        client.drop_database(DEFAULT_DATABASE)
        try:
            result = run_script("generate_mongodb_data", *settings, timeout=900)
            assert result.returncode == 0, result.stderr
            assert create_indexes.main([*settings, "--quiet"]) == 0
            yield client[DEFAULT_DATABASE], settings, result
        finally:
            client.drop_database(DEFAULT_DATABASE)


@pytest.fixture(scope="session")
def default_dataset(default_load):
    """The default dataset of default_load, indexed, for reading: (the database, the --env-file flag)."""
    db, settings, _ = default_load
    return db, settings


SHARED_CUSTOMERS, SHARED_ORDERS = 300, 1500  # big enough for every rule of the data report


@pytest.fixture(scope="session")
def shared_dataset(mongo_uri: str, tmp_path_factory: pytest.TempPathFactory):
    """A dataset of 300 customers and 1,500 orders loaded once per session in its own database, and its
    Pristine copy: (the database, the Pristine). Use it through shared_loaded, which puts it back after each test."""
    folder = tmp_path_factory.mktemp("shared")
    sizes = ["--customers", str(SHARED_CUSTOMERS), "--orders", str(SHARED_ORDERS)]
    with scratch_dataset(mongo_uri, folder, "zava_shared", sizes) as (db, _settings):
        yield db, Pristine(db, skip=("product_embeddings",))  # nothing writes the embeddings


@pytest.fixture
def shared_loaded(shared_dataset, settings: list[str], monkeypatch: pytest.MonkeyPatch):
    """The session's shared_dataset, `settings` pointing at it and
    NUM_CUSTOMERS and NUM_ORDERS set to match; every document the test adds, changes or deletes is put back after it
    (even when it fails)."""
    db, pristine = shared_dataset
    monkeypatch.setenv("MONGODB_DATABASE", db.name)
    monkeypatch.setenv("NUM_CUSTOMERS", str(SHARED_CUSTOMERS))
    monkeypatch.setenv("NUM_ORDERS", str(SHARED_ORDERS))
    try:
        yield db
    finally:
        pristine.restore()
