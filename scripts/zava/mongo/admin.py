"""Operations on the project's own collections (and only those)."""

from __future__ import annotations

from pymongo.database import Database

from zava.model.collections import COLLECTION_NAMES


def existing_counts(db: Database) -> dict[str, int]:
    """Document counts of the project's collections that exist (estimated: fast on big data)."""
    present = set(db.list_collection_names())
    return {name: db[name].estimated_document_count() for name in COLLECTION_NAMES if name in present}


def empty_collections(db: Database, names: list[str] | tuple[str, ...] = COLLECTION_NAMES) -> None:
    """Delete every document but keep the collections, their indexes and options."""
    for name in names:
        db[name].delete_many({})
