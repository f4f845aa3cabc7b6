"""The live feed of one store: change streams on `inventory` and `orders` turned into Server-Sent Events.

Each page that listens gets its own thread and its own two change streams, filtered on the server to
the store (`fullDocument.store_id`, with `updateLookup`, so updates carry the whole document). Every
event carries an `id:` that holds both streams' resume tokens; a browser that loses the stream
reconnects on its own and sends it back as `Last-Event-ID`, and the feed resumes after it where the
server still has the history. Otherwise it starts afresh: its first event, `hello`, then carries
everything the page shows (read after the streams are open, so no change falls in between), and the
page redraws from it; a `summary` with every key figure follows. Documents are soft-deleted, so a
change always has a full document to show.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

from bson import json_util
from pymongo.change_stream import CollectionChangeStream
from pymongo.errors import OperationFailure

from zava.dashboard.data import Dashboard, inventory_row, known_store, order_row

WATCHED = ("inventory", "orders")
POLL_MS = 100  # each stream waits this long for a change before the other one is asked
HEARTBEAT_S = 10.0  # a quiet feed still sends an event this often, so a dead connection is noticed
RETRY_MS = 1000  # how soon a browser reconnects after losing the stream


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


def encode_tokens(tokens: dict[str, Any]) -> str:
    """The resume tokens of the streams as one Last-Event-ID (no newlines: base64url of Extended JSON)."""
    return base64.urlsafe_b64encode(json_util.dumps(tokens).encode()).decode()


def decode_tokens(text: str | None) -> dict[str, Any]:
    """The resume tokens in a Last-Event-ID; empty when there is none or it is not one of ours."""
    if not text:
        return {}
    try:
        tokens = json_util.loads(base64.urlsafe_b64decode(text.encode()).decode())
    except (ValueError, TypeError, UnicodeDecodeError):
        return {}
    return {k: v for k, v in tokens.items() if k in WATCHED and isinstance(v, dict)} if isinstance(tokens, dict) else {}


def _open(dashboard: Dashboard, name: str, store_id: str, token: Any) -> tuple[CollectionChangeStream, bool]:
    """A change stream of one collection filtered to the store; resumed after `token` when the server allows."""
    pipeline = [{"$match": {"fullDocument.store_id": store_id}}]
    options = {"full_document": "updateLookup", "max_await_time_ms": POLL_MS}
    if token is not None:
        try:
            return dashboard.db[name].watch(pipeline, resume_after=token, **options), True
        except OperationFailure:  # the token is unknown here, or its history is gone: start from now
            pass
    return dashboard.db[name].watch(pipeline, **options), False


def _event(dashboard: Dashboard, name: str, change: dict[str, Any], token: str) -> Event | None:
    doc = change.get("fullDocument")
    if doc is None:  # a hard delete (the kit never makes one) or a document gone before the lookup
        return None
    if name == "inventory":
        return Event("inventory", inventory_row(doc, dashboard.products(doc["product_id"])), token)
    return Event("order", order_row(doc), token)


def store_feed(
    dashboard: Dashboard, store_id: str, last_event_id: str | None, stopping: Callable[[], bool]
) -> Iterator[Event]:
    """The store's events until stopping() or the consumer stops; first `hello`, then changes and heartbeats."""
    known_store(store_id)
    tokens = decode_tokens(last_event_id)
    with ExitStack() as stack:
        streams: dict[str, CollectionChangeStream] = {}
        resumed = bool(tokens)
        for name in WATCHED:
            stream, ok = _open(dashboard, name, store_id, tokens.get(name))
            streams[name] = stack.enter_context(stream)
            resumed = resumed and ok

        def current() -> str:
            return encode_tokens({name: s.resume_token for name, s in streams.items()})

        hello = {"store_id": store_id, "resumed": resumed, "retry_ms": RETRY_MS}
        if not resumed:  # read after the streams are open, so no change falls between the two
            hello["page"] = dashboard.page(store_id, with_open_orders=False)
        yield Event("hello", hello, current())
        if not resumed:  # the slow figure, once the page has drawn everything else
            yield Event("summary", dashboard.summary(store_id), current())
        quiet_since = time.monotonic()
        while not stopping():
            for name, stream in streams.items():
                change = stream.try_next()
                if change is not None:
                    event = _event(dashboard, name, change, current())
                    if event is not None:
                        quiet_since = time.monotonic()
                        yield event
            if time.monotonic() - quiet_since >= HEARTBEAT_S:
                quiet_since = time.monotonic()
                yield Event("ping", {}, current())
