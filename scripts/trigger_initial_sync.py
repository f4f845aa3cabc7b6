"""Touch every document of the synced collections so a running Ditto connector picks them all up.

Needed only when the connector was started without its own initial sync over data that was
already in MongoDB: it streams changes, and untouched documents would never reach Ditto.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pymongo.database import Database

from common import (
    COLLECTIONS,
    PROJECT_ROOT,
    SYNCED_COLLECTIONS,
    ConfigError,
    Interrupted,
    base_parser,
    cli,
    confirm,
    connect_from_args,
    iso,
    ok,
    progress,
    say,
    table,
)
from database import existing_counts

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


@cli
def main(argv: list[str] | None = None) -> int:
    parser = base_parser(__doc__.splitlines()[0])
    parser.add_argument("--collections", help="comma-separated synced collections (default: all eight)")
    parser.add_argument("--resume", action="store_true", help="continue an interrupted run where it stopped")
    parser.add_argument("--yes", action="store_true", help="touch the documents without asking")
    args = parser.parse_args(argv)
    names = chosen_collections(args.collections)
    config, client = connect_from_args(args)
    db = client[config.database]
    state = SyncState.load(config.database) if args.resume else None
    if args.resume and state is None:
        say("nothing to resume: starting a new run")
    counts = existing_counts(db)
    if state is None:
        state = SyncState(marker=iso(datetime.now(UTC)))
        confirm(
            f"{sum(counts.get(n, 0) for n in names):,} documents in {', '.join(names)} will get "
            f"{MARKER_FIELD} = {state.marker}.",
            "TRIGGER SYNC",
            args.yes,
        )
    rows = []
    try:
        for name in names:
            if name in state.done:
                rows.append((name, counts.get(name, 0), state.touched.get(name, 0), 0.0, "done earlier"))
                continue
            began = time.perf_counter()
            touch_collection(db, name, state, config.database, args.quiet, counts.get(name, 0))
            seconds = time.perf_counter() - began
            touched = state.touched.get(name, 0)
            rows.append(
                (name, counts.get(name, 0), touched, seconds, f"{touched / seconds:,.0f} docs/s" if seconds else "")
            )
    except KeyboardInterrupt:
        raise Interrupted(
            f"interrupted after {sum(state.touched.values()):,} documents; "
            "run python scripts/trigger_initial_sync.py --resume to continue"
        ) from None
    SyncState.path(config.database).unlink(missing_ok=True)
    print(table(["collection", "documents", "touched", "seconds", "rate"], rows))
    ok(
        f"{sum(state.touched.values()):,} documents touched with {MARKER_FIELD} = {state.marker}; "
        "the connector now streams them to Ditto"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
