"""The one status move of an order: legal by rules.STATUS_MOVES, and conditional, so that it happens once."""

from __future__ import annotations

from datetime import UTC, datetime

from pymongo.client_session import ClientSession
from pymongo.collection import Collection

from zava.model.rules import LIVE, can_move
from zava.model.timestamps import iso


def move_status(
    orders: Collection, order_id: str, current: str, status: str, session: ClientSession | None = None
) -> bool:
    """Move a live order from `current` to `status` only while it still has `current`; False when another writer
    moved it first. ValueError for a move the rules do not allow."""
    if not can_move(current, status):
        raise ValueError(f"{current} -> {status} is not a legal status move (rules.STATUS_MOVES)")
    moved = orders.update_one(
        {"_id": order_id, "status": current, **LIVE},  # an order's _id is its order_id (fast on both servers)
        {"$set": {"status": status, "updated_at": iso(datetime.now(UTC))}},
        session=session,
    )
    return moved.matched_count == 1
