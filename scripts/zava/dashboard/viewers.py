"""The dashboard with many pages listening: the simulator's rate, the events each page gets, how fast they arrive
(`python scripts/dashboard_benchmark.py`).

For each number of pages it starts store_dashboard.py on a free local port, opens that many live feeds of the
store (raw Server-Sent Events, read by one thread), runs simulate_activity.py at --rate on the store alone for
--seconds, and meanwhile sets a marker value on one inventory line (taken out of the simulator's reach by a soft
delete, restored afterwards) twice a second: write-to-page latency is timed on those markers, and
beside it the latency of a plain change stream in this process (direct_*: what the server itself allows). It writes
simulated activity into the configured database: point it at a scratch one.
"""

from __future__ import annotations

import json
import math
import os
import re
import selectors
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pymongo.database import Database

from zava.benchmark import run_script
from zava.dashboard.access import TOKEN_SETTING, new_token
from zava.dashboard.live import WATCHED, store_stream
from zava.errors import KitError
from zava.model.rules import LIVE
from zava.settings import PROJECT_ROOT, Config

MARK_EVERY_S = 0.5  # a marker write this often
DRAIN_S = 3.0  # after the simulator stops, how long the pages may take to get the last events
MARKER_BASE = 900_000  # marker stock levels: MARKER_BASE + the marker's number
DASHBOARD = PROJECT_ROOT / "scripts" / "store_dashboard.py"


@dataclass
class Page:
    """One live feed as a browser would hold it: its socket, what arrived and when."""

    sock: socket.socket
    status: int | None = None
    buffer: bytes = b""
    counts: dict[str, int] = field(default_factory=dict)
    marks: dict[int, float] = field(default_factory=dict)  # marker number -> arrival (perf_counter)

    def changes(self) -> int:
        """The inventory and order events received so far."""
        return self.counts.get("inventory", 0) + self.counts.get("order", 0)

    def feed(self, data: bytes, marker_product: str, now: float) -> None:
        """Take bytes that arrived at `now`: the answer's status line first, then events."""
        self.buffer += data
        if self.status is None:
            head, sep, rest = self.buffer.partition(b"\r\n\r\n")
            if not sep:
                return
            self.status, self.buffer = int(head.split(b" ", 2)[1]), rest
        *frames, self.buffer = self.buffer.split(b"\n\n")
        for frame in frames:
            fields = dict(line.split(b": ", 1) for line in frame.split(b"\n") if b": " in line)
            name = fields.get(b"event", b"").decode()
            self.counts[name] = self.counts.get(name, 0) + 1
            if name == "inventory" and marker_product.encode() in fields[b"data"]:
                level = json.loads(fields[b"data"])["stock_level"]
                if level >= MARKER_BASE:
                    self.marks.setdefault(level - MARKER_BASE, now)


class Pages:
    """Many live feeds of one store, read by one thread with a selector."""

    def __init__(self, base: str, token: str, store_id: str, count: int, marker_product: str) -> None:
        host, port = base.removeprefix("http://").rstrip("/").split(":")
        self.marker_product = marker_product
        self.selector = selectors.DefaultSelector()
        self.pages = []
        for _ in range(count):
            sock = socket.create_connection((host, int(port)), timeout=10)
            request = f"GET /api/stores/{store_id}/events HTTP/1.1\r\nHost: {host}:{port}\r\n"
            request += f"Authorization: Bearer {token}\r\n"
            sock.sendall((request + "Accept: text/event-stream\r\n\r\n").encode())
            sock.setblocking(False)
            page = Page(sock)
            self.selector.register(sock, selectors.EVENT_READ, page)
            self.pages.append(page)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        while not self.stop.is_set():
            for key, _ in self.selector.select(0.1):
                page: Page = key.data
                try:
                    data = page.sock.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    self.selector.unregister(page.sock)
                    continue
                page.feed(data, self.marker_product, time.perf_counter())

    def live(self) -> bool:
        """Whether every page got its first event; KitError when the dashboard refused one."""
        refused = [p.status for p in self.pages if p.status not in (None, 200)]
        if refused:
            raise KitError(f"the dashboard refused {len(refused)} of {len(self.pages)} pages (HTTP {refused[0]})")
        return all(p.counts.get("hello") for p in self.pages)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        for page in self.pages:
            page.sock.close()


def _process(pid: int) -> tuple[int, float]:
    """(threads, resident MB) of a process, from /proc (zeros where there is none)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0, 0.0
    threads = int(re.search(r"^Threads:\s+(\d+)", text, flags=re.M)[1])
    return threads, int(re.search(r"^VmRSS:\s+(\d+)", text, flags=re.M)[1]) / 1024


def _wait(condition: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise KitError(f"the measurement gave up: {what} within {timeout:g} s")
        time.sleep(0.05)


def _answers(base: str, token: str) -> bool:
    asking = urllib.request.Request(base + "/api/stores", headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(asking, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _simulator_rate(stderr: str) -> float:
    """The rate the simulator's summary line reports; KitError with its last line when there is none."""
    found = re.search(r"([\d.]+) events/s \(asked", stderr)
    if not found:
        raise KitError(f"the simulator gave no rate: {(stderr.strip().splitlines() or ['no output'])[-1]}")
    return float(found[1])


def percentile(values: list[float], share: float) -> int | None:
    """The nearest-rank percentile (share 0.99: p99), rounded; None for no values."""
    ordered = sorted(values)
    return round(ordered[max(math.ceil(share * len(ordered)) - 1, 0)]) if ordered else None


