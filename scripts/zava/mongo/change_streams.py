"""Change-stream pre- and post-images: enabling them, reading them back, and explaining failures."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from pymongo import MongoClient
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import OperationFailure, PyMongoError

from zava.model.collections import SYNCED_COLLECTIONS
from zava.mongo.server import ServerInfo, topology

OPTION = "changeStreamPreAndPostImages"
UNSUPPORTED_CODES = (59, 72, 40415)  # CommandNotFound, InvalidOptions, unknown field: server older than 6.0
LOCAL_NO_PRE_IMAGES = (
    "the local server accepts the setting but never delivers pre-images; "
    "the Ditto connector needs real MongoDB 7.0.13+ or 8.0+ as a replica set"
)


def topology_warning(client: MongoClient, info: ServerInfo) -> str | None:
    """Why change streams cannot work on this server, or None."""
    if info.is_local:
        return None
    if topology(client) == "standalone":
        return (
            "this server is a standalone mongod: change streams need a replica set "
            "(see docker-compose.yml for a single-node one)"
        )
    return None


def failure_guidance(exc: OperationFailure) -> str:
    """One line on what to do about a refused collMod."""
    if exc.code == 13:
        return (
            "the user may not run collMod: grant the dbAdmin role on this database "
            "(on Atlas: 'Atlas admin', or a custom role with the collMod action)"
        )
    if exc.code in UNSUPPORTED_CODES:
        return (
            "this server does not support changeStreamPreAndPostImages: it needs MongoDB 6.0+ (the connector 7.0.13+)"
        )
    return str(exc.details.get("errmsg", exc) if exc.details else exc).splitlines()[0][:160]


def images_enabled(db: Database, name: str) -> bool | None:
    """Whether listCollections reports pre/post images on; None when the server reports no such option."""
    found = next(iter(db.list_collections(filter={"name": name})), None)
    if found is None:
        return False
    options = found.get("options", {})
    if OPTION in options:
        return bool(options[OPTION].get("enabled"))
    return None


def enable_images(db: Database, name: str) -> bool:
    """Create the collection when missing, then switch pre/post images on; True when it was created."""
    created = name not in db.list_collection_names(filter={"name": name})
    if created:
        db.create_collection(name)
    db.command("collMod", name, **{OPTION: {"enabled": True}})
    return created


def enable_all(db: Database) -> tuple[list[tuple[str, str, str]], list[str]]:
    """Pre/post images switched on for every synced collection: a (collection, status, detail) row each, and
    what failed (one line per collection refused or not showing the option back)."""
    rows, failures = [], []
    for name in SYNCED_COLLECTIONS:
        try:
            created = enable_images(db, name)
        except OperationFailure as exc:
            failures.append(failure_guidance(exc))
            rows.append((name, "failed", failures[-1]))
            continue
        state = images_enabled(db, name)
        status = {True: "enabled", False: "not enabled", None: "accepted"}[state]
        detail = "collection created; " if created else ""
        detail += "the server does not report the option back" if state is None else "read back from listCollections"
        if state is False:
            failures.append(f"{name}: collMod succeeded but listCollections does not show the option")
        rows.append((name, status, detail))
    return rows, failures


PROBE_COLLECTION = "zava_change_stream_probe"  # the script's own scratch collection, dropped afterwards


EVENT_TIMEOUT_S = 5.0


STREAM_OPTIONS = {"full_document": "updateLookup", "full_document_before_change": "whenAvailable"}


@dataclass(frozen=True)
class ProbeEvent:
    operation: str
    latency_ms: float
    post_image: bool
    pre_image: bool


def _watch(collection: Collection, events: queue.Queue, ready: threading.Event, stop: threading.Event) -> None:
    try:
        with collection.watch(max_await_time_ms=200, **STREAM_OPTIONS) as stream:
            ready.set()
            while not stop.is_set():
                change = stream.try_next()
                if change is not None:
                    events.put((time.perf_counter(), change))
    except PyMongoError as exc:
        events.put((time.perf_counter(), exc))
        ready.set()


def probe_events(db: Database) -> list[ProbeEvent]:
    """Insert, update and delete a probe document while watching; the probe collection is dropped after."""
    probe = db[PROBE_COLLECTION]
    db.drop_collection(PROBE_COLLECTION)
    db.create_collection(PROBE_COLLECTION)
    db.command("collMod", PROBE_COLLECTION, **{OPTION: {"enabled": True}})
    events: queue.Queue = queue.Queue()
    ready, stop = threading.Event(), threading.Event()
    watcher = threading.Thread(target=_watch, args=(probe, events, ready, stop), daemon=True)
    watcher.start()
    try:
        ready.wait(EVENT_TIMEOUT_S)
        written = []
        for operation, write in (
            ("insert", lambda: probe.insert_one({"_id": "probe", "value": 1})),
            ("update", lambda: probe.update_one({"_id": "probe"}, {"$set": {"value": 2}})),
            ("delete", lambda: probe.delete_one({"_id": "probe"})),
        ):
            write()
            written.append((operation, time.perf_counter()))
        results = []
        for _, at in written:
            try:
                arrived, change = events.get(timeout=EVENT_TIMEOUT_S)
            except queue.Empty:
                break
            if isinstance(change, Exception):
                raise change
            results.append(
                ProbeEvent(
                    change["operationType"],
                    (arrived - at) * 1000,
                    change.get("fullDocument") is not None,
                    change.get("fullDocumentBeforeChange") is not None,
                )
            )
        return results
    finally:
        stop.set()
        watcher.join(EVENT_TIMEOUT_S)
        db.drop_collection(PROBE_COLLECTION)


def watch_live(db: Database, seconds: float, on_ready: Callable[[int], None], on_event: Callable[[dict], None]) -> int:
    """Stream change events of the synced collections for `seconds`; returns how many arrived.

    `on_ready` gets the number of collections watched, `on_event` each change event as it arrives."""
    events: queue.Queue = queue.Queue()
    stop = threading.Event()
    threads = []
    for name in SYNCED_COLLECTIONS:
        ready = threading.Event()
        thread = threading.Thread(target=_watch, args=(db[name], events, ready, stop), daemon=True)
        thread.start()
        ready.wait(EVENT_TIMEOUT_S)
        threads.append(thread)
    on_ready(len(threads))
    deadline, seen = time.monotonic() + seconds, 0
    try:
        while time.monotonic() < deadline:
            try:
                _, change = events.get(timeout=min(0.5, max(deadline - time.monotonic(), 0.01)))
            except queue.Empty:
                continue
            if isinstance(change, Exception):
                raise change
            seen += 1
            on_event(change)
    finally:
        stop.set()
        for thread in threads:
            thread.join(1.0)
    return seen
