"""Operations on the project's own collections (and only those)."""

from __future__ import annotations

from typing import Any

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
