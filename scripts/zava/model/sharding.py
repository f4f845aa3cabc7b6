"""The shard key of each synced collection, the ones left unsharded, and which indexes suit a shard key."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from zava.model.collections import SYNCED_COLLECTIONS
from zava.model.indexes import INDEXES, IndexSpec, Key


@dataclass(frozen=True)
class ShardKey:
    """One sharded collection: its key ((field, 1 | "hashed"), ...) and why it fits how the data is read."""

    collection: str
    key: Key
    why: str

    def __post_init__(self) -> None:
        if self.collection not in SYNCED_COLLECTIONS:
            raise ValueError(f"{self.collection!r} is not a synced collection of zava.model.collections")
        if not self.key or any(direction not in (1, "hashed") for _, direction in self.key):
            raise ValueError(f"{self.collection}: a shard key is one or more fields, each 1 or 'hashed'")

    @property
    def index_name(self) -> str:
        """The name of the supporting index the kit creates when none exists."""
        return f"{self.collection}_shard_key"

    @property
    def document(self) -> dict[str, int | str]:
        return dict(self.key)


SHARD_KEYS: tuple[ShardKey, ...] = (
    ShardKey(
        "orders",
        (("store_id", 1), ("order_date", 1), ("order_id", 1)),
        "devices subscribe per store and by time, so a store's recent orders are one targeted range; "
        "store_id first spreads the ever-growing order_date over the stores instead of one hot last chunk",
    ),
    ShardKey(
        "order_items",
        (("store_id", 1), ("order_date", 1), ("order_id", 1)),
        "an item carries its order's store_id, order_date and order_id, so it shares the order's key values "
        "and the same per-store, by-time subscriptions stay targeted",
    ),
    ShardKey(
        "inventory",
        (("store_id", 1), ("product_id", 1)),
        "its composite identity (the connector's document id); a store's inventory is one targeted range",
    ),
    ShardKey(
        "customers",
        (("_id", "hashed"),),
        "customers are looked up one at a time by id or email, never by range, so a hash spreads them evenly",
    ),
)

# Collections that stay on the database's primary shard, each with its reason.
UNSHARDED: dict[str, str] = {
    "stores": "a few documents that every device reads whole",
    "categories": "part of the small catalog that every device reads whole",
    "product_types": "part of the small catalog that every device reads whole",
    "products": "the catalog: a few hundred documents that every device reads whole",
    "product_embeddings": "one vector per product, scanned whole by search in MongoDB and never synced",
}


def format_key(key: Key) -> str:
    """A key as mongosh shows it: {store_id: 1, order_date: 1}."""
    return "{" + ", ".join(f"{field}: {json.dumps(direction)}" for field, direction in key) + "}"


def _direction(value: Any) -> int | str:
    return value if isinstance(value, str) else int(value) if float(value) == int(value) else float(value)


def normalise(key: Mapping[str, Any]) -> Key:
    """A key as the server reports it (1.0, Int64, "hashed") in the definition's form."""
    return tuple((field, _direction(direction)) for field, direction in key.items())


def supports(key: Key, index: Mapping[str, Any]) -> bool:
    """Whether a listIndexes entry can support the shard key: its key starts with the shard key's fields in
    order, ascending where the shard key is ranged and hashed where it is hashed; not partial, sparse or hidden,
    and with the simple collation."""
    prefix = normalise(index["key"])[: len(key)]
    collation = index.get("collation")
    return (
        prefix == key
        and not index.get("partialFilterExpression")
        and not index.get("sparse")
        and not index.get("hidden")
        and (not collation or collation.get("locale") == "simple")
    )


def supporting_index(key: Key, indexes: Iterable[Mapping[str, Any]]) -> str | None:
    """The name of the first index that supports the shard key, or None."""
    return next((ix["name"] for ix in indexes if supports(key, ix)), None)


def blocking_unique(key: Key, indexes: Iterable[Mapping[str, Any]]) -> list[str]:
    """Unique indexes that stop the collection being sharded on `key`: a sharded collection keeps a unique
    index only when its fields start with the shard key's fields (and always _id_)."""
    fields = [field for field, _ in key]
    return [
        ix["name"]
        for ix in indexes
        if ix.get("unique") and ix["name"] != "_id_" and list(ix["key"])[: len(fields)] != fields
    ]


