"""What the store dashboard reads and writes: one store's figures, inventory and orders, and two checked writes.

Every read is an indexed find with a projection (the figures: figures.py). Writes are validated before anything is
written, touch only live documents and stamp `last_updated` / `updated_at` with the project's timestamp format.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pymongo.database import Database

from zava.dashboard.figures import Figures
from zava.model.reference import STORES
from zava.model.rules import LIVE, ORDER_STATUSES, STATUS_MOVES, can_move, is_live, is_low_stock
from zava.model.timestamps import iso
from zava.mongo.order_status import move_status

RECENT_ORDERS = 50  # orders listed on the page
MAX_STOCK = 1_000_000  # a stock level above this is a typing slip, not a delivery
DASHBOARD_MOVES = ("shipped", "completed")  # the moves the page offers; a cancellation also puts stock back

INVENTORY_FIELDS = {"_id": 0, "store_id": 1, "product_id": 1, "location": 1, "stock_level": 1}
INVENTORY_FIELDS |= {"reorder_threshold": 1, "last_updated": 1, "deleted": 1}
ORDER_FIELDS = {"_id": 0, "order_id": 1, "store_id": 1, "order_date": 1, "customer_name": 1, "item_count": 1}
ORDER_FIELDS |= {"total": 1, "status": 1, "updated_at": 1, "deleted": 1}
ITEM_FIELDS = {"_id": 0, "product_id": 1, "sku": 1, "product_name": 1, "quantity": 1, "unit_price": 1}
ITEM_FIELDS |= {"discount_percent": 1, "line_total": 1}


class Rejected(Exception):
    """A request the dashboard refuses, with the HTTP status that says why; nothing was written."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def store_list() -> list[dict[str, str]]:
    """The chain's stores, for the switcher."""
    return [{"store_id": s.store_id, "store_name": s.store_name, "city": s.city} for s in STORES]


def known_store(store_id: str) -> str:
    """The store id when it names one of the chain's stores; Rejected (404) otherwise."""
    if store_id not in {s.store_id for s in STORES}:
        raise Rejected(404, f"unknown store {store_id!r}; choose from {', '.join(s.store_id for s in STORES)}")
    return store_id


def inventory_row(doc: Mapping[str, Any], products: Mapping[str, Mapping[str, str]]) -> dict[str, Any]:
    """One inventory line as the page shows it, with its product's name and SKU."""
    product = products.get(doc["product_id"], {})
    location = doc.get("location") or {}
    return {
        "product_id": doc["product_id"],
        "product_name": product.get("product_name", doc["product_id"]),
        "sku": product.get("sku", ""),
        "aisle": location.get("aisle", ""),
        "shelf": location.get("shelf", ""),
        "bin": location.get("bin", ""),
        "stock_level": doc["stock_level"],
        "reorder_threshold": doc["reorder_threshold"],
        "low_stock": is_low_stock(doc),
        "last_updated": doc.get("last_updated", ""),
        "deleted": not is_live(doc),
    }


def order_row(doc: Mapping[str, Any]) -> dict[str, Any]:
    """One order as the page shows it, with the status moves the page may offer."""
    return {
        "order_id": doc["order_id"],
        "order_date": doc["order_date"],
        "customer_name": doc.get("customer_name", ""),
        "item_count": doc.get("item_count", 0),
        "total": doc["total"],
        "status": doc["status"],
        "updated_at": doc.get("updated_at", ""),
        "moves": [m for m in STATUS_MOVES.get(doc["status"], ()) if m in DASHBOARD_MOVES],
        "deleted": not is_live(doc),
    }


