"""Undo what a simulator stopped mid-order left behind (see ARCHITECTURE.md, "Live writes and crashes").

Without a transaction the simulator writes a new order as: stock taken (conditional `$inc`), then its
items, then its header. A stop between the items and the header leaves order items whose order does
not exist: live items (order id `order_` + 32 hex digits) with no header. The repair deletes each such
item and then gives its quantity back to its store's stock. A header without any item cannot come from
that write order, but one left by an older kit or a hand edit is removed too.

Another simulator may be between its items and its header right now: debris younger than GRACE_S is
left alone; when the first look finds some, the repair waits until it is that old and looks again
(a running simulator has written the header by then). Running the repair twice changes nothing the
second time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pymongo.database import Database

from zava.model.ids import LIVE_ORDER_PATTERN
from zava.model.timestamps import iso

GRACE_S = 3.0  # an order being written by a running simulator gets its header well within this
LIVE_ORDER = {"$regex": f"^{LIVE_ORDER_PATTERN}$"}
REPAIR_COMMAND = "python scripts/simulate_activity.py --repair-only"


@dataclass
class Repairs:
    """What a repair pass fixed."""

    items: int = 0  # order items without their order, deleted
    units: int = 0  # stock units given back for them
    headers: int = 0  # live orders without any item, deleted

    def line(self) -> str:
        if not (self.items or self.headers):
            return "nothing to repair"
        return (
            f"repaired: {self.items} order items without their order removed and their {self.units} units "
            f"returned to stock, {self.headers} orders without items removed"
        )


@dataclass
class Debris:
    items: list[dict]
    headers: list[dict]

    def newest(self) -> str:
        return max((d.get("created_at") or "" for d in self.items + self.headers), default="")


def find_debris(db: Database) -> Debris:
    """Live order items whose order is missing, and live orders that have no item."""
    projection = {"order_id": 1, "store_id": 1, "product_id": 1, "quantity": 1, "created_at": 1}
    items = list(db.order_items.find({"order_id": LIVE_ORDER}, projection))
    with_items = {i["order_id"] for i in items}
    headers = list(db.orders.find({"_id": LIVE_ORDER}, {"created_at": 1}))
    have = {h["_id"] for h in headers}
    return Debris([i for i in items if i["order_id"] not in have], [h for h in headers if h["_id"] not in with_items])


def repair(
    db: Database,
    grace: float = GRACE_S,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    sleep: Callable[[float], None] = time.sleep,
) -> Repairs:
    """One repair pass over the live orders; idempotent."""
    debris = find_debris(db)
    if debris.newest() and debris.newest() >= iso(clock() - timedelta(seconds=grace)):
        sleep(grace + 1)  # stamps have whole seconds: one more makes sure the newest is `grace` old
        debris = find_debris(db)
    cutoff = iso(clock() - timedelta(seconds=grace))
    done = Repairs()
    for item in debris.items:
        if (item.get("created_at") or "") >= cutoff:
            continue  # another simulator's order in the making
        # delete first, then give the stock back: a stop in between loses these units rather than adding twice
        gone = db.order_items.find_one_and_delete({"_id": item["_id"]}, {"store_id": 1, "product_id": 1, "quantity": 1})
        if gone is None:
            continue  # another repair took it
        done.items += 1
        quantity = int(gone.get("quantity") or 0)
        if quantity > 0 and gone.get("store_id") and gone.get("product_id"):
            db.inventory.update_one(
                {"store_id": gone["store_id"], "product_id": gone["product_id"]},
                {"$inc": {"stock_level": quantity}, "$set": {"last_updated": iso(clock())}},
            )
            done.units += quantity
    for header in debris.headers:
        if (header.get("created_at") or "") >= cutoff or db.order_items.find_one({"order_id": header["_id"]}):
            continue
        done.headers += db.orders.delete_one({"_id": header["_id"]}).deleted_count
    return done
