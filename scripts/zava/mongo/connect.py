"""Connecting to the server, and server errors as one line naming it."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from pymongo import MongoClient
from pymongo import errors as mongo_errors
from pymongo.errors import PyMongoError

from zava.errors import KitError
from zava.settings import LOCAL_SERVER_URI, Config, load_config, mask_uri

SERVER_TIMEOUT_MS = 5000


def describe_mongo_error(exc: PyMongoError, uri: str | None) -> str:
    """One line that tells the user what went wrong with the server (at `uri` when known)."""
    where = mask_uri(uri) if uri else "the server"
    if isinstance(exc, mongo_errors.InvalidURI):
        return f"malformed connection string {where}: {exc}"
    if isinstance(exc, mongo_errors.OperationFailure) and exc.code in (18, 8000):
        return f"authentication failed for {where}: check the user name and password (URL-encode special characters)"
    if isinstance(exc, mongo_errors.OperationFailure) and exc.code == 13:
        return f"not authorised on {where}: {exc.details.get('errmsg', exc) if exc.details else exc}"
    if isinstance(exc, mongo_errors.ServerSelectionTimeoutError):
        hint = " (start it with: python scripts/local_server.py start)" if uri == LOCAL_SERVER_URI else ""
        return f"cannot reach MongoDB at {where} within {SERVER_TIMEOUT_MS // 1000} s{hint}"
    if isinstance(exc, (mongo_errors.AutoReconnect, mongo_errors.ConnectionFailure)):
        return f"lost the connection to MongoDB at {where}: {str(exc).splitlines()[0][:200]}"
    if isinstance(exc, mongo_errors.ConfigurationError):
        return f"cannot use the connection string {where}: {str(exc).splitlines()[0][:200]}"
    return f"MongoDB error at {where}: {str(exc).splitlines()[0][:200]}"


@contextmanager
def server_errors(uri: str) -> Iterator[None]:
    """Re-raise a server error inside the block as one line (KitError) naming this server."""
    try:
        yield
    except PyMongoError as exc:
        raise KitError(describe_mongo_error(exc, uri)) from None


def connect(config: Config, quiet: bool = False) -> MongoClient:
    """A client that has answered ping; KitError with one clear line otherwise."""
    if config.uses_local_server and not quiet:
        print(f"Using the local server at {LOCAL_SERVER_URI} (MONGODB_CONNECTION_STRING is not set)", file=sys.stderr)
    timeout = SERVER_TIMEOUT_MS
    try:
        with server_errors(config.mongo_uri):
            client: MongoClient = MongoClient(
                config.mongo_uri, serverSelectionTimeoutMS=timeout, connectTimeoutMS=timeout, appname="zava-dataset-kit"
            )
            client.admin.command("ping")
    except ValueError as exc:  # a URI that slipped past uri_problem()
        raise KitError(f"cannot use the connection string {mask_uri(config.mongo_uri)}: {exc}") from None
    except KeyError:  # pymongo's SCRAM handshake against a server without authentication (the local server)
        raise KitError(
            f"authentication failed for {mask_uri(config.mongo_uri)}: the server does not support authentication; "
            "remove the user name and password from the connection string"
        ) from None
    return client


@contextmanager
def connected(args: argparse.Namespace) -> Iterator[tuple[Config, MongoClient]]:
    """Validate the settings, connect, and name this server in any error: how most scripts begin."""
    config = load_config(args)
    client = connect(config, getattr(args, "quiet", False))
    try:
        with server_errors(config.mongo_uri):
            yield config, client
    finally:
        client.close()
