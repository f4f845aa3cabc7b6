"""The one status move of an order: legal by rules.STATUS_MOVES, and conditional, so that it happens once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pymongo.client_session import ClientSession
from pymongo.collection import Collection

from zava.model.rules import LIVE, can_move
from zava.model.timestamps import iso


def move_status(orders: Collection, key: Any, current: str, status: str, session: ClientSession | None = None) -> bool:
    """Move the live order whose `_id` is `key` from `current` to `status` only while it still has `current`; False
    when another writer moved it first. ValueError for a move the rules do not allow. By `_id`: on the local server a
    filter on `order_id` scans the orders and stalls every other request."""
    if not can_move(current, status):
        raise ValueError(f"{current} -> {status} is not a legal status move (rules.STATUS_MOVES)")
    moved = orders.update_one(
        {"_id": key, "status": current, **LIVE},
        {"$set": {"status": status, "updated_at": iso(datetime.now(UTC))}},
        session=session,
    )
    return moved.matched_count == 1
