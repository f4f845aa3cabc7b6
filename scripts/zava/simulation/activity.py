"""Live store activity against the loaded dataset: new orders, restocks, status moves, cancellations, shelf moves.

Every write keeps the dataset's invariants, also with several simulators on one database:
stock is taken with a conditional `$inc` (never below zero), an order's items are written
before its header (an order that exists is complete), and status changes are conditional on
the status they replace (an order is shipped, completed or cancelled once). New ids come
from the OS (uuid4), never from the seeded generator, so they cannot collide.

Where the server runs multi-document transactions reliably (real MongoDB as a replica set or
behind mongos), every event runs in one (`ClientSession.with_transaction`, which retries transient
errors): an event is written whole or not at all. Elsewhere (the local server, a standalone mongod)
the write order above makes what a stop leaves behind detectable, and zava.simulation.repair undoes it.
"""

from __future__ import annotations

import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
from pymongo import MongoClient
from pymongo.client_session import ClientSession
from pymongo.database import Database

from zava.catalog.loader import load_catalog
from zava.errors import ConfigError, KitError
from zava.generation.baskets import Baskets, ProductPool
from zava.generation.distributions import PRIMARY_STORE_SHARE, STORE_ORDER_WEIGHT, draw_lines, line_numbers
from zava.model.ids import live_item_id, live_order_id
from zava.model.money import line_cents, order_cents, to_cents, to_dollars
from zava.model.orders import item_document, order_document
from zava.model.reference import STORES, Store
from zava.model.rhythms import KINDS, holiday_days, local_time
from zava.model.rules import LIVE, LOW_STOCK, NEXT_STATUS, OPEN_STATUSES, RESTOCK_FACTOR
from zava.model.shoppers import DIY, PRO, SEGMENT_NAMES, pro_probability
from zava.model.timestamps import iso
from zava.mongo.order_status import move_status
from zava.mongo.server import server_info, topology
from zava.signals import TERMINAL_SIGNALS, on_signals

# event kind -> share of events; a kind with nothing to do falls back to a new order
EVENT_WEIGHTS: dict[str, float] = {"order": 0.50, "status": 0.25, "restock": 0.10, "move": 0.10, "cancel": 0.05}
IDLE = "idle"  # a new order was due but the store had nothing in stock
RECENT_ORDERS = 1000  # open (pending or shipped) orders of the chosen stores picked up at start
MOVABLE = {"shelf": "ABCDEF", "bin": [f"{n:02d}" for n in range(1, 25)]}  # location fields a move may set
MAX_BACKLOG_S = 1.0  # when the server falls further behind than this, the schedule forgets the rest
REPORT_EVERY_S = 0.5
STOP_SIGNALS = (signal.SIGINT, *TERMINAL_SIGNALS)


@dataclass(frozen=True)
class Buyer:
    """What an order copies from its customer."""

    customer_id: str
    name: str
    email: str

    @classmethod
    def of(cls, row: dict) -> Buyer:
        return cls(row["_id"], f"{row['first_name']} {row['last_name']}", row.get("email", ""))


def chosen_stores(raw: str | None) -> list[Store]:
    """The stores named by --stores (comma-separated store ids); all stores when empty."""
    if not raw:
        return list(STORES)
    names = [n.strip() for n in raw.split(",") if n.strip()]
    known = {s.store_id: s for s in STORES}
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise ConfigError(f"--stores: unknown store {', '.join(unknown) or repr(raw)}; choose from {', '.join(known)}")
    return [known[n] for n in dict.fromkeys(names)]


