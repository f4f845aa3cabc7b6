"""A store's key figures: today's orders and revenue, open orders, low-stock lines and 30 days of revenue.

They are read once (each read an indexed find; sums done here in Python, never with a server-side `$group`) and can
then be kept from the whole documents a store's change streams deliver: the live feed recomputes them for every
change without reading the database again, which on the local server would cost a scan of the orders each time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.database import Database

from zava.model.money import to_cents, to_dollars
from zava.model.rules import LIVE, OPEN_STATUSES, earns_revenue, is_live, is_low_stock
from zava.model.timestamps import iso

CHART_DAYS = 30  # the revenue chart: today and the 29 days before it (UTC)
WINDOW_BATCH = 1000  # orders read at a time for the chart's 30 days (a busy store has about 700)


def day_start(moment: datetime) -> datetime:
    """Midnight UTC of the moment's day: the data's dates are UTC timestamps."""
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def orders_since(db: Database, store_id: str, since: str) -> list[dict[str, Any]]:
    """The store's live orders dated `since` or later, newest first.

    Read as the newest N by date (orders_by_store_date), N growing until the range is covered: the local server
    answers that shape fast, where a range filter on the date makes it scan."""
    query = {"store_id": store_id, **LIVE}
    fields = {"_id": 0, "order_id": 1, "order_date": 1, "total": 1, "status": 1}
    limit = WINDOW_BATCH
    while True:
        docs = list(db.orders.find(query, fields).sort("order_date", -1).limit(limit))
        if len(docs) < limit or docs[-1]["order_date"] < since:
            return [d for d in docs if d["order_date"] >= since]
        limit *= 4


def open_order_ids(db: Database, store_id: str) -> set[str]:
    """The ids of the store's live orders that are still open (pending or shipped).

    The slowest read on the local server (it scans the orders, about 0.25 s on the default dataset)."""
    query = {"store_id": store_id, "status": {"$in": list(OPEN_STATUSES)}, **LIVE}
    return {doc["order_id"] for doc in db.orders.find(query, {"_id": 0, "order_id": 1})}


@dataclass
class Figures:
    """The figures of one store: the raw facts they are summed from, which order() and line() keep current."""

    store_id: str
    days: list[str]  # the chart's days, oldest first; the last one is today
    orders: dict[str, tuple[str, int, bool]]  # live orders of those days: id -> (day, total in cents, earns revenue)
    open_orders: set[str] | None  # None: not read
    low_stock: set[str]  # product ids of the live low-stock lines

    @classmethod
    def read(
        cls,
        db: Database,
        store_id: str,
        now: datetime | None = None,
        stock: Iterable[Mapping[str, Any]] | None = None,
        with_open_orders: bool = True,
    ) -> Figures:
        """The figures as stored now, with `now` (UTC) as today. `stock`: the store's live inventory lines when the
        caller holds them; without `with_open_orders` the open orders are not read (the slowest read)."""
        today = day_start(now or datetime.now(UTC))
        first = today - timedelta(days=CHART_DAYS - 1)
        days = [iso(first + timedelta(days=n))[:10] for n in range(CHART_DAYS)]
        if stock is None:
            fields = {"_id": 0, "product_id": 1, "stock_level": 1, "reorder_threshold": 1, "deleted": 1}
            stock = db.inventory.find({"store_id": store_id, **LIVE}, fields)
        figures = cls(store_id, days, {}, open_order_ids(db, store_id) if with_open_orders else None, set())
        for order in orders_since(db, store_id, iso(first)):
            figures.order({**order, "deleted": False})  # live: the read says so
        for line in stock:
            figures.line({**line, "deleted": False})
        return figures

    def stale(self, now: datetime | None = None) -> bool:
        """Whether a new UTC day began since the figures were read (then read them again)."""
        return iso(day_start(now or datetime.now(UTC)))[:10] != self.days[-1]

    def order(self, doc: Mapping[str, Any]) -> None:
        """Take an order document as it is now."""
        order_id, day = doc["order_id"], doc["order_date"][:10]
        if is_live(doc) and day >= self.days[0]:
            self.orders[order_id] = (day, int(to_cents(doc["total"])), earns_revenue(doc))
        else:
            self.orders.pop(order_id, None)
        if self.open_orders is not None:
            if is_live(doc) and doc["status"] in OPEN_STATUSES:
                self.open_orders.add(order_id)
            else:
                self.open_orders.discard(order_id)

    def line(self, doc: Mapping[str, Any]) -> None:
        """Take an inventory line as it is now."""
        if is_live(doc) and is_low_stock(doc):
            self.low_stock.add(doc["product_id"])
        else:
            self.low_stock.discard(doc["product_id"])

    def summary(self) -> dict[str, Any]:
        """The figures as the page shows them (open_orders None when they were not read)."""
        cents = dict.fromkeys(self.days, 0)
        counts = dict.fromkeys(self.days, 0)
        for day, total, earns in self.orders.values():
            if day in counts:
                counts[day] += 1
                cents[day] += total if earns else 0
        today = self.days[-1]
        return {
            "store_id": self.store_id,
            "today": today,
            "orders_today": counts[today],
            "revenue_today": to_dollars(cents[today]),
            "open_orders": None if self.open_orders is None else len(self.open_orders),
            "low_stock": len(self.low_stock),
            "revenue_by_day": [{"day": d, "orders": counts[d], "revenue": to_dollars(cents[d])} for d in self.days],
        }
