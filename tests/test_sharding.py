"""shard_collections.py: the shard keys' rules, the mongosh script, and refusing anything but a mongos."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

import create_indexes
import shard_collections
from common import PROJECT_ROOT
from helpers import SMALL_CUSTOMERS, SMALL_ORDERS, scratch_dataset
from zava.model.collections import COLLECTION_NAMES, SYNCED_COLLECTIONS
from zava.model.indexes import INDEXES
from zava.model.sharding import (
    SHARD_KEYS,
    UNSHARDED,
    ShardKey,
    blocking_unique,
    format_key,
    kit_unique_blockers,
    normalise,
    on_sharded,
    supporting_index,
)
from zava.mongo.server import topology

ORDERS = next(s for s in SHARD_KEYS if s.collection == "orders")
CUSTOMERS = next(s for s in SHARD_KEYS if s.collection == "customers")


def ix(name, key, **options):
    """A listIndexes entry."""
    return {"v": 2, "name": name, "key": dict(key), **options}


def test_every_synced_collection_is_sharded_or_left_unsharded_on_purpose():
    sharded = [s.collection for s in SHARD_KEYS]
    assert len(sharded) == len(set(sharded)) and set(sharded) <= set(SYNCED_COLLECTIONS)
    assert not set(sharded) & set(UNSHARDED) and set(UNSHARDED) <= set(COLLECTION_NAMES)
    assert set(SYNCED_COLLECTIONS) <= set(sharded) | set(UNSHARDED)
    assert all(s.why and UNSHARDED.get(s.collection) is None for s in SHARD_KEYS)
    with pytest.raises(ValueError, match="not a synced collection"):
        ShardKey("product_embeddings", (("product_id", 1),), "never synced")
    with pytest.raises(ValueError, match="each 1 or 'hashed'"):
        ShardKey("orders", (("order_date", -1),), "descending")


@pytest.fixture(scope="module")
def small_dataset(mongo_uri, tmp_path_factory):
    """A small dataset (helpers.SMALL sizes) in the module's own database: (the database, the --env-file flag)."""
    sizes = ["--customers", str(SMALL_CUSTOMERS), "--orders", str(SMALL_ORDERS)]
    with scratch_dataset(mongo_uri, tmp_path_factory.mktemp("env"), "zava_sharding", sizes) as dataset:
        yield dataset


def test_every_document_has_its_key_and_an_item_shares_its_orders_key_values(small_dataset):
    loaded, _ = small_dataset
    for spec in SHARD_KEYS:
        missing = {"$or": [{field: {"$exists": False}} for field, _ in spec.key]}
        assert loaded[spec.collection].count_documents({}) > 0
        assert loaded[spec.collection].find_one(missing) is None, spec.collection
    items = next(s for s in SHARD_KEYS if s.collection == "order_items")
    assert items.key == ORDERS.key
    fields = [field for field, _ in ORDERS.key]
    for item in loaded.order_items.find({}, dict.fromkeys(fields, 1)).limit(50):
        order = loaded.orders.find_one({"order_id": item["order_id"]}, dict.fromkeys(fields, 1))
        assert [order[f] for f in fields] == [item[f] for f in fields]


@pytest.mark.parametrize(
    ("indexes", "expected"),
    [
        ([ix("exact", ORDERS.key)], "exact"),
        ([ix("longer", (*ORDERS.key, ("status", 1)))], "longer"),  # the shard key as a prefix
        ([ix("float", [(f, 1.0) for f, _ in ORDERS.key])], "float"),  # directions as some servers report them
        ([ix("desc", [("store_id", 1), ("order_date", -1), ("order_id", 1)])], None),
        ([ix("wrong_order", [("order_date", 1), ("store_id", 1), ("order_id", 1)])], None),
        ([ix("short", [("store_id", 1), ("order_date", 1)])], None),  # the kit's own by-store index, ascending
        ([ix("after", [("status", 1), *ORDERS.key])], None),  # the key, but not as the prefix
        ([ix("partial", ORDERS.key, partialFilterExpression={"deleted": False})], None),
        ([ix("sparse", ORDERS.key, sparse=True)], None),
        ([ix("hidden", ORDERS.key, hidden=True)], None),
        ([ix("french", ORDERS.key, collation={"locale": "fr"})], None),
        ([ix("partial", ORDERS.key, partialFilterExpression={"x": 1}), ix("plain", ORDERS.key)], "plain"),
    ],
)
def test_which_index_supports_a_ranged_key(indexes, expected):
    assert supporting_index(ORDERS.key, [ix("_id_", [("_id", 1)]), *indexes]) == expected


def test_a_hashed_key_needs_a_hashed_index():
    assert supporting_index(CUSTOMERS.key, [ix("_id_", [("_id", 1)])]) is None  # _id_ is ascending, not hashed
    assert supporting_index(CUSTOMERS.key, [ix("h", [("_id", "hashed")])]) == "h"
    assert supporting_index(CUSTOMERS.key, [ix("other", [("email", "hashed")])]) is None
    assert normalise({"_id": "hashed", "a": 1.0}) == (("_id", "hashed"), ("a", 1))


