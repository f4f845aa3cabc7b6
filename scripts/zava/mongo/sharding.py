"""Sharding the synced collections through a mongos: every check first, then supporting indexes and shardCollection."""

from __future__ import annotations

from dataclasses import dataclass

from pymongo import MongoClient
from pymongo.database import Database
from pymongo.errors import OperationFailure

from zava.errors import KitError
from zava.model.indexes import INDEXES, IndexSpec
from zava.model.sharding import (
    SHARD_KEYS,
    Key,
    ShardKey,
    blocking_unique,
    format_key,
    kit_unique_blockers,
    normalise,
    on_sharded,
    supporting_index,
)
from zava.mongo.server import server_info, topology
from zava.settings import mask_uri

ALREADY_INITIALIZED = 23  # enableSharding on a database where it is already on, on servers that still say so


@dataclass(frozen=True)
class ShardStep:
    """What sharding one collection takes: its supporting index (found or to create) and whether it is done."""

    spec: ShardKey
    index: str
    create_index: bool
    sharded: bool
    relax: tuple[IndexSpec, ...] = ()  # the kit's unique indexes it keeps as plain indexes


def require_mongos(client: MongoClient, uri: str) -> None:
    """KitError in one line unless the server is a mongos: only a sharded cluster's router can shard."""
    role = topology(client)
    if role == "mongos":
        return
    info = server_info(client)
    kind = "the nx-27017 local server" if info.is_local else f"a {role} MongoDB {info.version} server"
    raise KitError(f"sharding needs a mongos (a sharded cluster's router); {kind} at {mask_uri(uri)} is not one")


def current_key(client: MongoClient, namespace: str) -> Key | None:
    """The shard key a collection has, from config.collections; None when it is not sharded."""
    found = client.config.collections.find_one({"_id": namespace, "dropped": {"$ne": True}}, {"key": 1})
    return normalise(found["key"]) if found and found.get("key") else None


def plan(db: Database) -> list[ShardStep]:
    """What sharding will do, checked for every collection before anything changes.

    KitError when a collection is sharded on another key, or when someone else's unique indexes would make
    shardCollection fail (a sharded collection keeps a unique index only when it starts with the shard key);
    the kit's own such indexes are kept as plain indexes."""
    present = set(db.list_collection_names())
    steps, blockers = [], []
    for spec in SHARD_KEYS:
        namespace = f"{db.name}.{spec.collection}"
        current = current_key(db.client, namespace)
        if current is not None and current != spec.key:
            raise KitError(
                f"{namespace} is already sharded on {format_key(current)}, not {format_key(spec.key)}; "
                "this script never changes a shard key (MongoDB's reshardCollection does)"
            )
        indexes = list(db[spec.collection].list_indexes()) if spec.collection in present else []
        found = supporting_index(spec.key, indexes)
        relax: tuple[IndexSpec, ...] = ()
        if current is None:
            blocking = blocking_unique(spec.key, indexes)
            relax = tuple(ix for ix in INDEXES if ix.name in blocking and ix.name in kit_unique_blockers(spec))
            blockers += [f"{spec.collection}.{n}" for n in blocking if n not in {ix.name for ix in relax}]
        create = found is None and current is None
        steps.append(ShardStep(spec, found or spec.index_name, create, current is not None, relax))
    if blockers:
        raise KitError(
            f"nothing was sharded: the unique indexes {', '.join(blockers)} do not start with their collection's "
            "shard key, and a sharded collection cannot keep such an index; drop them first "
            "(db.<collection>.dropIndex(name)) if their uniqueness may go"
        )
    return steps


def shard_keys(db: Database) -> dict[str, Key]:
    """The shard key of each of the kit's collections that is sharded (none off a mongos)."""
    if topology(db.client) != "mongos":
        return {}
    keys = {spec.collection: current_key(db.client, f"{db.name}.{spec.collection}") for spec in SHARD_KEYS}
    return {name: key for name, key in keys.items() if key is not None}


def shard(db: Database, steps: list[ShardStep]) -> list[tuple[ShardStep, str]]:
    """Create the missing supporting indexes and shard what is not sharded yet: (step, "sharded" | "existing")."""
    admin = db.client.admin
    try:  # needed before MongoDB 6.0; since then sharding needs no switch and this only ensures the database
        admin.command("enableSharding", db.name)
    except OperationFailure as exc:
        if exc.code != ALREADY_INITIALIZED:
            raise
    done = []
    for step in steps:
        if step.sharded:
            done.append((step, "existing"))
            continue
        spec = step.spec
        for index in step.relax:  # the same index, no longer unique, before shardCollection refuses it
            db[spec.collection].drop_index(index.name)
            plain = on_sharded(index, spec.key)
            db[spec.collection].create_index(list(plain.keys), **plain.options)
        if step.create_index:
            db[spec.collection].create_index(list(spec.key), name=spec.index_name)
        try:
            admin.command("shardCollection", f"{db.name}.{spec.collection}", key=spec.document)
        except OperationFailure as exc:
            message = str(exc.details.get("errmsg", exc) if exc.details else exc).splitlines()[0][:200]
            raise KitError(f"cannot shard {spec.collection} on {format_key(spec.key)}: {message}") from None
        done.append((step, "sharded"))
    return done
