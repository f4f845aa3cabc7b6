"""Conditions every reader and writer shares: what counts as live, low on stock, and revenue.

Each is a MongoDB filter for queries and a Python predicate for code that already holds the
document; a test checks the two agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

LIVE: dict[str, Any] = {"deleted": False}  # soft deletes: documents are never removed
LOW_STOCK: dict[str, Any] = {"$expr": {"$lte": ["$stock_level", "$reorder_threshold"]}}
LOW_STOCK_DQL = "stock_level <= reorder_threshold"
ORDER_STATUSES: tuple[str, ...] = ("pending", "shipped", "completed", "cancelled", "refunded")
OPEN_STATUSES: tuple[str, ...] = ("pending", "shipped")  # still moving: pending -> shipped -> completed
REVENUE_STATUSES: tuple[str, ...] = ("pending", "shipped", "completed")  # cancelled and refunded earn nothing
NEXT_STATUS: dict[str, str] = {"pending": "shipped", "shipped": "completed"}  # an open order's next step
# every legal status move of a live order: forward one step, or a pending order cancelled; others are final
STATUS_MOVES: dict[str, tuple[str, ...]] = {"pending": ("shipped", "cancelled"), "shipped": ("completed",)}
EARNS_REVENUE: dict[str, Any] = {"status": {"$in": list(REVENUE_STATUSES)}}
RESTOCK_FACTOR = 3  # a restock (and the reorder report) brings a line to this many times its threshold
UNITS_TO_ORDER: dict[str, Any] = {"$subtract": [{"$multiply": ["$reorder_threshold", RESTOCK_FACTOR]}, "$stock_level"]}


def is_live(doc: Mapping[str, Any]) -> bool:
    return doc.get("deleted") is False


def is_low_stock(doc: Mapping[str, Any]) -> bool:
    return doc["stock_level"] <= doc["reorder_threshold"]


def can_move(current: str, status: str) -> bool:
    """Whether an order may move from status `current` to `status`."""
    return status in STATUS_MOVES.get(current, ())


def earns_revenue(order: Mapping[str, Any]) -> bool:
    return order["status"] in REVENUE_STATUSES
