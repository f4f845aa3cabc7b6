"""Settings: .env, then environment, then flags; every bad value is one line naming the setting."""

from __future__ import annotations

import argparse
import os
from datetime import UTC, date, datetime

import pytest

import generate_mongodb_data
from common import LOCAL_SERVER_URI, ConfigError, load_config
from helpers import ENVIRONMENT_ONLY_SETTINGS, kit_settings


@pytest.fixture
def config_from(tmp_path):
    def build(dotenv: str = "", today: date | None = None, **flags):
        path = tmp_path / "settings.env"
        path.write_text(dotenv)
        return load_config(argparse.Namespace(env_file=str(path), **flags), today)

    return build


def test_defaults(config_from):
    config = config_from(today=date(2026, 11, 27))
    assert config.uses_local_server and config.mongo_uri == LOCAL_SERVER_URI
    assert (config.database, config.customers, config.orders, config.seed) == ("zava", 25_000, 100_000, 42)
    assert (config.batch_size, config.workers) == (10_000, 0)
    assert (config.start.date(), config.end.date()) == (date(2023, 11, 27), date(2026, 11, 27))
    before = datetime.now(UTC).date()
    end = config_from().end.date()
    assert before <= end <= datetime.now(UTC).date()  # today in UTC when nothing is injected


@pytest.mark.parametrize(
    ("today", "start"),
    [
        (date(2028, 2, 29), date(2025, 2, 28)),
        (date(2028, 3, 1), date(2025, 3, 1)),
        (date(2027, 2, 28), date(2024, 2, 28)),
    ],
)
def test_the_default_start_is_three_years_back_even_from_29_february(config_from, today, start):
    config = config_from(today=today)
    assert (config.start.date(), config.end.date()) == (start, today)


def test_flags_beat_environment_beats_dotenv(config_from, monkeypatch):
    dotenv = "NUM_ORDERS=10\nNUM_CUSTOMERS=20\nSEED=3\n"
    monkeypatch.setenv("NUM_ORDERS", "11")
    monkeypatch.setenv("NUM_CUSTOMERS", "21")
    config = config_from(dotenv, customers="22")
    assert (config.orders, config.customers, config.seed) == (11, 22, 3)


@pytest.mark.parametrize(
    ("dotenv", "flags", "message"),
    [
        ("NUM_ORDERS=lots", {}, "NUM_ORDERS must be a whole number, got 'lots'"),
        ("NUM_CUSTOMERS=-4", {}, "NUM_CUSTOMERS must be at least 1, got -4"),
        ("", {"orders": "-1"}, "--orders must be at least 0, got -1"),
        ("BATCH_SIZE=0", {}, "BATCH_SIZE must be at least 1"),
        ("SEED=1.5", {}, "SEED must be a whole number"),
        ("START_DATE=2024-13-01", {}, "START_DATE must be a date like 2025-01-31, got '2024-13-01'"),
        ("START_DATE=2025-01-01\nEND_DATE=2024-01-01", {}, "END_DATE (2024-01-01) must be after the start date"),
        ("", {"start_date": "2025-02-01", "end_date": "2025-01-01"}, "--end-date (2025-01-01) must be after"),
        ("MONGODB_CONNECTION_STRING=http://example.com", {}, "MONGODB_CONNECTION_STRING must start with mongodb://"),
        ("MONGODB_CONNECTION_STRING=mongodb://", {}, "MONGODB_CONNECTION_STRING must start with mongodb://"),
        ("MONGODB_DATABASE=my db", {}, "MONGODB_DATABASE must be letters"),
        (
            "MONGODB_CONNECTION_STRING=mongodb://127.0.0.1:99999",
            {},
            "MONGODB_CONNECTION_STRING is malformed: Port must",
        ),
        ("MONGODB_CONNECTION_STRING=mongodb://[::1", {}, "MONGODB_CONNECTION_STRING is malformed: an IPv6 address"),
        (
            "MONGODB_CONNECTION_STRING=mongodb://db/?retryWrite=true",
            {},
            "MONGODB_CONNECTION_STRING is malformed: Unknown",
        ),
        ("MONGODB_CONNECTION_STRING=mongodb+srv://a.example.net:27017/", {}, "takes one host name without a port"),
        ("START_DATE=2999-01-01", {}, "START_DATE (2999-01-01) must be before the end date"),
    ],
)
def test_bad_values_name_the_setting(config_from, dotenv, flags, message):
    with pytest.raises(ConfigError) as caught:
        config_from(dotenv, **flags)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_env_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        load_config(argparse.Namespace(env_file=str(tmp_path / "nope.env")))


def test_malformed_uri_message_hides_the_password(config_from):
    with pytest.raises(ConfigError) as caught:
        config_from("MONGODB_CONNECTION_STRING=mongodb+srv//alice:s3cret@cluster0.example.net")
    assert "s3cret" not in str(caught.value)


@pytest.mark.parametrize(
    ("env", "args", "message"),
    [
        ({"MONGODB_CONNECTION_STRING": "mongodb//user:pw@nowhere"}, [], "MONGODB_CONNECTION_STRING must start with"),
        ({"NUM_ORDERS": "many"}, [], "NUM_ORDERS must be a whole number"),
        ({}, ["--start-date", "2025-06-01", "--end-date", "2025-01-01"], "--end-date (2025-01-01) must be after"),
        ({}, ["--batch-size", "0"], "--batch-size must be at least 1"),
    ],
)
def test_bad_settings_exit_2_and_write_nothing(client, db_name, settings, monkeypatch, capsys, env, args, message):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert generate_mongodb_data.main([*settings, *args, "--yes"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "pw@" not in err
    assert db_name not in client.list_database_names()


def test_no_setting_of_the_shell_reaches_a_test():
    """conftest.py clears every setting the kit reads for the whole session; the scripts a test runs inherit that."""
    assert not {*kit_settings(), *ENVIRONMENT_ONLY_SETTINGS} & set(os.environ)
