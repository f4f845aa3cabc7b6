"""The live feed: one pair of change streams per store, shared by every page that shows the store.

A store's channel opens change streams on `inventory` and `orders`, filtered on the server to the store
(`fullDocument.store_id`, with `updateLookup`, so updates carry the whole document), when its first page
arrives. Each change becomes one Server-Sent Event, encoded once into a ring of the store's latest HISTORY events
that each page reads at its own pace: the database serves two streams per store however many pages listen. A page
that falls further behind than the ring holds is let go (its browser reconnects); a page that goes away frees its
place within CHECK_S; a channel left without pages closes its streams after IDLE_S. The key figures are read once
when the channel opens and then kept from the changed documents (figures.py), with no further read; they go to
every page as one `summary`, at most once every SUMMARY_S while changes arrive.

Event ids are `CHANNEL.N`. A page that reconnects while the events after its last one are still in the ring
resumes after it; otherwise its first event, `hello`, carries the whole page, read after the page joined, so no
change falls in between. Documents are soft-deleted, so a change always has a full document to show.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

from pymongo.change_stream import CollectionChangeStream
from pymongo.database import Database
from pymongo.errors import PyMongoError

from zava.dashboard.data import Dashboard, Rejected, inventory_row, known_store, order_row
from zava.dashboard.figures import Figures

WATCHED = ("inventory", "orders")
POLL_MS = 100  # each stream waits this long for a change before the other one is asked
HEARTBEAT_S = 10.0  # a quiet page still gets an event this often
RETRY_MS = 1000  # how soon a browser reconnects after losing the stream
HISTORY = 2048  # events a channel keeps: how far a page may fall behind, and how far back it may resume
SUMMARY_S = 1.0  # the key figures are sent at most this often
IDLE_S = 30.0  # a channel without pages closes after this long (a reloading page resumes meanwhile)
CHECK_S = 1.0  # a waiting page checks this often that its browser is still there
READY_S = 30.0  # how long a page waits for its store's streams to open
MAX_VIEWERS = 200  # live pages served at once; the next one gets 503


@dataclass(frozen=True)
class Event:
    """One Server-Sent Event."""

    name: str
    data: dict[str, Any]
    id: str | None = None

    def encode(self) -> bytes:
        lines = [f"event: {self.name}", f"data: {json.dumps(self.data, separators=(',', ':'))}"]
        if self.id is not None:
            lines.insert(0, f"id: {self.id}")
        return ("\n".join(lines) + "\n\n").encode()


def store_stream(db: Database, name: str, store_id: str) -> CollectionChangeStream:
    """A change stream of one collection, filtered on the server to one store, updates with their whole document."""
    pipeline = [{"$match": {"fullDocument.store_id": store_id}}]
    return db[name].watch(pipeline, full_document="updateLookup", max_await_time_ms=POLL_MS)


def mongo_error(exc: PyMongoError) -> str:
    """A server error as the page shows it: one short line."""
    return f"MongoDB error: {str(exc).splitlines()[0][:200]}"


class Channel:
    """One store's change streams and the ring of its latest events, shared by the store's pages."""

    def __init__(self, hub: Hub, store_id: str) -> None:
        self.hub, self.store_id = hub, store_id
        self.name = secrets.token_hex(4)  # a page's event id from another channel never matches
        self.ring: list[bytes] = [b""] * HISTORY
        self.last = 0  # the number of the newest event
        self.changed = threading.Condition()
        self.viewers = 0
        self.idle_since = time.monotonic()
        self.summary: dict[str, Any] | None = None  # the figures last sent
        self.ready = threading.Event()
        self.done = False
        self.error: str | None = None
        threading.Thread(target=self._watch, daemon=True, name=f"feed-{store_id}").start()

    def publish(self, name: str, data: dict[str, Any]) -> None:
        with self.changed:
            self.last += 1
            self.ring[self.last % HISTORY] = Event(name, data, f"{self.name}.{self.last}").encode()
            self.changed.notify_all()

    def position(self, last_event_id: str | None) -> int | None:
        """The event a page resumes after, when every event since is still in the ring; None otherwise."""
        name, _, number = (last_event_id or "").partition(".")
        if name != self.name or not number.isdigit():
            return None
        with self.changed:
            return int(number) if self.last - HISTORY <= int(number) <= self.last else None

    def after(self, number: int, timeout: float) -> list[bytes] | None:
        """The events after `number`, waiting up to `timeout` for one; None when the page cannot follow (it fell
        behind the ring, or the channel closed)."""
        with self.changed:
            if self.last == number and not self.done:
                self.changed.wait(timeout)
            if self.done or number < self.last - HISTORY:
                return None
            return [self.ring[n % HISTORY] for n in range(number + 1, self.last + 1)]

    def _watch(self) -> None:
        db = self.hub.dashboard.db
        try:
            with ExitStack() as stack:
                streams = {n: stack.enter_context(store_stream(db, n, self.store_id)) for n in WATCHED}
                self.ready.set()
                figures = Figures.read(db, self.store_id)  # after the streams open: no change is missed
                self._send(figures)
                sent, moved = time.monotonic(), False
                while self.hub.keeps(self):
                    for name, stream in streams.items():
                        change = stream.try_next()
                        if change is not None and change.get("fullDocument") is not None:
                            self._change(name, change["fullDocument"], figures)
                            moved = True
                    if figures.stale():  # a new day: the chart moves on
                        figures, moved = Figures.read(db, self.store_id), True
                    if moved and time.monotonic() - sent >= SUMMARY_S:
                        self._send(figures)
                        sent, moved = time.monotonic(), False
        except PyMongoError as exc:
            self.error = mongo_error(exc)
        finally:
            self.hub.drop(self)
            with self.changed:
                self.done = True
                self.changed.notify_all()
            self.ready.set()  # a page still waiting sees the error

    def _change(self, name: str, doc: dict[str, Any], figures: Figures) -> None:
        if name == "inventory":
            figures.line(doc)
            self.publish("inventory", inventory_row(doc, self.hub.dashboard.products(doc["product_id"])))
        else:
            figures.order(doc)
            self.publish("order", order_row(doc))

    def _send(self, figures: Figures) -> None:
        self.summary = figures.summary()
        self.publish("summary", self.summary)


class Hub:
    """The channels of a server's stores, and how many pages listen: at most `max_viewers`."""

    def __init__(
        self, dashboard: Dashboard, stopping: threading.Event, max_viewers: int = MAX_VIEWERS, idle_s: float = IDLE_S
    ) -> None:
        self.dashboard, self.stopping = dashboard, stopping
        self.max_viewers, self.idle_s = max_viewers, idle_s
        self._lock = threading.Lock()
        self._channels: dict[str, Channel] = {}
        self.viewers = 0

    @property
    def channels(self) -> int:
        return len(self._channels)

    @contextmanager
    def join(self, store_id: str) -> Iterator[Channel]:
        """A place for one page on the store's channel (opened if needed); Rejected (404 unknown store, 503 full or
        the streams did not open)."""
        known_store(store_id)
        with self._lock:
            if self.viewers >= self.max_viewers:
                raise Rejected(503, f"this dashboard serves at most {self.max_viewers} live pages: close one first")
            channel = self._channels.get(store_id) or self._channels.setdefault(store_id, Channel(self, store_id))
            channel.viewers += 1
            self.viewers += 1
        try:
            if not channel.ready.wait(READY_S) or channel.error:
                raise Rejected(503, channel.error or "the live feed did not start: try again")
            yield channel
        finally:
            with self._lock:
                channel.viewers -= 1
                self.viewers -= 1
                channel.idle_since = time.monotonic()

    def keeps(self, channel: Channel) -> bool:
        """Whether a channel goes on (the server runs and it has pages, or had some within idle_s); one that stops
        leaves the hub at once, so no page joins it."""
        with self._lock:
            if not self.stopping.is_set() and (channel.viewers or time.monotonic() - channel.idle_since < self.idle_s):
                return True
            self._drop(channel)
            return False

    def drop(self, channel: Channel) -> None:
        with self._lock:
            self._drop(channel)

    def _drop(self, channel: Channel) -> None:
        if self._channels.get(channel.store_id) is channel:
            del self._channels[channel.store_id]


def feed(channel: Channel, last_event_id: str | None, stopping: Callable[[], bool]) -> Iterator[bytes]:
    """One page's events: `hello` first, then the store's events as they come, a `ping` after HEARTBEAT_S of quiet,
    and b"" after each quiet CHECK_S (the caller checks its connection then); it ends when the page cannot follow."""
    number = channel.position(last_event_id)
    hello: dict[str, Any] = {"store_id": channel.store_id, "resumed": number is not None, "retry_ms": RETRY_MS}
    if number is None:
        number = channel.last  # the page is read after this event, so nothing falls in between
        hello["page"] = channel.hub.dashboard.page(channel.store_id, with_open_orders=False, summary=channel.summary)
    yield Event("hello", hello, f"{channel.name}.{number}").encode()
    quiet_since = time.monotonic()
    while not stopping():
        events = channel.after(number, CHECK_S)
        if events is None:
            return
        if events:
            number += len(events)
            quiet_since = time.monotonic()
            yield b"".join(events)
        elif time.monotonic() - quiet_since >= HEARTBEAT_S:
            quiet_since = time.monotonic()
            yield Event("ping", {}).encode()
        else:
            yield b""
