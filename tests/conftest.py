"""Shared fixtures: a real server over the wire (the local server, or MONGODB_TEST_URI)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from pymongo import MongoClient

from common import PROJECT_ROOT
from zava.mongo.local_server import LocalServer

SCRIPTS = PROJECT_ROOT / "scripts"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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
    for name in ("NUM_CUSTOMERS", "NUM_ORDERS", "START_DATE", "END_DATE", "SEED", "BATCH_SIZE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MONGODB_CONNECTION_STRING", mongo_uri)
    monkeypatch.setenv("MONGODB_DATABASE", db_name)
    return ["--env-file", str(env_file)]


@contextmanager
def http_server() -> Iterator[ThreadingHTTPServer]:
    """A threaded HTTP server on a free local port; set its RequestHandlerClass to serve."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def run_script(
    name: str, *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    """Run scripts/NAME.py in a child process, as a user would."""
    return subprocess.run(
        [sys.executable, str(SCRIPTS / f"{name}.py"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
    )
