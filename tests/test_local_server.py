"""The local server is started, found, and stopped by the project itself."""

from __future__ import annotations

import socket

import pytest
from pymongo import MongoClient

import local_server
from common import KitError
from helpers import free_port, run_script
from zava.mongo.local_server import LocalServer


def test_start_status_stop_and_data_survives_a_restart(new_server, tmp_path, capsys):
    server = new_server
    pid = server.start()
    try:
        assert server.pid() == pid and server.answers()
        assert (tmp_path / "server" / "server.pid").read_text().split() == [str(pid), str(server.port)]
        assert server.start() == pid  # already running: same process
        other_port = LocalServer(server.root, "127.0.0.1", free_port())
        assert other_port.pid() is None
        with pytest.raises(KitError, match=f"already runs from .* on port {server.port}; stop it first"):
            other_port.start()
        assert local_server.main(["status", "--data-dir", str(server.root), "--port", str(other_port.port)]) == 1
        assert capsys.readouterr().err.strip().splitlines()[-1] == (
            f"local server is not running on port {other_port.port} (files in {server.root}); "
            f"it runs on port {server.port}"
        )
        with MongoClient(server.uri, serverSelectionTimeoutMS=3000) as client:
            client.kept.things.insert_one({"_id": "one", "n": 1})
        assert server.stop()
        assert server.pid() is None and not server.answers()
        server.start()
        with MongoClient(server.uri, serverSelectionTimeoutMS=3000) as client:
            assert client.kept.things.find_one({"_id": "one"}) == {"_id": "one", "n": 1}
    finally:
        server.stop()
    assert not server.stop()  # stopping twice is harmless
    assert (tmp_path / "server" / "server.log").stat().st_size > 0


def test_a_port_held_by_another_program_is_a_clear_error(tmp_path):
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        server = LocalServer(tmp_path, "127.0.0.1", other.getsockname()[1])
        with pytest.raises(KitError, match=r"another program already listens on 127\.0\.0\.1:\d+"):
            server.start()


def test_status_command_reports_a_stopped_server(tmp_path, capsys):
    assert local_server.main(["status", "--data-dir", str(tmp_path), "--port", str(free_port())]) == 1
    assert "local server is not running" in capsys.readouterr().err


def test_auto_leaves_a_configured_server_alone(tmp_path, env_file, monkeypatch, capsys):
    port = free_port()
    monkeypatch.setenv("MONGODB_CONNECTION_STRING", "mongodb://db.example.com")
    argv = ["auto", "--env-file", str(env_file), "--data-dir", str(tmp_path), "--port", str(port)]
    assert local_server.main(argv) == 0 and "not needed" in capsys.readouterr().err
    assert not LocalServer(tmp_path, "127.0.0.1", port).answers()


def test_start_status_stop_and_auto_from_the_command_line(new_server, env_file, monkeypatch, capsys):
    """`python scripts/local_server.py start` as a user runs it (the server outlives that process); the other
    commands through main(argv)."""
    monkeypatch.delenv("MONGODB_CONNECTION_STRING", raising=False)
    where = ["--data-dir", str(new_server.root), "--port", str(new_server.port)]

    def command(*args: str) -> tuple[int, str]:
        code = local_server.main([*args, *where])
        return code, capsys.readouterr().err

    started = run_script("local_server", "start", *where)
    assert started.returncode == 0, started.stderr
    pid = new_server.pid()
    assert pid and new_server.answers()
    assert f"local server running at {new_server.uri} (pid {pid}, files in {new_server.root})" in started.stderr
    code, err = command("start")
    assert code == 0 and f"already running at {new_server.uri} (pid {pid}," in err
    assert new_server.pid() == pid
    assert command("status")[0] == 0

    code, err = command("stop")
    assert code == 0 and "local server stopped" in err
    assert new_server.pid() is None and not new_server.answers()
    assert command("status")[0] == 1
    assert "local server was not running" in command("stop")[1]

    code, err = command("auto", "--env-file", str(env_file))  # no server configured
    assert code == 0, err
    assert new_server.answers() and f"at {new_server.uri} (pid {new_server.pid()}," in err
