"""The shared conditions: each MongoDB filter selects exactly what its Python predicate accepts."""

from __future__ import annotations

from zava.model.rules import (
    EARNS_REVENUE,
    LIVE,
    LOW_STOCK,
    ORDER_STATUSES,
    RESTOCK_FACTOR,
    REVENUE_STATUSES,
    UNITS_TO_ORDER,
    earns_revenue,
    is_live,
    is_low_stock,
)


def test_filters_and_predicates_agree_on_a_real_server(client, db_name):
    db = client[db_name]
    docs = [
        {"_id": i, "stock_level": level, "reorder_threshold": threshold, "deleted": deleted, "status": status}
        for i, (level, threshold, deleted, status) in enumerate(
            (level, threshold, deleted, status)
            for level in (0, 4, 5, 6)
            for threshold in (0, 5)
            for deleted in (False, True)
            for status in ORDER_STATUSES
        )
    ]
    db.rules.insert_many(docs)
    for query, predicate in (
        (LIVE, is_live),
        (LOW_STOCK, is_low_stock),
        (EARNS_REVENUE, earns_revenue),
        ({**LIVE, **LOW_STOCK}, lambda d: is_live(d) and is_low_stock(d)),
    ):
        found = {d["_id"] for d in db.rules.find(query, {"_id": 1})}
        wanted = {d["_id"] for d in docs if predicate(d)}
        assert found == wanted and 0 < len(found) < len(docs), query


def test_units_to_order_brings_a_low_line_back_to_the_restock_level(client, db_name):
    db = client[db_name]
    db.rules.insert_many([{"_id": 1, "stock_level": 2, "reorder_threshold": 5}])
    row = next(db.rules.aggregate([{"$project": {"_id": 0, "units": UNITS_TO_ORDER}}]))
    assert row["units"] == RESTOCK_FACTOR * 5 - 2
    assert set(REVENUE_STATUSES) < set(ORDER_STATUSES)
