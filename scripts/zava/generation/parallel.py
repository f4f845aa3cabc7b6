"""Run the dataset's tasks on worker processes (or in the calling thread), each batch encoded where it is made.

Every task draws from its own seeded streams, so a task gives the same bytes on whichever process
runs it; results are handed on in task order, a few tasks ahead, so the output is the same for
any number of workers and memory stays flat.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import signal
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from itertools import islice
from typing import Literal

import bson
import numpy as np
from bson.raw_bson import RawBSONDocument
from pymongo import uri_parser

from zava.errors import ConfigError
from zava.generation.dataset import Dataset, Task

Encoding = Literal["bson", "json", "digest"]
MAX_AUTO_WORKERS = 4
MAX_WORKERS = 64
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
AHEAD_PER_WORKER = 4  # tasks queued per worker: enough to keep it busy past a slow task, few enough for flat memory


class WorkerDied(Exception):
    """A worker process ended without finishing its task (killed, or out of memory)."""


@dataclass(frozen=True)
class Encoded:
    """One batch of one collection, encoded: BSON documents back to back, JSON lines, or only a digest."""

    count: int
    nbytes: int
    data: bytes = b""
    sizes: np.ndarray | None = None  # byte length of each BSON document
    digest: bytes = b""  # sha256 of the batch's BSON (digest encoding only)

    def documents(self) -> list[RawBSONDocument]:
        """The BSON documents, ready for insert_many without encoding them again."""
        ends = np.cumsum(self.sizes).tolist()
        return [RawBSONDocument(self.data[start:end]) for start, end in zip([0, *ends[:-1]], ends)]


def encode(docs: list[dict], encoding: Encoding) -> Encoded:
    """Encode one batch the way its sink needs it."""
    if encoding == "json":
        data = "".join(json.dumps(d, ensure_ascii=False, separators=(",", ":")) + "\n" for d in docs).encode()
        return Encoded(len(docs), len(data), data)
    encoded = [bson.encode(d) for d in docs]
    data = b"".join(encoded)
    if encoding == "digest":
        return Encoded(len(docs), len(data), digest=hashlib.sha256(data).digest())
    return Encoded(len(docs), len(data), data, np.fromiter(map(len, encoded), np.int64, len(encoded)))


def on_this_machine(uri: str) -> bool:
    """Whether every host of a connection string is this machine (mongodb+srv:// never is)."""
    if uri.startswith("mongodb+srv://"):
        return False
    return all(host in LOOPBACK for host, _ in uri_parser.parse_uri(uri)["nodelist"])


def choose_workers(configured: int, server_uri: str | None) -> int:
    """The configured number, or (0) automatic: 1 when loading a server on this machine, which needs these
    cores and takes fewer documents than one worker makes; otherwise one per core, at most 4."""
    if configured > MAX_WORKERS:
        raise ConfigError(f"WORKERS must be at most {MAX_WORKERS}, got {configured}")
    if configured:
        return configured
    return 1 if server_uri and on_this_machine(server_uri) else max(1, min(MAX_AUTO_WORKERS, os.cpu_count() or 1))


_worker: tuple[Dataset, Encoding] | None = None


def _start_worker(dataset: Dataset, encoding: Encoding) -> None:
    global _worker
    # a terminal's Ctrl-C or hang-up reaches the whole group: the parent handles it and stops the pool;
    # SIGTERM gets its default back (not the parent's handler): it is how the pool ends a worker
    for name, action in (("SIGINT", signal.SIG_IGN), ("SIGHUP", signal.SIG_IGN), ("SIGTERM", signal.SIG_DFL)):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), action)
    _worker = (dataset, encoding)


def _run(task: Task) -> list[tuple[str, Encoded]]:
    dataset, encoding = _worker
    return [(name, encode(docs, encoding)) for name, docs in dataset.run(task)]


def _start_method() -> str:
    """fork (instant, nothing to pickle) while this process has one thread; else a clean start."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return "fork"
    return "forkserver" if "forkserver" in methods else "spawn"


def _ready(_: int) -> int:
    return os.getpid()


class Workers:
    """`count` processes that generate and encode tasks; with one, a plain loop on the caller's thread.

    Enter it before connecting to a server: the processes are forked then, while no client threads run."""

    def __init__(self, dataset: Dataset, encoding: Encoding, count: int) -> None:
        self.dataset, self.encoding, self.count = dataset, encoding, count
        self.pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Workers:
        if self.count > 1:
            context = multiprocessing.get_context(_start_method())
            initargs = (self.dataset, self.encoding)
            self.pool = ProcessPoolExecutor(self.count, context, initializer=_start_worker, initargs=initargs)
            list(self.pool.map(_ready, range(self.count)))
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool:
            self.pool.shutdown(wait=True, cancel_futures=True)  # at most the running tasks finish

    def batches(self, tasks: Sequence[Task]) -> Iterator[tuple[str, Encoded]]:
        """Every batch of these tasks, in task order."""
        if self.pool is None:
            for task in tasks:
                for name, docs in self.dataset.run(task):
                    yield name, encode(docs, self.encoding)
            return
        todo = iter(tasks)
        ahead = AHEAD_PER_WORKER * self.count
        pending: deque[Future] = deque(self.pool.submit(_run, t) for t in islice(todo, ahead))
        try:
            while pending:
                result = pending.popleft().result()
                following = next(todo, None)
                if following is not None:
                    pending.append(self.pool.submit(_run, following))
                yield from result
        except BrokenProcessPool:
            raise WorkerDied("a worker process ended abruptly (killed, or out of memory)") from None
        finally:
            for future in pending:
                future.cancel()
