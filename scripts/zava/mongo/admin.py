"""Operations on the project's own collections (and only those)."""

from __future__ import annotations

import time
from typing import Any

from pymongo.database import Database

from zava.errors import KitError
from zava.model.collections import COLLECTION_NAMES


def existing_counts(db: Database) -> dict[str, int]:
    """Document counts of the project's collections that exist (estimated: fast on big data)."""
    present = set(db.list_collection_names())
    return {name: db[name].estimated_document_count() for name in COLLECTION_NAMES if name in present}


def empty_collections(db: Database, names: list[str] | tuple[str, ...] = COLLECTION_NAMES) -> None:
    """Delete every document but keep the collections, their indexes and options."""
    for name in names:
        db[name].delete_many({})


def clear_collections(db: Database, counts: dict[str, int]) -> list[tuple[str, int, float]]:
    """Empty each counted collection and check it is empty: (collection, documents, seconds) each.

    KitError when a collection still holds documents after its delete."""
    rows = []
    for name, count in counts.items():
        started = time.perf_counter()
        empty_collections(db, [name])
        if db[name].find_one({}, {"_id": 1}) is not None:
            raise KitError(f"{name} still holds documents after the delete; run the script again")
        rows.append((name, count, time.perf_counter() - started))
    return rows


def count_matching(db: Database, filters: list[tuple[str, dict[str, Any]]]) -> dict[str, int]:
    """Documents matching each (collection, filter), summed per collection."""
    counts: dict[str, int] = {}
    for name, query in filters:
        found = db[name].count_documents(query) if query else db[name].estimated_document_count()
        counts[name] = counts.get(name, 0) + found
    return counts


def delete_matching(db: Database, filters: list[tuple[str, dict[str, Any]]]) -> None:
    """Delete the documents matching each (collection, filter); nothing else."""
    for name, query in filters:
        db[name].delete_many(query)