@contextmanager
def dashboard(config: Config, script: Path, store_id: str) -> Iterator[tuple[str, int, str]]:
    """The dashboard script serving the configured database on a free local port, with a token of this
    measurement's: (its base URL, its pid, the token)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    token = new_token()
    env = {**os.environ, "MONGODB_CONNECTION_STRING": config.mongo_uri, "MONGODB_DATABASE": config.database}
    env[TOKEN_SETTING] = token
    command = [sys.executable, str(script), "--quiet", "--port", str(port), "--store", store_id]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(lambda: server.poll() is not None or _answers(base, token), 30, "the dashboard did not answer")
        if server.poll() is not None:
            raise KitError(f"the dashboard stopped: {server.communicate()[1].strip()}")
        yield base, server.pid, token
    finally:
        server.terminate()
        server.communicate(timeout=30)


@contextmanager
def marker_line(db: Database, store_id: str) -> Iterator[dict[str, str]]:
    """One of the store's inventory lines, soft-deleted (so the simulator leaves it alone; its changes still reach
    the pages) and restored afterwards: its filter."""
    line = db.inventory.find_one({"store_id": store_id, **LIVE})
    if line is None:
        raise KitError(f"{store_id} has no live inventory line to time: load the dataset first")
    where = {"store_id": store_id, "product_id": line["product_id"]}
    db.inventory.replace_one(where, {**line, "deleted": True})  # whole: $set would store the boolean as 1
    try:
        yield where
    finally:
        db.inventory.replace_one(where, line)


class Direct:
    """The store's changes as a plain change stream in this process sees them (the floor of any page's latency):
    counted, and the markers' arrivals timed, until close()."""

    def __init__(self, db: Database, store_id: str, marker_product: str) -> None:
        self.db, self.store_id, self.marker_product = db, store_id, marker_product
        self.changes = 0
        self.marks: dict[int, float] = {}
        self.opened, self.stop = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()
        if not self.opened.wait(10):
            raise KitError("the measurement gave up: its own change streams did not open within 10 s")

    def _watch(self) -> None:
        with ExitStack() as stack:
            streams = [stack.enter_context(store_stream(self.db, name, self.store_id)) for name in WATCHED]
            self.opened.set()
            while not self.stop.is_set():
                for stream in streams:
                    change = stream.try_next()
                    if change is None:
                        continue
                    self.changes += 1
                    doc = change.get("fullDocument") or {}
                    if doc.get("product_id") == self.marker_product and doc["stock_level"] >= MARKER_BASE:
                        self.marks.setdefault(doc["stock_level"] - MARKER_BASE, time.perf_counter())

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)


def measure_pages(
    config: Config, db: Database, pages: int, seconds: float, rate: float, store_id: str, script: Path
) -> dict[str, Any]:
    """One run with `pages` pages listening (see the module's docstring)."""
    with marker_line(db, store_id) as where, dashboard(config, script, store_id) as (base, pid, token):
        feeds = Pages(base, token, store_id, pages, where["product_id"])
        direct = None
        try:
            _wait(feeds.live, 120, f"{pages} pages did not go live")
            idle_threads = _process(pid)[0]
            before = [p.changes() for p in feeds.pages]
            direct = Direct(db, store_id, where["product_id"])
            flags = ["--rate", f"{rate:g}", "--duration", f"{seconds:g}", "--stores", store_id, "--seed", "7"]
            with ThreadPoolExecutor(1) as pool:
                simulator = pool.submit(run_script, "simulate_activity", flags, config.mongo_uri, config.database)
                written: dict[int, float] = {}
                peak_threads, peak_mb = 0, 0.0
                while not simulator.done():
                    written[len(written)] = time.perf_counter()
                    db.inventory.update_one(where, {"$set": {"stock_level": MARKER_BASE + len(written) - 1}})
                    threads, mb = _process(pid)
                    peak_threads, peak_mb = max(peak_threads, threads), max(peak_mb, mb)
                    time.sleep(MARK_EVERY_S)
                _, simulator_err = simulator.result()
            time.sleep(DRAIN_S)
            direct.close()
            got = [p.changes() - b for p, b in zip(feeds.pages, before)]
            latencies = [(p.marks[n] - t) * 1000 for p in feeds.pages for n, t in written.items() if n in p.marks]
            floor = [(direct.marks[n] - t) * 1000 for n, t in written.items() if n in direct.marks]
        finally:
            feeds.close()
            if direct is not None:
                direct.close()  # again when all went well: it only waits for its thread
        time.sleep(3.0)  # a page that went away frees its thread at its next check
        return {
            "pages": pages,
            "simulator_events_per_s": _simulator_rate(simulator_err),
            "changes_streamed": direct.changes,
            "page_events_min": min(got, default=None),
            "page_events_max": max(got, default=None),
            "markers_missed": len(written) * pages - len(latencies),
            "latency_p50_ms": percentile(latencies, 0.5),
            "latency_p99_ms": percentile(latencies, 0.99),
            "latency_max_ms": percentile(latencies, 1.0),
            "direct_p50_ms": percentile(floor, 0.5),
            "direct_p99_ms": percentile(floor, 0.99),
            "threads_idle": idle_threads,
            "threads_peak": peak_threads,
            "threads_after": _process(pid)[0],
            "rss_peak_mb": round(peak_mb, 1),
        }