@dataclass
class Dashboard:
    """The reads and writes of the dashboard against one database."""

    db: Database

    def __post_init__(self) -> None:
        self._products: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------ reads

    def products(self, wanted: str | None = None) -> dict[str, dict[str, str]]:
        """Name and SKU by product id (the small catalog, read once and again when a product is missing)."""
        with self._lock:
            if not self._products or (wanted is not None and wanted not in self._products):
                rows = self.db.products.find({}, {"_id": 0, "product_id": 1, "product_name": 1, "sku": 1})
                self._products = {r["product_id"]: r for r in rows}
            return self._products

    def inventory(self, store_id: str) -> list[dict[str, Any]]:
        """The store's live inventory lines, ordered by aisle, shelf, bin."""
        docs = list(self.db.inventory.find({"store_id": known_store(store_id), **LIVE}, INVENTORY_FIELDS))
        products = self.products()
        rows = [{**inventory_row(d, products), "deleted": False} for d in docs]  # live: the filter says so
        return sorted(rows, key=lambda r: (r["aisle"], r["shelf"], r["bin"], r["product_id"]))

    def recent_orders(self, store_id: str, limit: int = RECENT_ORDERS) -> list[dict[str, Any]]:
        """The store's latest live orders, newest first (orders_by_store_date)."""
        query = {"store_id": known_store(store_id), **LIVE}
        docs = self.db.orders.find(query, ORDER_FIELDS).sort("order_date", -1).limit(limit)
        return [{**order_row(d), "deleted": False} for d in docs]  # live: the filter says so

    def order_items(self, order_id: str) -> list[dict[str, Any]]:
        """The live items of a live order; Rejected (404) when there is no such order."""
        if self.db.orders.find_one({"order_id": order_id, **LIVE}, {"_id": 1}) is None:
            raise Rejected(404, f"no order {order_id!r}")
        items = self.db.order_items.find({"order_id": order_id, **LIVE}, ITEM_FIELDS)
        return sorted(items, key=lambda r: (r["product_name"], r["product_id"]))

    def summary(
        self,
        store_id: str,
        now: datetime | None = None,
        stock: list[dict[str, Any]] | None = None,
        with_open_orders: bool = True,
    ) -> dict[str, Any]:
        """Key figures and the 30-day revenue series of a store, with `now` (UTC) as today (see Figures.read)."""
        return Figures.read(self.db, known_store(store_id), now, stock, with_open_orders).summary()

    def page(
        self, store_id: str, with_open_orders: bool = True, summary: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Everything the page shows first, in one answer: the figures are `summary` when the caller holds them
        (see summary() for `with_open_orders`)."""
        inventory = self.inventory(store_id)
        return {
            "store": next(s for s in store_list() if s["store_id"] == store_id),
            "summary": summary or self.summary(store_id, stock=inventory, with_open_orders=with_open_orders),
            "inventory": inventory,
            "orders": self.recent_orders(store_id),
        }

    # ------------------------------------------------------------ writes

    def set_stock(self, store_id: str, product_id: str, value: Any) -> dict[str, Any]:
        """Set a live inventory line's stock level; Rejected (400 bad value, 404 no such line)."""
        known_store(store_id)
        if isinstance(value, bool) or not isinstance(value, int):
            raise Rejected(400, f"stock_level must be a whole number, got {value!r}")
        if not 0 <= value <= MAX_STOCK:
            raise Rejected(400, f"stock_level must be between 0 and {MAX_STOCK:,}, got {value}")
        line = {"store_id": store_id, "product_id": product_id, **LIVE}
        written = self.db.inventory.update_one(
            line, {"$set": {"stock_level": value, "last_updated": iso(datetime.now(UTC))}}
        )
        updated = self.db.inventory.find_one(line, INVENTORY_FIELDS) if written.matched_count else None
        if updated is None:
            raise Rejected(404, f"{store_id} has no live inventory line for {product_id!r}")
        return inventory_row(updated, self.products(product_id))

    def move_order(self, order_id: str, status: Any) -> dict[str, Any]:
        """Move a live order to `status`; Rejected (400 bad status, 404 no such order, 409 not a legal move)."""
        if status not in ORDER_STATUSES:
            raise Rejected(400, f"status must be one of {', '.join(ORDER_STATUSES)}, got {status!r}")
        if status not in DASHBOARD_MOVES:
            raise Rejected(400, f"the dashboard marks orders {' or '.join(DASHBOARD_MOVES)}, not {status}")
        current = self.db.orders.find_one({"order_id": order_id, **LIVE}, {"status": 1})
        if current is None:
            raise Rejected(404, f"no order {order_id!r}")
        if not can_move(current["status"], status):
            raise Rejected(409, f"order {order_id} is {current['status']}: it cannot become {status}")
        if not move_status(self.db.orders, current["_id"], current["status"], status):  # someone else moved it first
            raise Rejected(409, f"order {order_id} changed while this request ran; reload and try again")
        return order_row(self.db.orders.find_one({"order_id": order_id}, ORDER_FIELDS))


def has_inventory(db: Database, store_id: str) -> bool:
    """Whether the store holds any live inventory line (the dataset is loaded for it)."""
    return db.inventory.find_one({"store_id": store_id, **LIVE}, {"_id": 1}) is not None
