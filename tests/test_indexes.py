"""create_indexes.py and drop_indexes.py against a real server: every index once, the committed mongosh script
(and what it builds in the real mongosh)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

import pytest
from pymongo.errors import DuplicateKeyError, OperationFailure
from pymongo.operations import SearchIndexModel

import create_indexes
import drop_indexes
from helpers import SCRIPTS, has_atlas_search, refusal, run_mongosh
from zava.model.collections import COLLECTION_NAMES
from zava.model.indexes import (
    INDEXES,
    VECTOR_COLLECTION,
    VECTOR_INDEX_NAME,
    embedding_dimensions,
    spec_signature,
    vector_index_definition,
)
from zava.mongo.server import server_info


def index_signatures(db, name):
    return {tuple(ix["key"]): ix for ix in db[name].list_indexes()}


def test_create_indexes_builds_every_index_once(loaded, client, settings, capsys):
    local = server_info(client).is_local
    assert create_indexes.main(settings) == 0
    out, err = capsys.readouterr()
    for spec in INDEXES:
        if spec.is_text and local:  # the local server keeps text indexes out of listIndexes
            assert f"{spec.name}" in out
            continue
        found = index_signatures(loaded, spec.collection).get(spec_signature(spec))
        assert found is not None, spec.name
        assert bool(found.get("unique")) == spec.unique, spec.name
        if local:  # its listIndexes reports names and directions of its own
            continue
        assert found["name"] == spec.name, spec.name
        if spec.is_text:  # MongoDB lists a text index by its internal key; the fields are in its weights
            assert dict(found["key"]) == {"_fts": "text", "_ftsx": 1} and dict(found["weights"]) == spec.weights
        else:
            assert list(found["key"].items()) == list(spec.keys), spec.name
        assert found.get("partialFilterExpression") == spec.partial, spec.name
    if has_atlas_search(loaded):  # Atlas, or MongoDB with mongot
        assert "skipped" not in err
        assert VECTOR_INDEX_NAME in {ix["name"] for ix in loaded[VECTOR_COLLECTION].list_search_indexes()}
    else:
        reason = "the local server has no Atlas Search" if local else "this server has no Atlas Search ("
        assert f"vector index {VECTOR_INDEX_NAME} skipped: {reason}" in err
        definition = vector_index_definition(embedding_dimensions(loaded))
        with pytest.raises(OperationFailure):  # createSearchIndexes needs Atlas Search: a plain mongod refuses it
            loaded[VECTOR_COLLECTION].create_search_index(
                SearchIndexModel(definition, name=VECTOR_INDEX_NAME, type="vectorSearch")
            )
    product = loaded.products.find_one({}, {"_id": 0})
    with pytest.raises(DuplicateKeyError):
        loaded.products.insert_one({**product, "_id": "prod_copy", "product_id": "prod_copy"})
    customer = loaded.customers.find_one({}, {"_id": 0})
    with pytest.raises(DuplicateKeyError):
        loaded.customers.insert_one({**customer, "_id": "cust_copy", "customer_id": "cust_copy"})

    assert create_indexes.main(settings) == 0
    assert f"{len(INDEXES) + 1} indexes on" in capsys.readouterr().err
    capsys.readouterr()
    assert create_indexes.main(settings) == 0
    assert ": 0 created" in capsys.readouterr().err


def test_committed_mongosh_script_is_the_emitted_one(capsys):
    assert create_indexes.main(["--emit-js"]) == 0
    assert capsys.readouterr().out == (SCRIPTS / "create_indexes.js").read_text()


def listed_indexes(db) -> dict[str, dict[str, dict]]:
    """{collection: {index name: its listIndexes entry}}, sub-documents as (field, value) lists so that the
    order of a key's fields counts; `ns` (the database's name, on older servers) left out."""
    return {
        name: {
            ix["name"]: {k: list(v.items()) if isinstance(v, Mapping) else v for k, v in ix.items() if k != "ns"}
            for ix in db[name].list_indexes()
        }
        for name in sorted(db.list_collection_names())
    }


def text_matches(db, collection: str) -> dict[str, float]:
    """A $text search's scores by _id: which fields a text index covers, and with what weights."""
    found = db[collection].find({"$text": {"$search": "zavaprobe"}}, {"score": {"$meta": "textScore"}})
    return {doc["_id"]: doc["score"] for doc in found}


