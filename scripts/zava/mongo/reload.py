"""Making room for a load: the whole dataset replaced at fresh-load speed, or one part replaced alone."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pymongo.database import Database

from zava.errors import KitError
from zava.model.indexes import INDEXES
from zava.mongo.admin import count_matching, delete_matching, empty_collections, existing_counts
from zava.mongo.indexing import SetAside, rebuild_indexes, set_aside_indexes
from zava.mongo.initial_sync import STATE_DIR
from zava.mongo.server import ServerInfo

Filters = list[tuple[str, dict[str, Any]]]


@dataclass
class Room:
    """The database made ready for a load: the documents it replaces, the indexes set aside to rebuild after."""

    db: Database
    replaced: dict[str, int] = field(default_factory=dict)
    set_aside: SetAside | None = None

    def index_note(self) -> str:
        """What happened to the indexes, for the user."""
        if not self.set_aside or not (self.set_aside.dropped or self.set_aside.kept):
            return ""
        kept = self.set_aside.kept
        note = f"{len(self.set_aside.dropped)} of the kit's indexes set aside for the load"
        if kept:
            note += f"; {len(kept)} other indexes kept and maintained ({', '.join(n for _, n in kept)})"
        return note


def present(db: Database, filters: Filters | None) -> dict[str, int]:
    """The documents a load would replace: the whole dataset (filters None) or those of one part."""
    counts = existing_counts(db) if filters is None else count_matching(db, filters)
    return {name: n for name, n in counts.items() if n}


def _pending(db: Database) -> Path:
    """Names of the indexes set aside by a load that has not finished yet (so a rerun rebuilds them too)."""
    return STATE_DIR / f"indexes-set-aside-{db.name}.json"


def make_room(db: Database, filters: Filters | None, replaced: dict[str, int]) -> Room:
    """Empty the dataset (the kit's indexes dropped first; collections, options and other indexes kept),
    or delete one part's documents."""
    if filters is not None:
        delete_matching(db, filters)
        return Room(db, replaced)
    set_aside = set_aside_indexes(db)
    pending = _pending(db)
    earlier = set(json.loads(pending.read_text())) if pending.is_file() else set()
    set_aside.dropped.extend(s for s in INDEXES if s.name in earlier and s not in set_aside.dropped)
    if set_aside.dropped:
        STATE_DIR.mkdir(exist_ok=True)
        pending.write_text(json.dumps(sorted(s.name for s in set_aside.dropped)))
    empty_collections(db)
    return Room(db, replaced, set_aside)


def restore_indexes(room: Room, info: ServerInfo) -> float:
    """Rebuild the indexes set aside; the seconds it took."""
    began = time.perf_counter()
    if room.set_aside:
        rebuild_indexes(room.db, room.set_aside.dropped, info)
        _pending(room.db).unlink(missing_ok=True)
    return time.perf_counter() - began


def verify(db: Database, filters: Filters | None, expected: dict[str, int]) -> None:
    """The server holds exactly the expected documents: in every collection, or of this part."""
    counts = existing_counts(db) if filters is None else count_matching(db, filters)
    wrong = {name: (counts.get(name, 0), n) for name, n in expected.items() if counts.get(name, 0) != n}
    if wrong:
        detail = ", ".join(f"{name} {got:,} (expected {want:,})" for name, (got, want) in wrong.items())
        raise KitError(f"the database does not hold the expected documents after the load: {detail}")
