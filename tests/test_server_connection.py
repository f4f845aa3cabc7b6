"""Reaching the server: the connection check, and one clear line when the server is unreachable or refuses a login."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from pymongo.errors import OperationFailure, ServerSelectionTimeoutError

import generate_mongodb_data
import test_connection as connection_script
from common import LOCAL_SERVER_URI, describe_mongo_error
from helpers import SCRIPTS, free_port
from zava.model.collections import COLLECTIONS
from zava.mongo.server import server_info


def test_test_connection_reports_server_and_counts(client, db_name, settings, capsys):
    assert generate_mongodb_data.main([*settings, "--quiet", "--customers", "50", "--orders", "120"]) == 0
    capsys.readouterr()
    assert connection_script.main(settings) == 0
    out, err = capsys.readouterr()
    assert "connected to mongodb://" in err
    if server_info(client).is_local:
        assert ": nx-27017 local server" in err and "This is the local server" in err
    else:
        assert ": MongoDB " in err and "This is the local server" not in err
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines()[2:]}
    assert set(rows) == {c.name for c in COLLECTIONS}
    assert rows["customers"][0] == "50" and rows["orders"][0] == "120" and rows["stores"][0] == "8"
    assert rows["product_embeddings"][1] == "no" and rows["inventory"][1] == "yes"


def test_server_errors_become_one_clear_line():
    uri = "mongodb://alice:s3cret@db.example.com"
    auth = describe_mongo_error(OperationFailure("Authentication failed.", code=18), uri)
    assert auth.startswith("authentication failed for mongodb://alice:****@db.example.com") and "s3cret" not in auth
    down = describe_mongo_error(ServerSelectionTimeoutError("timed out"), LOCAL_SERVER_URI)
    assert "cannot reach MongoDB" in down and "local_server.py start" in down


# Every script that connects, run as a user runs it (python scripts/NAME.py), against a port where nothing answers.
# Each waits out its 5 s server selection timeout, so the `unreachable` fixture starts them all side by side and
# the module waits once; each test then checks its own runs.
UNREACHABLE = [
    ("create_indexes", []),
    ("drop_indexes", ["--yes"]),
    ("clear_mongodb_data", ["--yes"]),
    ("enable_change_streams", []),
    ("test_change_streams", []),
    ("trigger_initial_sync", ["--yes"]),
    ("test_connection", []),
]
GENERATE = ("generate_mongodb_data", ["--yes"])
# The other scripts that connect (generate_mongodb_data and the seven above have their own tests).
OTHER_CONNECTING_SCRIPTS = {
    "simulate_activity": ["--duration", "1"],
    "sample_queries": [],
    "search_products": ["drill"],
    "data_report": [],
    "store_dashboard": ["--port", "{free_port}"],
    "shard_collections": ["--yes"],
    "benchmark": ["--orders", "100"],
    "verify_sync": [],
}


# Seconds between the starts of two scripts: each spends its first moments importing (busy), then waits (idle);
# started all at once on a small machine, their imports would stretch each run past the 15 s it has.
STAGGER = 0.5


@dataclass
class Run:
    """A finished run of scripts/NAME.py: its exit code, its output, and the seconds from its start to its exit."""

    returncode: int
    stdout: str
    stderr: str
    seconds: float


def run(name: str, args: list[str], env: dict[str, str]) -> Run:
    began = time.monotonic()
    done = subprocess.run(
        [sys.executable, str(SCRIPTS / f"{name}.py"), *args],
        env={**os.environ, **env},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return Run(done.returncode, done.stdout, done.stderr, time.monotonic() - began)


@dataclass
class Unreachable:
    port: int  # where nothing answers
    runs: dict[str, Run]  # script name -> its run


@pytest.fixture(scope="module")
def unreachable(tmp_path_factory: pytest.TempPathFactory) -> Unreachable:
    """Every connecting script run as a user runs it, against a free port, with an empty settings file, side by
    side (started STAGGER apart): the seven of UNREACHABLE as user:secret, the generator as admin:hunter2, the
    others as alice:s3cret-pw (with Ditto settings, so that the connection is what fails)."""
    port = free_port()
    env_file = tmp_path_factory.mktemp("unreachable") / "test.env"
    env_file.write_text("")
    settings = ["--env-file", str(env_file)]

    def at(user: str) -> dict[str, str]:
        return {"MONGODB_CONNECTION_STRING": f"mongodb://{user}@127.0.0.1:{port}"}

    ditto = {"DITTO_APP_ID": "app", "DITTO_API_KEY": "key", "DITTO_CLOUD_ENDPOINT": f"http://127.0.0.1:{free_port()}"}
    planned = {GENERATE[0]: ([*settings, *GENERATE[1]], at("admin:hunter2"))}
    planned |= {name: ([*settings, *flags], at("user:secret")) for name, flags in UNREACHABLE}
    for name, flags in OTHER_CONNECTING_SCRIPTS.items():
        args = [*settings, *(flag.format(free_port=free_port()) for flag in flags)]
        planned[name] = (args, {**at("alice:s3cret-pw"), **ditto})
    with ThreadPoolExecutor(len(planned)) as pool:
        futures = {}
        for name, (args, env) in planned.items():
            futures[name] = pool.submit(run, name, args, env)
            time.sleep(STAGGER)
        return Unreachable(port, {name: future.result() for name, future in futures.items()})


@pytest.mark.server
@pytest.mark.parametrize(("script", "flags"), UNREACHABLE)
def test_unreachable_server_fails_in_seconds(script, flags, unreachable):
    result = unreachable.runs[script]
    assert result.seconds < 15
    assert result.returncode == 1
    masked = f"mongodb://user:****@127.0.0.1:{unreachable.port}"
    assert result.stderr.strip() == f"error: cannot reach MongoDB at {masked} within 5 s", result.stderr
    assert "secret" not in result.stdout + result.stderr


@pytest.mark.server
def test_unreachable_server_fails_fast_with_one_line(unreachable):
    result = unreachable.runs["generate_mongodb_data"]
    assert result.seconds < 15
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: cannot reach MongoDB at mongodb://admin:****@127.0.0.1:{unreachable.port} within 5 s"
    )
    assert "hunter2" not in result.stderr + result.stdout and "Traceback" not in result.stderr


def test_refused_credentials_fail_with_one_line(client, mongo_uri, env_file, monkeypatch, capsys):
    uri = mongo_uri.replace("mongodb://", "mongodb://intruder:wrong-pass@", 1)
    monkeypatch.setenv("MONGODB_CONNECTION_STRING", uri)
    assert generate_mongodb_data.main(["--env-file", str(env_file), "--yes"]) == 1
    out, err = capsys.readouterr()
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: authentication failed for mongodb://intruder:****@"), err
    if server_info(client).is_local:  # it has no authentication at all
        assert last.endswith("remove the user name and password from the connection string"), last
    else:  # MongoDB refuses the unknown user (code 18), with or without access control on
        assert last.endswith("check the user name and password (URL-encode special characters)"), last
    assert "wrong-pass" not in err + out and "Traceback" not in err


@pytest.mark.server
def test_every_other_connecting_script_says_it_cannot_reach_mongodb(unreachable):
    masked = f"mongodb://alice:****@127.0.0.1:{unreachable.port}"
    for name in OTHER_CONNECTING_SCRIPTS:
        result = unreachable.runs[name]
        assert result.seconds < 30, name
        assert result.returncode == 1, (name, result.stderr)
        assert result.stderr.strip() == f"error: cannot reach MongoDB at {masked} within 5 s", (name, result.stderr)
        assert "s3cret-pw" not in result.stdout + result.stderr, name