def test_unique_indexes_that_do_not_start_with_the_key_block_sharding():
    listed = [
        ix("_id_", [("_id", 1)]),
        ix("by_id", [("order_id", 1)], unique=True),
        ix("prefixed", (*ORDERS.key, ("x", 1)), unique=True),
        ix("shorter", [("store_id", 1), ("order_date", 1)], unique=True),
        ix("not_unique", [("order_id", 1)]),
    ]
    assert blocking_unique(ORDERS.key, listed) == ["by_id", "shorter"]
    assert {s.collection: kit_unique_blockers(s) for s in SHARD_KEYS} == {
        "orders": ["orders_order_id_unique"],
        "order_items": [],
        "inventory": [],  # inventory_store_product_unique is its shard key
        "customers": ["customers_customer_id_unique", "customers_email_unique"],
    }


def test_the_kits_blocking_unique_indexes_are_kept_as_plain_indexes_of_the_same_name():
    by_name = {ix.name: ix for ix in INDEXES}
    for spec in SHARD_KEYS:
        for index in INDEXES:
            if index.collection != spec.collection:
                continue
            kept = on_sharded(index, spec.key)
            blocking = index.name in kit_unique_blockers(spec)
            assert (kept.name, kept.keys, kept.partial) == (index.name, index.keys, index.partial)
            assert kept.unique == (index.unique and not blocking), index.name
            assert on_sharded(index, None) == index  # an unsharded collection keeps the definition as it is
    assert not on_sharded(by_name["customers_email_unique"], (("_id", "hashed"),)).unique
    assert on_sharded(by_name["inventory_store_product_unique"], (("store_id", 1), ("product_id", 1))).unique


def test_emit_js_is_the_definition_and_valid_javascript(capsys, tmp_path):
    assert shard_collections.main(["--emit-js"]) == 0
    js = capsys.readouterr().out
    sharded = {
        c: json.loads(k)
        for c, k in re.findall(r'sh\.shardCollection\(database\.getName\(\) \+ "\.(\w+)", ({.*?})\);', js)
    }
    assert {c: list(k.items()) for c, k in sharded.items()} == {s.collection: list(s.key) for s in SHARD_KEYS}
    created = re.findall(r'database\.getCollection\("(\w+)"\)\.createIndex\(({.*?}), {name: "(\w+)"}\);', js)
    assert [(c, list(json.loads(k).items()), n) for c, k, n in created] == [
        (s.collection, list(s.key), s.index_name) for s in SHARD_KEYS
    ]
    assert 'process.env.MONGODB_DATABASE || "zava"' in js and "sh.enableSharding(database.getName());" in js
    relaxed = re.findall(r'database\.getCollection\("(\w+)"\)\.createIndex\(({.*?}), ({"name".*?})\);', js)
    assert [(c, json.loads(k), json.loads(o)) for c, k, o in relaxed] == [
        (s.collection, dict(ix.keys), {"name": ix.name})
        for s in SHARD_KEYS
        for ix in INDEXES
        if ix.name in kit_unique_blockers(s)
    ]
    dropped = re.findall(r'dropIfPresent\(database\.getCollection\("(\w+)"\), "(\w+)"\);', js)
    assert dropped == [(s.collection, name) for s in SHARD_KEYS for name in kit_unique_blockers(s)]
    for name in UNSHARDED:
        assert f"// {name}: {UNSHARDED[name]}" in js
    script = tmp_path / "shard_collections.js"
    script.write_text(js)
    assert shutil.which("node"), "node is needed to check the mongosh script's syntax"
    checked = subprocess.run(["node", "--check", str(script)], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr


def test_help_explains_every_key(capsys):
    with pytest.raises(SystemExit):
        shard_collections.main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    for spec in SHARD_KEYS:
        assert spec.why in text, spec.collection
    for name, why in UNSHARDED.items():
        assert f"{name}: {why}" in text


def test_anything_but_a_mongos_is_refused_in_one_line_and_nothing_changes(small_dataset, mongo_uri, capsys):
    loaded, settings = small_dataset
    if topology(loaded.client) == "mongos":
        pytest.skip("MONGODB_TEST_URI is a mongos: this test needs a server that is not one")
    assert create_indexes.main([*settings, "--quiet"]) == 0

    def indexes():
        return {name: sorted(tuple(i["key"].items()) for i in loaded[name].list_indexes()) for name in COLLECTION_NAMES}

    before = indexes()
    assert all(before[s.collection] for s in SHARD_KEYS)
    capsys.readouterr()
    code = shard_collections.main([*settings, "--yes"])
    out, err = capsys.readouterr()
    assert code == 1, out + err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: sharding needs a mongos (a sharded cluster's router); ")
    assert lines[0].endswith(f"at {mongo_uri} is not one") and out == ""
    assert indexes() == before
    assert not any(i["name"].endswith("_shard_key") for n in COLLECTION_NAMES for i in loaded[n].list_indexes())


def test_scripts_reference_lists_every_key_and_its_reason():
    text = (PROJECT_ROOT / "SCRIPTS_REFERENCE.md").read_text()
    section = text.split("## shard_collections.py\n")[1].split("\n## ")[0]
    rows = re.findall(r"^\| (\w+) \| (.+?) \| (.+?) \|$", section, flags=re.M)
    assert rows[1:] == [(s.collection, f"`{format_key(s.key)}`", s.why) for s in SHARD_KEYS] + [
        (name, "not sharded", why) for name, why in UNSHARDED.items()
    ]
    assert all(f"`{name}`" in section for s in SHARD_KEYS for name in kit_unique_blockers(s))
