"""Reaching the server: the connection check, and one clear line when the server is unreachable or refuses a login."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from pymongo.errors import OperationFailure, ServerSelectionTimeoutError

import generate_mongodb_data
import test_connection as connection_script
from common import LOCAL_SERVER_URI, describe_mongo_error
from helpers import SCRIPTS, free_port, run_script
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


@pytest.mark.parametrize(
    ("script", "flags"),
    [
        ("create_indexes", []),
        ("drop_indexes", ["--yes"]),
        ("clear_mongodb_data", ["--yes"]),
        ("enable_change_streams", []),
        ("test_change_streams", []),
        ("trigger_initial_sync", ["--yes"]),
        ("test_connection", []),
    ],
)
def test_unreachable_server_fails_in_seconds(script, flags, env_file, unreachable_port):
    uri = f"mongodb://user:secret@127.0.0.1:{unreachable_port}"
    began = time.monotonic()
    result = run_script(script, "--env-file", str(env_file), *flags, env={"MONGODB_CONNECTION_STRING": uri}, timeout=60)
    assert time.monotonic() - began < 15
    assert result.returncode == 1
    masked = f"mongodb://user:****@127.0.0.1:{unreachable_port}"
    assert result.stderr.strip() == f"error: cannot reach MongoDB at {masked} within 5 s", result.stderr
    assert "secret" not in result.stdout + result.stderr


def test_unreachable_server_fails_fast_with_one_line(env_file, unreachable_port):
    port = unreachable_port
    began = time.monotonic()
    result = run_script(
        "generate_mongodb_data",
        "--env-file",
        str(env_file),
        "--yes",
        env={"MONGODB_CONNECTION_STRING": f"mongodb://admin:hunter2@127.0.0.1:{port}"},
    )
    assert time.monotonic() - began < 15
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: cannot reach MongoDB at mongodb://admin:****@127.0.0.1:{port} within 5 s"
    )
    assert "hunter2" not in result.stderr + result.stdout and "Traceback" not in result.stderr


def test_refused_credentials_fail_with_one_line(client, mongo_uri, env_file):
    uri = mongo_uri.replace("mongodb://", "mongodb://intruder:wrong-pass@", 1)
    result = run_script(
        "generate_mongodb_data", "--env-file", str(env_file), "--yes", env={"MONGODB_CONNECTION_STRING": uri}
    )
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: authentication failed for mongodb://intruder:****@"), result.stderr
    if server_info(client).is_local:  # it has no authentication at all
        assert last.endswith("remove the user name and password from the connection string"), last
    else:  # MongoDB refuses the unknown user (code 18), with or without access control on
        assert last.endswith("check the user name and password (URL-encode special characters)"), last
    assert "wrong-pass" not in result.stderr + result.stdout and "Traceback" not in result.stderr


# The other scripts that connect (generate_mongodb_data and the seven above have their own tests),
# run side by side so the suite waits out the 5 s timeout once.
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


def test_every_other_connecting_script_says_it_cannot_reach_mongodb(env_file, unreachable_port):
    uri = f"mongodb://alice:s3cret-pw@127.0.0.1:{unreachable_port}"
    env = {
        **os.environ,
        "MONGODB_CONNECTION_STRING": uri,
        "DITTO_APP_ID": "app",
        "DITTO_API_KEY": "key",
        "DITTO_CLOUD_ENDPOINT": f"http://127.0.0.1:{free_port()}",
    }
    began = time.monotonic()
    runs = {
        name: subprocess.Popen(
            [sys.executable, str(SCRIPTS / f"{name}.py"), "--env-file", str(env_file)]
            + [flag.format(free_port=free_port()) for flag in flags],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, flags in OTHER_CONNECTING_SCRIPTS.items()
    }
    results = {name: (run.communicate(timeout=60), run.returncode) for name, run in runs.items()}
    assert time.monotonic() - began < 30
    masked = f"mongodb://alice:****@127.0.0.1:{unreachable_port}"
    for name, ((out, err), code) in results.items():
        assert code == 1, (name, err)
        assert err.strip() == f"error: cannot reach MongoDB at {masked} within 5 s", (name, err)
        assert "s3cret-pw" not in out + err, name