class Simulator:
    """Writes one event at a time for the chosen stores; choices come from `rng`, ids from the OS."""

    def __init__(
        self,
        db: Database,
        stores: list[Store],
        rng: np.random.Generator,
        session: ClientSession | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """With a `session`, each step() runs in one transaction of it; without, writes go out one by one. New orders
        are placed at `clock()`."""
        self.db, self.stores, self.rng, self.clock = db, stores, rng, clock
        self.transaction, self.session = session, None  # self.session: the one every read and write of a step uses
        weights = STORE_ORDER_WEIGHT[[STORES.index(s) for s in stores]]
        self.store_p = weights / weights.sum()
        self.events: dict[str, Callable[[], bool]] = {
            "order": self.new_order,
            "status": self.advance_status,
            "restock": self.restock,
            "move": self.move,
            "cancel": self.cancel,
        }
        self.kind_p = np.array([EVENT_WEIGHTS[k] for k in self.events])
        self._load_catalog()
        self._load_customers()
        self._load_stores()

    def _load_catalog(self) -> None:
        """The database's products, placed by the kit's catalog (what the baskets are drawn from)."""
        projection = {"_id": 0, "product_id": 1, "sku": 1, "product_name": 1, "base_price": 1}
        rows = {p["product_id"]: p for p in self.db.products.find(LIVE, projection)}
        if not rows:
            raise KitError(
                f"no products in database '{self.db.name}': load the dataset first "
                "(python scripts/generate_mongodb_data.py)"
            )
        catalog = load_catalog()
        self.baskets = Baskets(catalog)
        self.products = [rows.get(p.product_id, {}) for p in catalog.products]
        self.product_index = {p.product_id: i for i, p in enumerate(catalog.products) if p.product_id in rows}
        self.price_cents = to_cents([p.get("base_price", 0.0) for p in self.products])

    def _load_customers(self) -> None:
        """The chosen stores' customers by store and segment (a customer without one shops as a homeowner)."""
        store_ids = [s.store_id for s in self.stores]
        projection = {"first_name": 1, "last_name": 1, "email": 1, "primary_store_id": 1, "segment": 1}
        self.local: dict[tuple[str, int], list[Buyer]] = {}
        rows = self.db.customers.find({"primary_store_id": {"$in": store_ids}, **LIVE}, projection).sort("_id", 1)
        if not (rows := list(rows)):  # none of these stores is anyone's primary store: any customer will do
            rows = list(self.db.customers.find(LIVE, projection).sort("_id", 1))
        if not rows:
            raise KitError(f"no customers in database '{self.db.name}': load the dataset first")
        for r in rows:
            segment = SEGMENT_NAMES.index(r["segment"]) if r.get("segment") in SEGMENT_NAMES else DIY
            for key in ((r.get("primary_store_id"), segment), ("", segment), ("", -1)):
                self.local.setdefault(key, []).append(Buyer.of(r))

    def _load_stores(self) -> None:
        """What each store carries, and its recent open orders (oldest first)."""
        store_ids = [s.store_id for s in self.stores]
        self.carried: dict[str, list[str]] = {s: [] for s in store_ids}
        rows = self.db.inventory.find({"store_id": {"$in": store_ids}, **LIVE}, {"store_id": 1, "product_id": 1})
        for row in rows:
            self.carried[row["store_id"]].append(row["product_id"])
        for products in self.carried.values():
            products.sort()
        open_orders = {"store_id": {"$in": store_ids}, "status": {"$in": list(OPEN_STATUSES)}, **LIVE}
        recent = self.db.orders.find(open_orders, {"status": 1, "order_id": 1}).sort([("order_date", -1), ("_id", -1)])
        # (the order's _id, its order_id) -> status: moves go by _id, its items by order_id
        self.open: dict[tuple[Any, str], str] = {
            (r["_id"], r.get("order_id", r["_id"])): r["status"] for r in reversed(list(recent.limit(RECENT_ORDERS)))
        }

    # ------------------------------------------------------------ choices

    def _store(self) -> Store:
        return self.stores[self.rng.choice(len(self.stores), p=self.store_p)]

    def _customer(self, store_id: str, segment: int) -> Buyer:
        """A customer of the segment: mostly one of the store's own, otherwise one of any chosen store; anyone
        when the chosen stores have no customer of the segment."""
        local, anywhere = self.local.get((store_id, segment)), self.local.get(("", segment))
        pool = local if local and self.rng.random() < PRIMARY_STORE_SHARE else anywhere or self.local["", -1]
        return pool[self.rng.integers(len(pool))]

    def _stocked(self, store_id: str) -> np.ndarray:
        """Indexes of the products the store has in stock now."""
        rows = self.db.inventory.find(
            {"store_id": store_id, "stock_level": {"$gt": 0}, **LIVE}, {"product_id": 1}, session=self.session
        )
        found = (self.product_index.get(r["product_id"]) for r in rows)
        return np.array(sorted(i for i in found if i is not None), dtype=np.int64)

    def step(self) -> str:
        """One event; returns its kind (a kind with nothing to do becomes a new order, or IDLE).

        In a transaction when the simulator has a session: all of the event is committed, or none of it."""
        if self.transaction is None:
            return self._step()

        def callback(session: ClientSession) -> str:
            self.session = session
            try:
                return self._step()
            finally:
                self.session = None

        return self.transaction.with_transaction(callback)

    def _step(self) -> str:
        kind = list(self.events)[self.rng.choice(len(self.events), p=self.kind_p)]
        if self.events[kind]():
            return kind
        return "order" if kind != "order" and self.new_order() else IDLE

    # ------------------------------------------------------------ events

    def _take_stock(self, store_id: str, product_id: str, wanted: int, stamp: str) -> int:
        """Take up to `wanted` units with a conditional $inc (never below zero); returns how many were taken."""
        where = {"store_id": store_id, "product_id": product_id}
        quantity = wanted
        while quantity > 0:
            taken = self.db.inventory.update_one(
                {**where, "stock_level": {"$gte": quantity}},
                {"$inc": {"stock_level": -quantity}, "$set": {"last_updated": stamp}},
                session=self.session,
            )
            if taken.matched_count:
                return quantity
            row = self.db.inventory.find_one(where, {"stock_level": 1}, session=self.session)
            quantity = min(quantity - 1, int(row["stock_level"]) if row else 0)
        return 0

    def new_order(self) -> bool:
        """An order drawn like the history (1-6 lines at catalog prices, a pro's or a homeowner's by the hour, a project
        or an errand of the season; the customer's home category is not known here): stock first, then items, then
        header."""
        store = self._store()
        now = self.clock()
        pool = self._stocked(store.store_id)
        if not len(pool):
            return False
        stamp = iso(now)
        day, weekday, hour = local_time(stamp)
        holiday = np.array([holiday_days(day, day).get(day, -1) + 1])
        lines = np.array([min(int(line_numbers(self.rng, 1)[0]), len(pool))])
        kind = np.array([KINDS.index("online" if store.is_online else "physical")])
        chance = pro_probability(lines, kind, np.array([weekday]), np.array([hour]))
        segment = np.where(self.rng.random(1) < chance, PRO, DIY)
        month = np.array([now.month - 1])
        category = self.baskets.categories(self.rng, segment, holiday, month, home=None)
        types = self.baskets.line_types(self.rng, segment, month, category, lines)
        picked = ProductPool(self.baskets, pool).pick(self.rng, types, np.zeros(len(types), dtype=np.int64))
        factor = self.baskets.quantity_factor(segment, types)
        wanted, discount, unit = draw_lines(self.rng, self.price_cents[picked], store.order_value, factor)
        buyer = self._customer(store.store_id, int(segment[0]))

        products = [self.products[p] for p in picked.tolist()]
        taken = [self._take_stock(store.store_id, p["product_id"], int(q), stamp) for p, q in zip(products, wanted)]
        kept = [k for k, q in enumerate(taken) if q]
        if not kept:
            return False
        order_id = live_order_id()
        gross, discount_cents, line_total = line_cents(unit[kept], [taken[k] for k in kept], discount[kept])
        amounts = order_cents(gross, discount_cents, [len(gross)])
        subtotal, discount_total, tax, total = (to_dollars(a[0]) for a in amounts)
        items = [
            item_document(
                live_item_id(),
                order_id,
                store.store_id,
                stamp,
                (products[k]["product_id"], products[k]["sku"], products[k]["product_name"]),
                taken[k],
                to_dollars(unit[k]),
                int(discount[k]),
                amount,
                line,
            )
            for k, amount, line in zip(kept, to_dollars(discount_cents), to_dollars(line_total))
        ]
        self.db.order_items.insert_many(items, session=self.session)
        buyer_fields = (buyer.customer_id, buyer.name, buyer.email)
        amounts = (subtotal, discount_total, tax, total)
        order = order_document(
            order_id, buyer_fields, (store.store_id, store.store_name), stamp, len(items), amounts, "pending"
        )
        self.db.orders.insert_one(order, session=self.session)
        self.open[order_id, order_id] = "pending"
        return True

    def advance_status(self) -> bool:
        """A recent open order moves on: pending -> shipped -> completed."""
        if not self.open:
            return False
        order = list(self.open)[self.rng.integers(len(self.open))]
        current = self.open.pop(order)
        moved = move_status(self.db.orders, order[0], current, NEXT_STATUS[current], self.session)
        if moved and NEXT_STATUS[current] in NEXT_STATUS:
            self.open[order] = NEXT_STATUS[current]
        return moved

    def cancel(self) -> bool:
        """A pending order is cancelled (once), then each item's quantity goes back on the shelf."""
        pending = [o for o, s in self.open.items() if s == "pending"]
        if not pending:
            return False
        key, order_id = pending[self.rng.integers(len(pending))]
        del self.open[key, order_id]
        if not move_status(self.db.orders, key, "pending", "cancelled", self.session):
            return False
        stamp = iso(datetime.now(UTC))
        items = self.db.order_items.find(
            {"order_id": order_id, **LIVE}, {"store_id": 1, "product_id": 1, "quantity": 1}, session=self.session
        )
        for item in items:
            self.db.inventory.update_one(
                {"store_id": item["store_id"], "product_id": item["product_id"]},
                {"$inc": {"stock_level": int(item["quantity"])}, "$set": {"last_updated": stamp}},
                session=self.session,
            )
        return True

    def restock(self) -> bool:
        """A delivery for one product at or below its reorder threshold: stock rises to ~3x the threshold."""
        low = self.db.inventory.find(
            {
                "store_id": {"$in": [s.store_id for s in self.stores]},
                **LIVE,
                **LOW_STOCK,
            },
            {"_id": 0, "store_id": 1, "product_id": 1, "stock_level": 1, "reorder_threshold": 1},
            session=self.session,
        )
        rows = sorted(low, key=lambda r: (r["store_id"], r["product_id"]))
        if not rows:
            return False
        row = rows[self.rng.integers(len(rows))]
        threshold = int(row["reorder_threshold"])
        delivered = self.db.inventory.update_one(
            {"store_id": row["store_id"], "product_id": row["product_id"], "stock_level": {"$lte": threshold}},
            {
                "$inc": {"stock_level": RESTOCK_FACTOR * threshold - int(row["stock_level"])},
                "$set": {"last_updated": iso(datetime.now(UTC))},
            },
            session=self.session,
        )
        return delivered.matched_count == 1

    def move(self) -> bool:
        """A product moves on the shelf: one location field ($set of location.shelf or location.bin)."""
        store = self._store()
        carried = self.carried[store.store_id]
        if not carried:
            return False
        product_id = carried[self.rng.integers(len(carried))]
        name = list(MOVABLE)[self.rng.integers(len(MOVABLE))]
        value = MOVABLE[name][self.rng.integers(len(MOVABLE[name]))]
        moved = self.db.inventory.update_one(
            {"store_id": store.store_id, "product_id": product_id},
            {"$set": {f"location.{name}": value, "last_updated": iso(datetime.now(UTC))}},
            session=self.session,
        )
        return moved.matched_count == 1


# ---------------------------------------------------------------- pacing


@dataclass
class Tally:
    """Events per kind and the seconds they took."""

    counts: Counter = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def events(self) -> int:
        return sum(self.counts.values())

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0

    def rows(self) -> list[tuple[str, int]]:
        kinds = list(EVENT_WEIGHTS) + ([IDLE] if self.counts[IDLE] else [])
        return [(k, self.counts[k]) for k in kinds]

    def line(self) -> str:
        return f"{self.rate:5.1f} events/s  " + "  ".join(f"{k} {n:,}" for k, n in self.rows())


def run(
    step: Callable[[], str],
    rate: float,
    duration: float,
    stopping: Callable[[], bool],
    report: Callable[[Tally], None] | None = None,
) -> Tally:
    """Call step() `rate` times a second on a monotonic schedule for `duration` s (0: until stopping())."""
    tally = Tally()
    start = due = last_report = time.monotonic()
    end = start + duration if duration else float("inf")
    while not stopping():
        now = time.monotonic()
        if now >= end:
            break
        if now < due:
            time.sleep(min(due - now, end - now, 0.1))
            continue
        tally.counts[step()] += 1
        now = time.monotonic()
        due = max(due + 1 / rate, now - MAX_BACKLOG_S)
        if report and now - last_report >= REPORT_EVERY_S:
            tally.seconds, last_report = now - start, now
            report(tally)
    tally.seconds = time.monotonic() - start
    return tally


def uses_transactions(client: MongoClient) -> bool:
    """Whether events run in transactions: real MongoDB as a replica set or a sharded cluster.

    The local server accepts transactions, but a client killed inside one leaves its writes in place."""
    return not server_info(client).is_local and topology(client) in ("replica set", "mongos")


class StopRequest:
    """Set by the first stop signal; called, says whether to stop. exit_code: 128 + the signal (0 when none)."""

    def __init__(self) -> None:
        self.signum: int | None = None

    def __call__(self) -> bool:
        return self.signum is not None

    @property
    def exit_code(self) -> int:
        return 128 + self.signum if self.signum else 0

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name if self.signum else ""


@contextmanager
def stop_on_signals() -> Iterator[StopRequest]:
    """Ctrl-C (SIGINT), SIGTERM or SIGHUP asks to stop after the current event; a second one stops at once."""
    request = StopRequest()

    def handler(signum: int) -> None:
        if request():
            raise KeyboardInterrupt
        request.signum = signum

    with on_signals(STOP_SIGNALS, handler):
        yield request
