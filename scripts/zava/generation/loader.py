"""Stream batches of documents into a sink while the next batch is being generated."""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import bson
from pymongo.database import Database

from common import KitError
from zava.console import progress
from zava.model.collections import COLLECTION_NAMES
from zava.mongo.admin import existing_counts

Batch = tuple[str, list[dict]]
_DONE = object()


class Sink(Protocol):
    """Where generated documents go."""

    def write(self, collection: str, docs: list[dict]) -> None: ...

    def close(self) -> None: ...


class MongoSink:
    """insert_many(ordered=False) in batches of batch_size."""

    def __init__(self, db: Database, batch_size: int) -> None:
        self.db, self.batch_size = db, batch_size

    def write(self, collection: str, docs: list[dict]) -> None:
        target = self.db[collection]
        for first in range(0, len(docs), self.batch_size):
            target.insert_many(docs[first : first + self.batch_size], ordered=False)

    def close(self) -> None:
        pass


class EncodeSink:
    """Encodes every document to BSON and keeps only the byte count (--dry-run)."""

    def __init__(self) -> None:
        self.bytes = 0

    def write(self, collection: str, docs: list[dict]) -> None:
        self.bytes += sum(len(bson.encode(d)) for d in docs)

    def close(self) -> None:
        pass


class JsonLinesSink:
    """One JSON-lines file per collection, importable with mongoimport (--out DIR)."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.files = {name: (directory / f"{name}.jsonl").open("w", encoding="utf-8") for name in COLLECTION_NAMES}

    def write(self, collection: str, docs: list[dict]) -> None:
        self.files[collection].write(
            "".join(json.dumps(d, ensure_ascii=False, separators=(",", ":")) + "\n" for d in docs)
        )

    def close(self) -> None:
        for handle in self.files.values():
            handle.close()


@dataclass
class LoadStats:
    """Documents and seconds spent writing, per collection, plus the wall clock."""

    documents: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COLLECTION_NAMES, 0))
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(COLLECTION_NAMES, 0.0))
    wall_seconds: float = 0.0
    in_flight: int = 0  # documents of the batch being written (some may have landed when it fails)

    @property
    def total(self) -> int:
        return sum(self.documents.values())

    def rows(self) -> list[tuple[str, int, float, int]]:
        rows = [
            (name, n, self.seconds[name], round(n / self.seconds[name]) if self.seconds[name] else 0)
            for name, n in self.documents.items()
        ]
        wall = self.wall_seconds
        return rows + [("total (wall clock)", self.total, wall, round(self.total / wall) if wall else 0)]


def _prefetch(batches: Iterable[Batch], depth: int, stop: threading.Event) -> Iterator[Batch]:
    """Iterate batches produced on a background thread, `depth` batches ahead."""
    pending: queue.Queue = queue.Queue(maxsize=depth)

    def produce() -> None:
        try:
            for batch in batches:
                while not stop.is_set():
                    try:
                        pending.put(batch, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            pending.put(_DONE)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            pending.put(exc)

    worker = threading.Thread(target=produce, name="generate", daemon=True)
    worker.start()
    while True:
        item = pending.get()
        if item is _DONE:
            return
        if isinstance(item, BaseException):
            raise item
        yield item


def load(batches: Iterable[Batch], sink: Sink, expected: dict[str, int], quiet: bool, stats: LoadStats) -> LoadStats:
    """Write every batch to the sink, one progress bar per collection; fills `stats` as it goes."""
    stop = threading.Event()
    bars: dict = {}
    started = time.perf_counter()
    try:
        for name, docs in _prefetch(batches, depth=2, stop=stop):
            if name not in bars:
                bars[name] = progress(expected.get(name), name, quiet)
            began = time.perf_counter()
            stats.in_flight = len(docs)
            sink.write(name, docs)
            stats.in_flight = 0
            stats.seconds[name] += time.perf_counter() - began
            stats.documents[name] += len(docs)
            bars[name].update(len(docs))
    finally:
        stop.set()
        stats.wall_seconds = time.perf_counter() - started
        for bar in bars.values():
            bar.close()
        sink.close()
    return stats


def verify_counts(sink: MongoSink, expected: dict[str, int]) -> None:
    """The server holds exactly the expected number of documents in every collection."""
    counts = existing_counts(sink.db)
    wrong = {name: (counts.get(name, 0), n) for name, n in expected.items() if counts.get(name, 0) != n}
    if wrong:
        detail = ", ".join(f"{name} {got:,} (expected {want:,})" for name, (got, want) in wrong.items())
        raise KitError(f"the database does not hold the expected documents after the load: {detail}")


def written(stats: LoadStats) -> str:
    """How many documents reached the target, as far as we know."""
    if stats.in_flight:
        return f"{stats.total:,} to {stats.total + stats.in_flight:,}"
    return f"{stats.total:,}"
