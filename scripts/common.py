"""Shared plumbing for every script: configuration, connection, console output, collections."""

from __future__ import annotations

import argparse
import functools
import os
import re
import resource
import sys
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
from dotenv import dotenv_values
from pymongo import MongoClient, uri_parser
from pymongo.errors import (
    AutoReconnect,
    ConfigurationError,
    ConnectionFailure,
    InvalidURI,
    OperationFailure,
    PyMongoError,
    ServerSelectionTimeoutError,
)
from tqdm import tqdm

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LOCAL_SERVER_HOST = "127.0.0.1"
LOCAL_SERVER_PORT = 27017
LOCAL_SERVER_URI = f"mongodb://{LOCAL_SERVER_HOST}:{LOCAL_SERVER_PORT}"
SERVER_TIMEOUT_MS = 5000

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


# ---------------------------------------------------------------- collections


@dataclass(frozen=True)
class Collection:
    """One collection of the dataset and how the Ditto connector identifies its documents."""

    name: str
    synced: bool
    id_fields: tuple[str, ...] = ()  # connector ID mapping; ("_id",) means "match _id"


COLLECTIONS: tuple[Collection, ...] = (
    Collection("stores", True, ("store_id",)),
    Collection("categories", True, ("_id",)),
    Collection("product_types", True, ("_id",)),
    Collection("products", True, ("product_id",)),
    Collection("product_embeddings", False),
    Collection("customers", True, ("customer_id",)),
    Collection("inventory", True, ("store_id", "product_id")),
    Collection("orders", True, ("order_id",)),
    Collection("order_items", True, ("_id",)),
)
COLLECTION_NAMES: tuple[str, ...] = tuple(c.name for c in COLLECTIONS)
SYNCED_COLLECTIONS: tuple[str, ...] = tuple(c.name for c in COLLECTIONS if c.synced)


# ---------------------------------------------------------------- errors


class KitError(Exception):
    """An expected failure: reported as one line, exit code 1."""

    exit_code = EXIT_FAILURE


class ConfigError(KitError):
    """A bad setting or flag: reported as one line, exit code 2."""

    exit_code = EXIT_USAGE


class Interrupted(KitError):
    """Ctrl-C; the message says what state the data is in."""

    exit_code = EXIT_INTERRUPTED


# ---------------------------------------------------------------- configuration


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


def base_parser(description: str) -> argparse.ArgumentParser:
    """An argument parser with the flags every script shares."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--env-file", help="settings file (default: .env in the project root)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars or chatter")
    return parser


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
    if raw is None:
        day = default
    else:
        try:
            day = date.fromisoformat(raw)
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
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def load_config(args: argparse.Namespace) -> Config:
    """Validate every setting; raise ConfigError naming the first bad one."""
    values = read_settings(getattr(args, "env_file", None))
    uri, uri_name = _setting(args, values, "uri", "MONGODB_CONNECTION_STRING")
    database, _ = _setting(args, values, "database", "MONGODB_DATABASE")
    database = database or "zava"
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,63}", database):
        raise ConfigError(f"MONGODB_DATABASE must be letters, digits, '_' or '-', got {database!r}")
    today = datetime.now(UTC).date()
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
        values=values,
    )


# ---------------------------------------------------------------- connection


def mask_uri(uri: str) -> str:
    """The URI with its password replaced by **** (also in malformed URIs)."""
    at = uri.rfind("@")
    if at < 0:
        return uri
    start = uri.find("//") + 2 if "//" in uri[:at] else 0
    user, colon, _ = uri[start:at].partition(":")
    return f"{uri[:start]}{user}{':****' if colon else ''}{uri[at:]}"


def describe_mongo_error(exc: PyMongoError, uri: str) -> str:
    """One line that tells the user what went wrong with the server."""
    where = mask_uri(uri)
    if isinstance(exc, InvalidURI):
        return f"malformed connection string {where}: {exc}"
    if isinstance(exc, OperationFailure) and exc.code in (18, 8000):
        return f"authentication failed for {where}: check the user name and password (URL-encode special characters)"
    if isinstance(exc, OperationFailure) and exc.code == 13:
        return f"not authorised on {where}: {exc.details.get('errmsg', exc) if exc.details else exc}"
    if isinstance(exc, ServerSelectionTimeoutError):
        hint = " (start it with: python scripts/local_server.py start)" if uri == LOCAL_SERVER_URI else ""
        return f"cannot reach MongoDB at {where} within {SERVER_TIMEOUT_MS // 1000} s{hint}"
    if isinstance(exc, (AutoReconnect, ConnectionFailure)):
        return f"lost the connection to MongoDB at {where}: {str(exc).splitlines()[0][:200]}"
    if isinstance(exc, ConfigurationError):
        return f"cannot use the connection string {where}: {str(exc).splitlines()[0][:200]}"
    return f"MongoDB error at {where}: {str(exc).splitlines()[0][:200]}"


_connected_uri = "the server"  # named by cli() when a later command fails


def connect(config: Config, quiet: bool = False) -> MongoClient:
    """A client that has answered ping; KitError with one clear line otherwise."""
    global _connected_uri
    _connected_uri = config.mongo_uri
    if config.uses_local_server and not quiet:
        say(f"Using the local server at {LOCAL_SERVER_URI} (MONGODB_CONNECTION_STRING is not set)")
    try:
        client: MongoClient = MongoClient(
            config.mongo_uri,
            serverSelectionTimeoutMS=SERVER_TIMEOUT_MS,
            connectTimeoutMS=SERVER_TIMEOUT_MS,
            appname="zava-dataset-kit",
        )
        client.admin.command("ping")
    except PyMongoError as exc:
        raise KitError(describe_mongo_error(exc, config.mongo_uri)) from None
    except ValueError as exc:  # a URI that slipped past uri_problem()
        raise KitError(f"cannot use the connection string {mask_uri(config.mongo_uri)}: {exc}") from None
    except KeyError:  # pymongo's SCRAM handshake against a server without authentication (the local server)
        raise KitError(
            f"authentication failed for {mask_uri(config.mongo_uri)}: the server does not support authentication; "
            "remove the user name and password from the connection string"
        ) from None
    return client


def connect_from_args(args: argparse.Namespace) -> tuple[Config, MongoClient]:
    """Validate the settings, then connect: how most scripts begin."""
    config = load_config(args)
    return config, connect(config, getattr(args, "quiet", False))


@dataclass(frozen=True)
class ServerInfo:
    """What kind of server answers: the local nx-27017 server or real MongoDB."""

    kind: str  # "nx-27017" or "mongodb"
    version: str
    atlas: bool

    @property
    def is_local(self) -> bool:
        return self.kind == "nx-27017"

    def describe(self) -> str:
        if self.is_local:
            return f"nx-27017 local server (MongoDB wire protocol {self.version})"
        return f"MongoDB {self.version}{' on Atlas' if self.atlas else ''}"


def server_info(client: MongoClient) -> ServerInfo:
    """Detect the server kind from buildInfo (nx-27017 reports its process name there)."""
    info = client.admin.command("buildInfo")
    hosts = " ".join(f"{h}" for h, _ in client.topology_description.server_descriptions())
    kind = "nx-27017" if str(info.get("process", "")).startswith("nx_27017") else "mongodb"
    return ServerInfo(kind, str(info.get("version", "unknown")), ".mongodb.net" in hosts)


# ---------------------------------------------------------------- randomness and dates


def rng_for(seed: int, *key: int) -> np.random.Generator:
    """An independent generator for one part of the dataset, fixed by the seed and the key."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