def on_sharded(index: IndexSpec, key: Key | None) -> IndexSpec:
    """A kit index as a collection sharded on `key` can keep it: a unique index that does not start with the
    shard key becomes a plain index of the same name and fields (the document _id, which the kit sets to the
    same id, still keeps ids apart)."""
    if key is None or not index.unique or [f for f, _ in index.keys[: len(key)]] == [f for f, _ in key]:
        return index
    return replace(index, unique=False, serves=index.serves + " (not unique: the collection is sharded)")


def kit_unique_blockers(spec: ShardKey) -> list[str]:
    """The kit's own unique indexes (INDEXES) that stop `spec.collection` being sharded on its key."""
    own = [
        {"name": ix.name, "key": dict(ix.keys), "unique": ix.unique}
        for ix in INDEXES
        if ix.collection == spec.collection
    ]
    return blocking_unique(spec.key, own)


_SUPPORTING_INDEX_JS = """\
// Drops an index unless it is already gone (IndexNotFound, or the collection does not exist yet).
function dropIfPresent(collection, name) {
  try {
    collection.dropIndex(name);
  } catch (e) {
    if (e.code !== 27 && e.code !== 26) throw e;
  }
}

// An index supports a shard key when its key starts with the shard key's fields, in order and direction.
function hasSupportingIndex(collection, key) {
  let indexes = [];
  try {
    indexes = collection.getIndexes();
  } catch (e) {
    if (e.code !== 26) throw e; // NamespaceNotFound: the collection does not exist yet
  }
  const fields = Object.keys(key);
  return indexes.some((ix) => {
    const indexFields = Object.keys(ix.key);
    const plain = !ix.partialFilterExpression && !ix.sparse && !ix.hidden;
    const simple = !ix.collation || ix.collation.locale === "simple";
    return plain && simple && fields.every((f, i) => indexFields[i] === f && String(ix.key[f]) === String(key[f]));
  });
}
"""


def mongosh_script() -> str:
    """The same shard keys as a mongosh script, for a mongos (python scripts/shard_collections.py --emit-js)."""
    lines = [
        "// Shards the synced collections of the Zava DIY dataset. "
        "Generated by: python scripts/shard_collections.py --emit-js",
        "// Save it as shard_collections.js and run it against a mongos (MONGODB_DATABASE picks the database):",
        '//   mongosh "$MONGODB_CONNECTION_STRING" shard_collections.js',
        "// Before MongoDB 8.0 sharding cannot be undone; 8.0+ can move a collection back with unshardCollection.",
        'const database = db.getSiblingDB(process.env.MONGODB_DATABASE || "zava");',
        "// MongoDB 5.0 shards only in a database with sharding enabled; 6.0+ needs no switch and accepts this.",
        "sh.enableSharding(database.getName());",
        "",
        _SUPPORTING_INDEX_JS,
    ]
    for spec in SHARD_KEYS:
        name, key = json.dumps(spec.collection), json.dumps(spec.document)
        lines.append(f"// {spec.collection}: {spec.why}")
        for index in INDEXES:
            if index.name in kit_unique_blockers(spec):
                plain = on_sharded(index, spec.key)
                keys = json.dumps(dict(plain.keys))
                lines += [
                    f"// {index.name} cannot stay unique on a sharded collection: the same index, not unique",
                    f"dropIfPresent(database.getCollection({name}), {json.dumps(index.name)});",
                    f"database.getCollection({name}).createIndex({keys}, {json.dumps(plain.options)});",
                ]
        lines += [
            f"if (!hasSupportingIndex(database.getCollection({name}), {key})) {{",
            f"  database.getCollection({name}).createIndex({key}, {{name: {json.dumps(spec.index_name)}}});",
            "}",
            f"sh.shardCollection(database.getName() + {json.dumps('.' + spec.collection)}, {key});",
            "",
        ]
    lines.append("// Not sharded, on purpose:")
    lines += [f"// {name}: {why}" for name, why in UNSHARDED.items()]
    return "\n".join(lines) + "\n"
