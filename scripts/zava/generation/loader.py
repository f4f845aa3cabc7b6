"""Stream batches of documents into a sink while the next batch is being generated."""

from __future__ import annotations

import hashlib
import queue
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from pymongo.database import Database

from zava.console import progress
from zava.generation.parallel import Encoded, Encoding
from zava.model.collections import COLLECTION_NAMES

Batch = tuple[str, Encoded]
_DONE = object()


class Sink(Protocol):
    """Where generated documents go, and the encoding it takes them in."""

    encoding: Encoding

    def write(self, collection: str, batch: Encoded) -> None: ...

    def close(self) -> None: ...


class MongoSink:
    """insert_many(ordered=False) of the already-encoded documents, batch_size at a time."""

    encoding: Encoding = "bson"

    def __init__(self, db: Database, batch_size: int) -> None:
        self.db, self.batch_size = db, batch_size

    def write(self, collection: str, batch: Encoded) -> None:
        docs, target = batch.documents(), self.db[collection]
        for first in range(0, len(docs), self.batch_size):
            target.insert_many(docs[first : first + self.batch_size], ordered=False)

    def close(self) -> None:
        pass


class DigestSink:
    """Keeps only the byte count and a digest of every document's BSON (--dry-run)."""

    encoding: Encoding = "digest"

    def __init__(self) -> None:
        self.bytes = 0
        self.hash = hashlib.sha256()

    def write(self, collection: str, batch: Encoded) -> None:
        self.bytes += batch.nbytes
        self.hash.update(batch.digest)

    @property
    def digest(self) -> str:
        """The same for the same seed, sizes and dates, whatever the number of workers."""
        return self.hash.hexdigest()[:16]

    def close(self) -> None:
        pass


class JsonLinesSink:
    """One JSON-lines file per collection, importable with mongoimport (--out DIR)."""

    encoding: Encoding = "json"

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.files = {name: (directory / f"{name}.jsonl").open("wb") for name in COLLECTION_NAMES}

    def write(self, collection: str, batch: Encoded) -> None:
        self.files[collection].write(batch.data)

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

    def rows(self, names: Iterable[str] = COLLECTION_NAMES) -> list[tuple[str, int, float, int]]:
        """One row per collection of `names`, then the total."""
        rows = [
            (name, n, self.seconds[name], round(n / self.seconds[name]) if self.seconds[name] else 0)
            for name, n in self.documents.items()
            if name in names
        ]
        wall = self.wall_seconds
        return rows + [("total (wall clock)", self.total, wall, round(self.total / wall) if wall else 0)]


def _prefetch(batches: Iterable[Batch], depth: int, stop: threading.Event) -> Iterator[Batch]:
    """Iterate batches produced on a background thread, `depth` batches ahead."""
    pending: queue.Queue = queue.Queue(maxsize=depth)

    def offer(item: object) -> bool:
        """Queue an item unless the consumer has stopped; False when it has."""
        while not stop.is_set():
            try:
                pending.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            if all(offer(batch) for batch in batches):
                offer(_DONE)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            offer(exc)
        finally:
            getattr(batches, "close", lambda: None)()  # a generator: stop its work (and its workers') now

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
        for name, batch in _prefetch(batches, depth=2, stop=stop):
            if name not in bars:
                bars[name] = progress(expected.get(name), name, quiet)
            began = time.perf_counter()
            stats.in_flight = batch.count
            sink.write(name, batch)
            stats.in_flight = 0
            stats.seconds[name] += time.perf_counter() - began
            stats.documents[name] += batch.count
            bars[name].update(batch.count)
    finally:
        stop.set()
        stats.wall_seconds = time.perf_counter() - started
        for bar in bars.values():
            bar.close()
        sink.close()
    return stats


def written(stats: LoadStats) -> str:
    """How many documents reached the target, as far as we know."""
    if stats.in_flight:
        return f"{stats.total:,} to {stats.total + stats.in_flight:,}"
    return f"{stats.total:,}"
