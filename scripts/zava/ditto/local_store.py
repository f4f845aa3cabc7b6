"""A real local Ditto store through the optional Ditto Python SDK: documents in the connector's form, DQL.

The SDK (`pip install -r requirements-ditto.txt`) is imported only by `load_sdk`, so the rest of the
kit and `to_ditto` work without it. The store never syncs: no transports, sync never started.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from zava.ditto.connector import ditto_id, synced
from zava.errors import KitError
from zava.settings import PROJECT_ROOT

SUPPORTED_PLATFORMS = "Linux x86_64/arm64 with glibc >= 2.35, macOS arm64"
DEFAULT_DIR = PROJECT_ROOT / ".ditto-local"
DATABASE_ID = "zava-local-check"  # names the local store only: nothing connects to a Ditto app
SYNCED = {c.name: c for c in synced()}
SCALARS = (str, bool, int, float, type(None))


class SdkUnavailable(KitError):
    """The Ditto Python SDK cannot be imported or loaded on this machine."""


def skip_notice(reason: str) -> str:
    return (
        f"skipped: the Ditto Python SDK is not available ({reason}); install it with "
        f"pip install -r requirements-ditto.txt (supported: {SUPPORTED_PLATFORMS})"
    )


# ---------------------------------------------------------------- the connector's form


def _value(value: Any, path: str) -> Any:
    if isinstance(value, SCALARS):
        return value
    if isinstance(value, Mapping):
        return {str(k): _value(v, f"{path}.{k}") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_value(v, f"{path}.{i}") for i, v in enumerate(value)]
    raise KitError(f"{path}: {type(value).__name__} has no Ditto form in this kit (the dataset never holds one)")


def to_ditto(collection: str, doc: Mapping[str, Any]) -> dict[str, Any]:
    """A MongoDB document as the connector writes it to Ditto.

    Strings (ISO dates included), ints, floats, booleans and nulls stay as they are; embedded documents
    become maps. The Ditto `_id` follows the connector's ID mapping (connector.ditto_id): the mapped
    field's value, an object of the mapped fields (inventory: {store_id, product_id}), or `_id` itself.
    """
    if collection not in SYNCED:
        raise KitError(f"{collection} does not sync to Ditto")
    converted = {key: _value(value, key) for key, value in doc.items()}
    try:
        return {**converted, "_id": ditto_id(SYNCED[collection], converted)}
    except KeyError as exc:
        raise KitError(f"{collection} document {doc.get('_id')!r} lacks its ID field {exc.args[0]!r}") from None


def insert_statement(collection: str, docs: list[dict]) -> tuple[str, dict[str, dict]]:
    """One INSERT of a batch, each document a named argument."""
    names = [f"d{i}" for i in range(len(docs))]
    dql = f"INSERT INTO {collection} DOCUMENTS " + ", ".join(f"(:{n})" for n in names)
    return dql, dict(zip(names, docs))


# ---------------------------------------------------------------- the SDK


@contextmanager
def _stderr_silenced() -> Iterator[None]:
    """Drop what native code writes to stderr (the SDK's logging setup prints a banner there)."""
    saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)


def load_sdk() -> Any:
    """The `ditto` module with its native library loaded and its console logging off; SdkUnavailable if not."""
    try:
        import ditto
    except ImportError as exc:
        raise SdkUnavailable(skip_notice(f"{exc}")) from None
    if not hasattr(ditto, "DittoConfig"):
        raise SdkUnavailable(skip_notice(f"the module 'ditto' at {ditto.__file__} is not the v5 Ditto SDK"))
    try:
        with _stderr_silenced():
            ditto.DittoLogger.is_enabled = False  # the first native call: loads the library, sets up logging
    except (OSError, ditto.DittoError) as exc:
        raise SdkUnavailable(skip_notice(f"its native library does not load: {exc}")) from None
    return ditto


class LocalStore:
    """One offline Ditto instance (the SDK allows one per persistence directory and keeps process-wide state)."""

    def __init__(self, sdk: Any, instance: Any) -> None:
        self.sdk = sdk
        self.ditto = instance

    async def execute(self, dql: str, args: Mapping[str, Any] | None = None) -> tuple[list[dict], int]:
        """Rows and the number of mutated documents; KitError with Ditto's message on failure."""
        try:
            with await self.ditto.store.execute(dql, args) as result:
                return [item.value for item in result], len(result.mutated_document_ids())
        except self.sdk.DittoError as exc:
            raise KitError(f"Ditto refused {dql.split()[0]}: {str(exc).splitlines()[0]}") from None

    async def evict(self, collection: str) -> None:
        """Forget a collection's local documents (EVICT: nothing syncs, nothing is tombstoned)."""
        await self.execute(f"EVICT FROM {collection}")

    async def insert(self, collection: str, docs: list[dict], batch: int, progress: Callable[[int], object]) -> float:
        """Insert documents (already in Ditto form) in INSERT statements of `batch`; seconds spent in Ditto."""
        seconds = 0.0
        for first in range(0, len(docs), batch):
            chunk = docs[first : first + batch]
            began = time.perf_counter()
            _, inserted = await self.execute(*insert_statement(collection, chunk))
            seconds += time.perf_counter() - began
            if inserted != len(chunk):
                raise KitError(f"Ditto inserted {inserted} of {len(chunk)} {collection} documents")
            progress(len(chunk))
        return seconds

    async def close(self) -> None:
        await self.ditto.close()


def _check_directory(directory: Path) -> None:
    if directory.exists() and not directory.is_dir():
        raise KitError(f"{directory} is a file, not a folder for the local Ditto store")
    if directory.is_dir() and any(directory.iterdir()) and not (directory / "__ditto_version.txt").exists():
        raise KitError(f"{directory} holds other files; choose an empty folder or an earlier local Ditto store")


async def open_store(sdk: Any, directory: Path) -> LocalStore:
    """Open (or create) the offline store in `directory`: small-peers-only, every transport off, no sync."""
    _check_directory(directory)
    directory.mkdir(parents=True, exist_ok=True)
    config = sdk.DittoConfig(
        database_id=DATABASE_ID,
        connect=sdk.DittoConfigConnect.small_peers_only(),
        persistence_directory=str(directory.resolve()),
    )
    try:
        instance = await sdk.Ditto.open(config)
    except sdk.DittoPersistenceDirectoryLockedError:
        raise KitError(f"another process is using the local Ditto store in {directory}") from None
    except sdk.DittoError as exc:
        raise KitError(f"cannot open a local Ditto store in {directory}: {str(exc).splitlines()[0]}") from None
    instance.transport_config = sdk.TransportConfig()  # a bare config has every transport disabled
    return LocalStore(sdk, instance)