def test_the_mongosh_script_builds_what_create_indexes_builds(client, mongo_uri, db_name, settings, tmp_path, capsys):
    """scripts/create_indexes.js run by the real mongosh on one fresh database and create_indexes.py on another:
    the same collections, each with the same indexes as listIndexes reports them. The local server's listing
    names an index by its fields, shows every direction as 1 and no partialFilterExpression, and leaves text
    indexes out: there, what $text finds shows the text indexes."""
    shell_db = f"{db_name}_mongosh"
    client.drop_database(shell_db)
    try:
        assert create_indexes.main(settings) == 0
        skipped = f"vector index {VECTOR_INDEX_NAME} skipped" in capsys.readouterr().err
        done = run_mongosh(
            mongo_uri, tmp_path / "home", str(SCRIPTS / "create_indexes.js"), env={"MONGODB_DATABASE": shell_db}
        )
        assert done.returncode == 0, done.stderr or done.stdout
        assert ("vector index skipped: " in done.stdout) == skipped, done.stdout
        python, shell = client[db_name], client[shell_db]
        assert listed_indexes(shell) == listed_indexes(python)
        local = server_info(client).is_local
        listed = Counter(spec.collection for spec in INDEXES if not (spec.is_text and local))
        assert {name: len(ixs) - 1 for name, ixs in listed_indexes(python).items()} == listed  # and _id_
        for spec in (s for s in INDEXES if s.is_text):
            unique = {f for s in INDEXES if s.collection == spec.collection and s.unique for f, _ in s.keys}
            fields = [f for f, _ in spec.keys] + ["not_indexed"]
            probes = [{"_id": f, f: "zavaprobe", **{u: f"probe_{f}" for u in unique - {f}}} for f in fields]
            for db in (python, shell):
                db[spec.collection].insert_many(probes)
            assert set(text_matches(python, spec.collection)) == set(fields) - {"not_indexed"}, spec.name
            assert text_matches(shell, spec.collection) == text_matches(python, spec.collection), spec.name
    finally:
        client.drop_database(shell_db)


def test_drop_indexes_asks_first_then_keeps_id_and_data(loaded, settings, capsys):
    assert create_indexes.main(settings) == 0
    before = {name: sorted(ix["name"] for ix in loaded[name].list_indexes()) for name in COLLECTION_NAMES}
    counts = {name: loaded[name].count_documents({}) for name in COLLECTION_NAMES}
    capsys.readouterr()
    assert drop_indexes.main(settings) == 1  # no terminal, no --yes
    question = f"{sum(len(names) - 1 for names in before.values())} indexes on {loaded.name!r} will be dropped"
    question += " (documents and _id_ stay)."  # every index but _id_
    assert capsys.readouterr().err.strip().splitlines()[-1] == refusal(question)
    assert before == {name: sorted(ix["name"] for ix in loaded[name].list_indexes()) for name in COLLECTION_NAMES}
    assert drop_indexes.main([*settings, "--yes"]) == 0
    for name in COLLECTION_NAMES:
        assert [ix["name"] for ix in loaded[name].list_indexes()] == ["_id_"], name
        assert loaded[name].count_documents({}) == counts[name]
    assert drop_indexes.main([*settings, "--yes"]) == 0
    assert "no indexes to drop" in capsys.readouterr().err


def test_an_index_with_the_same_keys_under_another_name_counts_as_present(loaded, settings, capsys):
    spec = next(s for s in INDEXES if s.name == "orders_by_customer_date")
    loaded.orders.create_index(list(spec.keys), name="my_orders_by_customer")
    before = sorted(ix["name"] for ix in loaded.orders.list_indexes())
    assert create_indexes.main(settings) == 0
    out, err = capsys.readouterr()
    rows = {line.split()[1]: line.split()[2] for line in out.splitlines() if line.startswith("orders ")}
    assert rows["orders_by_customer_date"] == "existing"
    assert {status for name, status in rows.items() if name != "orders_by_customer_date"} == {"created"}
    assert f"{len(INDEXES) - 1} created" in err
    after = [ix for ix in loaded.orders.list_indexes() if tuple(ix["key"]) == spec_signature(spec)]
    assert len(after) == 1 and set(before) <= {ix["name"] for ix in loaded.orders.list_indexes()}
