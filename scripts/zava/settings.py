"""Settings: .env, then the environment, then flags (later wins), validated into one Config."""

from __future__ import annotations

import argparse
import os
import re
import warnings
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from dotenv import dotenv_values
from pymongo import uri_parser
from pymongo.errors import PyMongoError

from zava.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
LOCAL_SERVER_HOST = "127.0.0.1"
LOCAL_SERVER_PORT = 27017
LOCAL_SERVER_URI = f"mongodb://{LOCAL_SERVER_HOST}:{LOCAL_SERVER_PORT}"


@dataclass(frozen=True)
class Config:
    """Validated settings (.env, then environment, then flags: later wins)."""

    uri: str | None
    database: str
    customers: int
    orders: int
    start: datetime
    end: datetime
    seed: int
    batch_size: int
    workers: int  # 0: chosen by the generator
    values: dict[str, str]

    @property
    def uses_local_server(self) -> bool:
        return self.uri is None

    @property
    def mongo_uri(self) -> str:
        return self.uri or LOCAL_SERVER_URI

    def get(self, name: str, default: str = "") -> str:
        """A raw setting (e.g. DITTO_APP_ID) from .env or the environment."""
        return self.values.get(name) or default


def _setting(args: argparse.Namespace, values: dict[str, str], flag: str, env: str) -> tuple[str | None, str]:
    """The raw value of a setting and the name to blame when it is bad."""
    flag_value = getattr(args, flag, None)
    if flag_value is not None:
        return str(flag_value), "--" + flag.replace("_", "-")
    value = values.get(env)
    return (value.strip() if value and value.strip() else None), env


def _parse_int(raw: str | None, name: str, default: int, minimum: int) -> int:
    if raw is None:
        return default
    try:
        value = int(raw.replace("_", ""))
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def _parse_date(raw: str | None, name: str, default: date) -> datetime:
    try:
        day = default if raw is None else date.fromisoformat(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a date like 2025-01-31, got {raw!r}") from None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def uri_problem(uri: str) -> str | None:
    """What is wrong with a connection string, without any network lookup; None when it parses."""
    if not re.match(r"^mongodb(\+srv)?://[^/?#]+", uri):
        return "must start with mongodb:// or mongodb+srv:// and name a host"
    srv = uri.startswith("mongodb+srv://")
    hosts = uri.split("://", 1)[1].rpartition("@")[2].split("/", 1)[0].split("?", 1)[0]
    if srv and ("," in hosts or re.search(r":\d*$", hosts)):
        return "mongodb+srv:// takes one host name without a port"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            uri_parser.parse_uri(uri.replace("mongodb+srv://", "mongodb://", 1) if srv else uri)
    except (PyMongoError, ValueError, UserWarning) as exc:
        return re.sub(r"\s*Refer to docstring\.?", "", str(exc).splitlines()[0])
    return None


def _check_uri(raw: str, name: str) -> str:
    problem = uri_problem(raw)
    if problem:
        verb = "" if problem.startswith("must") else "is malformed: "
        hint = "; encode the password with python scripts/encode_password.py" if "escaped" in problem else ""
        raise ConfigError(f"{name} {verb}{problem} ({mask_uri(raw)}){hint}")
    return raw


def read_settings(env_file: str | None) -> dict[str, str]:
    """.env values overlaid by the process environment."""
    path = Path(env_file) if env_file else PROJECT_ROOT / ".env"
    if env_file and not path.is_file():
        raise ConfigError(f"--env-file {env_file}: no such file")
    file_values = {k: v for k, v in dotenv_values(path).items() if v is not None} if path.is_file() else {}
    return {**file_values, **os.environ}


def _years_before(day: date, years: int) -> date:
    """The same day `years` earlier (28 February for 29 February)."""
    return day.replace(year=day.year - years, day=28 if (day.month, day.day) == (2, 29) else day.day)


def load_config(args: argparse.Namespace, today: date | None = None) -> Config:
    """Validate every setting (END_DATE defaults to `today`, by default today in UTC); raise ConfigError naming
    the first bad one."""
    values = read_settings(getattr(args, "env_file", None))
    uri, uri_name = _setting(args, values, "uri", "MONGODB_CONNECTION_STRING")
    database = _setting(args, values, "database", "MONGODB_DATABASE")[0] or "zava"
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,63}", database):
        raise ConfigError(f"MONGODB_DATABASE must be letters, digits, '_' or '-', got {database!r}")
    today = today or datetime.now(UTC).date()
    end = _parse_date(*_setting(args, values, "end_date", "END_DATE"), today)
    start = _parse_date(*_setting(args, values, "start_date", "START_DATE"), _years_before(end.date(), 3))
    if end <= start:
        end_raw, end_name = _setting(args, values, "end_date", "END_DATE")
        if end_raw is None:
            _, start_name = _setting(args, values, "start_date", "START_DATE")
            raise ConfigError(f"{start_name} ({start.date()}) must be before the end date ({end.date()}, today)")
        raise ConfigError(f"{end_name} ({end.date()}) must be after the start date ({start.date()})")
    return Config(
        uri=_check_uri(uri, uri_name) if uri else None,
        database=database,
        customers=_parse_int(*_setting(args, values, "customers", "NUM_CUSTOMERS"), 25_000, 1),
        orders=_parse_int(*_setting(args, values, "orders", "NUM_ORDERS"), 100_000, 0),
        start=start,
        end=end,
        seed=_parse_int(*_setting(args, values, "seed", "SEED"), 42, 0),
        batch_size=_parse_int(*_setting(args, values, "batch_size", "BATCH_SIZE"), 10_000, 1),
        workers=_parse_int(*_setting(args, values, "workers", "WORKERS"), 0, 0),
        values=values,
    )


def mask_uri(uri: str) -> str:
    """The URI with its password replaced by **** (also in malformed URIs)."""
    at = uri.rfind("@")
    if at < 0:
        return uri
    start = uri.find("//") + 2 if "//" in uri[:at] else 0
    user, colon, _ = uri[start:at].partition(":")
    return f"{uri[:start]}{user}{':****' if colon else ''}{uri[at:]}"
