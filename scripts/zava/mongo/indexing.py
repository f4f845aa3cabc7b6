"""Creating and dropping the dataset's indexes (and the Atlas vector index where Atlas Search exists)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from pymongo.database import Database
from pymongo.errors import OperationFailure
from pymongo.operations import SearchIndexModel

from zava.errors import KitError
from zava.model.collections import COLLECTION_NAMES
from zava.model.indexes import (
    INDEXES,
    VECTOR_COLLECTION,
    VECTOR_INDEX_NAME,
    IndexSpec,
    embedding_dimensions,
    existing_signatures,
    key_signature,
    spec_signature,
    vector_index_definition,
)
from zava.model.sharding import Key, on_sharded, supports
from zava.mongo.server import ServerInfo
from zava.mongo.sharding import shard_keys

INDEX_EXISTS_CODES = (85, 86)  # IndexOptionsConflict, IndexKeySpecsConflict: same keys under another name


@dataclass(frozen=True)
class IndexResult:
    collection: str
    name: str
    status: str  # created, existing, skipped
    seconds: float
    detail: str = ""


def ensure_index(db: Database, spec: IndexSpec, info: ServerInfo, shard_key: Key | None = None) -> IndexResult:
    """Create one index unless an index with its name or its fields is already there; on a sharded collection,
    a unique index that does not start with the shard key is created as a plain index."""
    spec = on_sharded(spec, shard_key)
    names, signatures = existing_signatures(db[spec.collection])
    if spec.name in names or spec_signature(spec) in signatures:
        return IndexResult(spec.collection, spec.name, "existing", 0.0)
    began = time.perf_counter()
    try:
        db[spec.collection].create_index(list(spec.keys), **spec.options)
    except OperationFailure as exc:
        if exc.code in INDEX_EXISTS_CODES:
            return IndexResult(spec.collection, spec.name, "existing", 0.0, "same keys under another name")
        if info.is_local and spec.is_text:  # it keeps text indexes out of listIndexes and refuses a second one
            return IndexResult(spec.collection, spec.name, "existing", 0.0, "not listed by the local server")
        raise KitError(
            f"cannot create index {spec.name} on {spec.collection}: {exc.details.get('errmsg', exc)}"
        ) from None
    return IndexResult(spec.collection, spec.name, "created", time.perf_counter() - began)


def ensure_vector_index(db: Database, info: ServerInfo) -> IndexResult:
    """The Atlas Vector Search index, or a 'skipped' result saying why the server cannot have one."""

    def skipped(reason: str) -> IndexResult:
        return IndexResult(VECTOR_COLLECTION, VECTOR_INDEX_NAME, "skipped", 0.0, reason)

    if info.is_local:
        return skipped("the local server has no Atlas Search (use Atlas, or MongoDB 8.2+ with mongot)")
    collection = db[VECTOR_COLLECTION]
    try:
        present = {ix["name"] for ix in collection.list_search_indexes()}
    except OperationFailure as exc:
        return skipped(f"this server has no Atlas Search ({str(exc.details.get('errmsg', exc)).splitlines()[0][:120]})")
    if VECTOR_INDEX_NAME in present:
        return IndexResult(VECTOR_COLLECTION, VECTOR_INDEX_NAME, "existing", 0.0)
    began = time.perf_counter()
    model = SearchIndexModel(
        vector_index_definition(embedding_dimensions(db)), name=VECTOR_INDEX_NAME, type="vectorSearch"
    )
    collection.create_search_index(model)
    return IndexResult(
        VECTOR_COLLECTION, VECTOR_INDEX_NAME, "created", time.perf_counter() - began, "builds in the background"
    )


def create_indexes(db: Database, info: ServerInfo) -> list[IndexResult]:
    """Every index of INDEXES, then the vector index."""
    keys = shard_keys(db)
    return [ensure_index(db, spec, info, keys.get(spec.collection)) for spec in INDEXES] + [
        ensure_vector_index(db, info)
    ]


def droppable_specs(db: Database) -> list[tuple[str, dict]]:
    """(collection, listIndexes entry) of every index but _id_ on the project's collections."""
    present = set(db.list_collection_names())
    return [
        (name, ix)
        for name in COLLECTION_NAMES
        if name in present
        for ix in db[name].list_indexes()
        if ix["name"] != "_id_"
    ]


def droppable(db: Database) -> list[tuple[str, str]]:
    """(collection, index name) of every index but _id_ and those a shard key needs on the project's collections."""
    keys = shard_keys(db)
    return [(name, ix["name"]) for name, ix in droppable_specs(db) if not (name in keys and supports(keys[name], ix))]


@dataclass(frozen=True)
class SetAside:
    """The kit's indexes dropped for a load (rebuilt after it) and the other indexes left in place."""

    dropped: list[IndexSpec]
    kept: list[tuple[str, str]]


def set_aside_indexes(db: Database) -> SetAside:
    """Drop the kit's own secondary indexes before a reload: those with a kit index's name or fields (which
    the local server renames), but never one a shard key needs. Other indexes stay; the load maintains them."""
    keys = shard_keys(db)
    dropped, kept = [], []
    for collection, listed in droppable_specs(db):
        ours = next(
            (
                spec
                for spec in INDEXES
                if spec.collection == collection
                and (spec.name == listed["name"] or spec_signature(spec) == key_signature(listed["key"]))
            ),
            None,
        )
        needed = collection in keys and supports(keys[collection], listed)
        if ours and ours not in dropped and not needed:
            db[collection].drop_index(listed["name"])
            dropped.append(ours)
        else:
            kept.append((collection, listed["name"]))
    return SetAside(dropped, kept)


def rebuild_indexes(db: Database, specs: list[IndexSpec], info: ServerInfo) -> list[IndexResult]:
    """Build the indexes set aside for a load again, from their one definition."""
    keys = shard_keys(db)
    return [ensure_index(db, spec, info, keys.get(spec.collection)) for spec in specs]
