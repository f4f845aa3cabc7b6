"""Touching every synced document so a running Ditto connector picks it up: paging, markers, resumable state."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pymongo.database import Database

from zava.console import progress
from zava.errors import ConfigError
from zava.model.collections import COLLECTIONS, SYNCED_COLLECTIONS
from zava.model.timestamps import iso
from zava.settings import PROJECT_ROOT

MARKER_FIELD = "sync_triggered_at"


STATE_DIR = PROJECT_ROOT / ".state"


PAGE_SIZE = 1000


def page_key(collection: str) -> tuple[str, ...]:
    """Fields to walk a collection in order: its connector id fields when composite, else _id.

    Composite ids are walked through their duplicated top-level fields (the local server cannot
    filter on an embedded-document _id)."""
    fields = next(c.id_fields for c in COLLECTIONS if c.name == collection)
    return fields if len(fields) > 1 else ("_id",)


def after(key: tuple[str, ...], last: list[Any] | None) -> dict[str, Any]:
    """Filter for documents strictly after `last` in key order."""
    if last is None:
        return {}
    branches = [{**{k: v for k, v in zip(key[:i], last[:i])}, key[i]: {"$gt": last[i]}} for i in range(len(key))]
    return branches[0] if len(branches) == 1 else {"$or": branches}


@dataclass
class SyncState:
    """Progress of one run, saved after every page so --resume can continue it."""

    marker: str
    last: dict[str, list[Any] | None] = field(default_factory=dict)
    touched: dict[str, int] = field(default_factory=dict)
    done: list[str] = field(default_factory=list)

    @classmethod
    def start(cls) -> SyncState:
        """A new run: its marker is the time now."""
        return cls(marker=iso(datetime.now(UTC)))

    @staticmethod
    def path(database: str) -> Path:
        return STATE_DIR / f"initial-sync-{database}.json"

    @classmethod
    def load(cls, database: str) -> SyncState | None:
        try:
            return cls(**json.loads(cls.path(database).read_text()))
        except FileNotFoundError:
            return None

    def save(self, database: str) -> None:
        STATE_DIR.mkdir(exist_ok=True)
        temporary = self.path(database).with_suffix(".tmp")
        temporary.write_text(json.dumps(self.__dict__))
        temporary.replace(self.path(database))


def touch_page(db: Database, collection: str, key: tuple[str, ...], rows: list[dict], marker: str) -> int:
    """Set the marker on one page of documents; returns how many changed."""
    groups: dict[tuple, list] = {}
    for row in rows:
        groups.setdefault(tuple(row[k] for k in key[:-1]), []).append(row[key[-1]])
    changed = 0
    for prefix, values in groups.items():
        selector = {**dict(zip(key[:-1], prefix)), key[-1]: {"$in": values}}
        changed += db[collection].update_many(selector, {"$set": {MARKER_FIELD: marker}}).modified_count
    return changed


def _pages(cursor, size: int):
    page = []
    for row in cursor:
        page.append(row)
        if len(page) == size:
            yield page
            page = []
    if page:
        yield page


def touch_collection(db: Database, collection: str, state: SyncState, database: str, quiet: bool, total: int) -> None:
    """Walk one collection in key order with one cursor, touching and saving progress page by page."""
    key = page_key(collection)
    projection = {k: 1 for k in key} | ({} if "_id" in key else {"_id": 0})
    cursor = db[collection].find(after(key, state.last.get(collection)), projection).sort([(k, 1) for k in key])
    with progress(total, collection, quiet) as bar:
        for rows in _pages(cursor.batch_size(PAGE_SIZE), PAGE_SIZE):
            changed = touch_page(db, collection, key, rows, state.marker)
            state.touched[collection] = state.touched.get(collection, 0) + changed
            state.last[collection] = [rows[-1][k] for k in key]
            state.save(database)
            bar.update(len(rows))
    state.done.append(collection)
    state.save(database)


def touch_all(
    db: Database, names: list[str], state: SyncState, database: str, quiet: bool, counts: dict[str, int]
) -> list[tuple[str, int, int, float, str]]:
    """Touch each collection the run has not done yet: a (collection, documents, touched, seconds, rate) row
    each. The saved state goes once every collection is done."""
    rows = []
    for name in names:
        if name in state.done:
            rows.append((name, counts.get(name, 0), state.touched.get(name, 0), 0.0, "done earlier"))
            continue
        began = time.perf_counter()
        touch_collection(db, name, state, database, quiet, counts.get(name, 0))
        seconds = time.perf_counter() - began
        touched = state.touched.get(name, 0)
        rate = f"{touched / seconds:,.0f} docs/s" if seconds else ""
        rows.append((name, counts.get(name, 0), touched, seconds, rate))
    SyncState.path(database).unlink(missing_ok=True)
    return rows


def chosen_collections(raw: str | None) -> list[str]:
    if not raw:
        return list(SYNCED_COLLECTIONS)
    names = [n.strip() for n in raw.split(",") if n.strip()]
    unknown = [n for n in names if n not in SYNCED_COLLECTIONS]
    if unknown:
        raise ConfigError(
            f"--collections: {', '.join(unknown)} not synced; choose from {', '.join(SYNCED_COLLECTIONS)}"
        )
    return names
