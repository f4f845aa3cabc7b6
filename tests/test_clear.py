"""clear_mongodb_data.py empties the project's collections and keeps everything else."""

from __future__ import annotations

import clear_mongodb_data
import create_indexes
from helpers import SMALL_ORDERS, refusal
from zava.model.collections import COLLECTION_NAMES
from zava.mongo.server import server_info


def test_clear_empties_only_the_project_collections_and_keeps_indexes(loaded, client, settings, capsys):
    assert create_indexes.main(settings) == 0
    loaded.visitor_notes.insert_one({"_id": "not ours"})
    indexes = {name: sorted(ix["name"] for ix in loaded[name].list_indexes()) for name in COLLECTION_NAMES}
    if not server_info(client).is_local:
        loaded.command("collMod", "orders", changeStreamPreAndPostImages={"enabled": True})
    total = sum(loaded[name].count_documents({}) for name in COLLECTION_NAMES)
    capsys.readouterr()
    assert clear_mongodb_data.main(settings) == 1  # no terminal, no --yes
    question = (
        f"All {total:,} documents above will be deleted from {loaded.name!r} (indexes and collection options stay)."
    )
    assert capsys.readouterr().err.strip().splitlines()[-1] == refusal(question)
    assert loaded.orders.count_documents({}) == SMALL_ORDERS
    assert clear_mongodb_data.main([*settings, "--yes"]) == 0
    for name in COLLECTION_NAMES:
        assert loaded[name].count_documents({}) == 0, name
        assert sorted(ix["name"] for ix in loaded[name].list_indexes()) == indexes[name], name
    assert loaded.visitor_notes.count_documents({}) == 1
    if not server_info(client).is_local:
        options = next(loaded.list_collections(filter={"name": "orders"}))["options"]
        assert options["changeStreamPreAndPostImages"] == {"enabled": True}
    assert "every collection is empty" in capsys.readouterr().err
