"""clear_mongodb_data.py empties the project's collections and keeps everything else (the connector's too)."""

from __future__ import annotations

import clear_mongodb_data
import create_indexes
import data_report
import drop_indexes
import generate_mongodb_data
from helpers import SMALL, SMALL_CUSTOMERS, SMALL_ORDERS, refusal
from zava.ditto.connector import LEFT_TO_THE_CONNECTOR, SESSIONS, UNSYNCED
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


def test_the_connectors_collections_survive_every_script(loaded, settings, monkeypatch, capsys):
    """Clear, a regenerate, drop_indexes.py and the data report leave the connector's own collections alone."""
    connector = {SESSIONS: {"_id": "session-1", "resumeToken": "8263A1"}, UNSYNCED: {"_id": "w-1", "reason": "E11000"}}
    for name, doc in connector.items():
        loaded[name].insert_one(doc)
    monkeypatch.setenv("NUM_CUSTOMERS", str(SMALL_CUSTOMERS))
    monkeypatch.setenv("NUM_ORDERS", str(SMALL_ORDERS))
    assert data_report.main(settings) == 0
    assert drop_indexes.main([*settings, "--yes"]) == 0
    assert generate_mongodb_data.main([*settings, *(flag for flag in SMALL if flag != "--quiet")]) == 0
    assert clear_mongodb_data.main([*settings, "--yes"]) == 0
    assert loaded.orders.count_documents({}) == 0  # the scripts did run
    for name, doc in connector.items():
        assert list(loaded[name].find()) == [doc], name
    said = capsys.readouterr().err
    assert said.count(LEFT_TO_THE_CONNECTOR) == 2  # the reload and the clear say what they do to the connector's