def iso(moment: datetime) -> str:
    """The project's timestamp format: YYYY-MM-DDTHH:MM:SSZ in UTC."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_array(seconds: np.ndarray) -> list[str]:
    """Vectorised iso() for Unix seconds."""
    text = np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s")
    return [t + "Z" for t in text.tolist()]


def peak_memory_mb() -> float:
    """This process's peak resident memory since it started (exec), in MB."""
    try:
        status = Path("/proc/self/status").read_text()
        return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024
    except (OSError, AttributeError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)


# ---------------------------------------------------------------- console


def _colour(code: str, text: str, stream=sys.stderr) -> str:
    if os.environ.get("NO_COLOR") or not stream.isatty():
        return text
    return f"\033[{code}m{text}\033[0m"


def say(message: str) -> None:
    print(message, file=sys.stderr)


def ok(message: str) -> None:
    say(_colour("32", "✓ ") + message)


def warn(message: str) -> None:
    say(_colour("33", "! ") + message)


def fail(message: str) -> None:
    say(_colour("31", "error: ") + message)


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A plain aligned text table; numbers right-aligned with thousands separators."""

    def cell(value: object) -> str:
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, int):
            return f"{value:,}"
        if isinstance(value, float):
            return f"{value:,.2f}"
        return str(value)

    raw = [list(r) for r in rows]
    text = [[cell(v) for v in r] for r in raw]
    widths = [max([len(h)] + [len(r[i]) for r in text]) for i, h in enumerate(headers)]
    numeric = [
        all(isinstance(r[i], (int, float)) and not isinstance(r[i], bool) for r in raw) for i in range(len(headers))
    ]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.rjust(w) if n else c.ljust(w) for c, w, n in zip(cells, widths, numeric)).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in text])


def progress(total: int | None, desc: str, quiet: bool) -> tqdm:
    """A progress bar on stderr, silent with --quiet or when stderr is not a terminal."""
    return tqdm(
        total=total, desc=desc, unit="doc", unit_scale=True, disable=quiet or not sys.stderr.isatty(), leave=False
    )


def confirm(question: str, phrase: str, assume_yes: bool) -> None:
    """Ask for a typed phrase; KitError when refused or when there is no terminal to ask on."""
    if assume_yes:
        return
    if not sys.stdin.isatty():
        raise KitError(f"{question} Refusing without a terminal to confirm on; pass --yes to proceed.")
    say(question)
    try:
        answer = input(f"Type {phrase} to continue: ")
    except EOFError:
        answer = ""
    if answer.strip() != phrase:
        raise KitError("not confirmed; nothing was changed")


def cli(main: Callable[[list[str] | None], int]) -> Callable[[list[str] | None], int]:
    """Turn expected failures of a script's main() into one line and an exit code."""

    @functools.wraps(main)
    def wrapper(argv: list[str] | None = None) -> int:
        try:
            return main(argv)
        except KitError as exc:
            fail(str(exc))
            return exc.exit_code
        except KeyboardInterrupt:
            fail("interrupted")
            return EXIT_INTERRUPTED
        except PyMongoError as exc:
            fail(describe_mongo_error(exc, _connected_uri))
            return EXIT_FAILURE

    return wrapper
