"""Server errors raised after connecting name the server they came from, per call, never another one."""

from __future__ import annotations

import argparse

import pytest
from pymongo.errors import OperationFailure

import zava.mongo.connect
from common import KitError, connected
from zava.cli import cli


def _args(env_file) -> argparse.Namespace:
    return argparse.Namespace(env_file=str(env_file), quiet=True)


def _duplicate_insert(client, database: str) -> None:
    """A write every server refuses: the same _id twice."""
    client[database].probe.insert_one({"_id": "twice"})
    client[database].probe.insert_one({"_id": "twice"})


def test_an_error_inside_connected_names_this_server(settings, env_file, mongo_uri, db_name):
    with pytest.raises(KitError) as raised, connected(_args(env_file)) as (_, client):
        _duplicate_insert(client, db_name)
    assert str(raised.value).startswith(f"MongoDB error at {mongo_uri}: ") and "11000" in str(raised.value)


def test_a_main_run_inside_another_does_not_change_which_server_is_named(
    settings, env_file, mongo_uri, capsys, monkeypatch
):
    elsewhere = "mongodb://127.0.0.1:1"  # nothing listens on port 1
    # which server the error names is the point here, not the 5 s wait (test_server_connection checks that)
    monkeypatch.setattr(zava.mongo.connect, "SERVER_TIMEOUT_MS", 300)

    @cli
    def other(argv):
        with connected(argparse.Namespace(env_file=str(env_file), quiet=True, uri=elsewhere)):
            return 0

    @cli
    def outer(argv):
        with connected(_args(env_file)) as (config, client):
            assert other([]) == 1
            _duplicate_insert(client, config.database)
        return 0

    assert outer([]) == 1
    first, last = capsys.readouterr().err.strip().splitlines()[-2:]
    assert f"cannot reach MongoDB at {elsewhere}" in first
    assert last.startswith(f"error: MongoDB error at {mongo_uri}: ") and "11000" in last


def test_an_error_outside_any_connection_says_the_server(capsys):
    @cli
    def failing(argv):
        raise OperationFailure("boom", code=2)

    assert failing([]) == 1
    assert "MongoDB error at the server: boom" in capsys.readouterr().err
