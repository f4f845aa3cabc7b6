"""Verify change streams without touching synced data: options read back, and a probe's events timed."""

from __future__ import annotations

import queue
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import PyMongoError

from change_streams import LOCAL_NO_PRE_IMAGES, OPTION, images_enabled, topology_warning
from common import (
    SYNCED_COLLECTIONS,
    KitError,
    base_parser,
    cli,
    connect_from_args,
    ok,
    say,
    server_info,
    table,
    warn,
)

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


def watch_live(db: Database, seconds: float) -> int:
    """Print change events of the synced collections as they happen; returns how many arrived."""
    events: queue.Queue = queue.Queue()
    stop = threading.Event()
    threads = []
    for name in SYNCED_COLLECTIONS:
        ready = threading.Event()
        thread = threading.Thread(target=_watch, args=(db[name], events, ready, stop), daemon=True)
        thread.start()
        ready.wait(EVENT_TIMEOUT_S)
        threads.append(thread)
    print(f"watching {len(threads)} synced collections for {seconds:g} s (Ctrl-C to stop)", flush=True)
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
            key = change.get("documentKey", {}).get("_id")
            stamp = datetime.now(UTC).strftime("%H:%M:%S")
            print(f"{stamp}  {change['operationType']:<8} {change['ns']['coll']:<14} {key}", flush=True)
    finally:
        stop.set()
        for thread in threads:
            thread.join(1.0)
    return seen


@cli
def main(argv: list[str] | None = None) -> int:
    parser = base_parser(__doc__)
    parser.add_argument("--watch", type=float, metavar="SECONDS", help="stream live events of the synced collections")
    args = parser.parse_args(argv)
    config, client = connect_from_args(args)
    info = server_info(client)
    db = client[config.database]
    problem = topology_warning(client, info)
    if problem:
        raise KitError(problem)
    if args.watch:
        seen = watch_live(db, args.watch)
        ok(f"{seen} change events in {args.watch:g} s")
        return 0

    states = {name: images_enabled(db, name) for name in SYNCED_COLLECTIONS}
    label = {True: "enabled", False: "NOT enabled", None: "unknown (not reported by this server)"}
    print(table(["collection", "pre/post images"], [(n, label[s]) for n, s in states.items()]))
    events = probe_events(db)
    print(
        table(
            ["event", "latency ms", "post-image", "pre-image"],
            [(e.operation, round(e.latency_ms, 1), e.post_image, e.pre_image) for e in events],
        )
    )
    missing = [n for n, s in states.items() if s is False]
    if len(events) < 3:
        raise KitError(f"only {len(events)} of 3 change events arrived within {EVENT_TIMEOUT_S:g} s")
    say(f"change events arrive: {len(events)} of 3, slowest after {max(e.latency_ms for e in events):.0f} ms")
    pre_images = all(e.pre_image for e in events if e.operation in ("update", "delete"))
    if info.is_local:
        warn(f"pre-images were not delivered: {LOCAL_NO_PRE_IMAGES}" if not pre_images else LOCAL_NO_PRE_IMAGES)
    elif not pre_images or missing:
        what = f"not enabled on {', '.join(missing)}" if missing else "pre-images were not delivered"
        raise KitError(f"{what}: run python scripts/enable_change_streams.py")
    ok("change streams work" + ("" if info.is_local else " with pre- and post-images"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
