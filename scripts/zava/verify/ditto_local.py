"""Load one store manager's data into a local Ditto store and check its DQL answers against MongoDB.

The store manager's app holds what it subscribes to (dql.SUBSCRIPTIONS): its store's inventory, its
recent orders and their items, the catalog (every store, category, product type and live product).
Each read check runs a query's DQL (translated from its typed calls) in Ditto and compares the rows
with MongoDB's answer to the same calls over the same documents, converted to Ditto's form; each
write check runs one of dql.UPDATES and reads the changed documents back.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.database import Database

from zava.ditto.dql import UPDATES
from zava.ditto.local_store import LocalStore, to_ditto
from zava.ditto.translate import columns, core, order_by, query_statements
from zava.errors import ConfigError, KitError
from zava.model.ids import live_item_id, live_order_id
from zava.model.money import line_cents, order_cents, to_cents, to_dollars
from zava.model.rules import LIVE
from zava.model.timestamps import iso
from zava.reads.calls import Aggregate, Call, Find, FindOne, bind, params_in, run_call
from zava.reads.queries import QUERIES, Params, time_windows

PRECISION = 6  # decimals compared: sums of the same prices may differ in the last bits between engines


@dataclass(frozen=True)
class Subset:
    """The documents the app holds: one store's orders on or after `since`, and everything it subscribes to."""

    store_id: str
    since: str

    def filters(self) -> dict[str, dict]:
        recent = {"store_id": self.store_id, "order_date": {"$gte": self.since}}
        return {
            "stores": {},
            "categories": {},
            "product_types": {},
            "products": dict(LIVE),
            "inventory": {"store_id": self.store_id, **LIVE},
            "orders": recent,
            "order_items": recent,
        }


def choose_subset(db: Database, store_id: str, days: int, orders: int | None) -> Subset:
    """The store's orders of the last `days` days before its latest order, at most about `orders` of them."""
    latest = db.orders.find_one({"store_id": store_id}, {"order_date": 1}, sort=[("order_date", -1)])
    if latest is None:
        if db.stores.find_one({"store_id": store_id}) is None:
            known = ", ".join(sorted(s["store_id"] for s in db.stores.find({}, {"store_id": 1})))
            raise ConfigError(f"--store {store_id}: no such store (choose from: {known or 'none loaded'})")
        raise KitError(f"{store_id} has no orders: run python scripts/generate_mongodb_data.py first")
    since = iso(datetime.fromisoformat(latest["order_date"].replace("Z", "+00:00")) - timedelta(days=days))
    if orders:
        recent = {"store_id": store_id, "order_date": {"$gte": since}}
        nth = list(db.orders.find(recent, {"order_date": 1}).sort("order_date", -1).skip(orders - 1).limit(1))
        since = max(since, nth[0]["order_date"]) if nth else since
    return Subset(store_id, since)


def read_subset(db: Database, subset: Subset) -> dict[str, list[dict]]:
    """Every document of the subset from MongoDB, in Ditto's form."""
    return {name: [to_ditto(name, d) for d in db[name].find(f)] for name, f in subset.filters().items()}


# ---------------------------------------------------------------- checks


@dataclass(frozen=True)
class Check:
    name: str
    dql: str | tuple[str, ...]  # one statement, or several: one execute call each
    args: dict[str, Any]
    expected: Callable[[], list[dict]]  # MongoDB's rows over the subset, in Ditto's form
    order: Callable[[dict], Any] | None = None  # the DQL's ORDER BY: Ditto's rows must follow it
    read_back: tuple[str | tuple[str, ...], dict[str, Any]] | None = None  # writes: the SELECTs compared


@dataclass
class Outcome:
    name: str
    ditto_rows: int = 0
    mongo_rows: int = 0
    ms: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def match(self) -> bool:
        return not self.problems


def _params(db: Database, subset: Subset) -> Params:
    """Query parameters from the subset: its latest order and customer, the first SKU and aisle."""
    recent = subset.filters()["orders"]
    latest = db.orders.find_one(recent, sort=[("order_date", -1), ("order_id", -1)])
    slot = db.inventory.find_one(subset.filters()["inventory"], {"location": 1}, sort=[("product_id", 1)])
    product = db.products.find_one(LIVE, {"sku": 1}, sort=[("sku", 1)])
    if latest is None or slot is None or product is None:
        raise KitError(f"no orders, inventory or products for {subset.store_id} since {subset.since}")
    return Params(
        store_id=subset.store_id,
        sku=product["sku"],
        order_id=latest["order_id"],
        customer_id=latest["customer_id"],
        aisle=slot["location"]["aisle"],
        **{name: max(subset.since, start) for name, start in time_windows(latest["order_date"]).items()},
    )


def within(call: Call, held: Mapping[str, Any]) -> Call:
    """The call over the documents an app holds: `held` (a filter) joined to the call's own filter."""
    if not held:
        return call
    if isinstance(call, (FindOne, Find)):
        return replace(call, filter=_and(held, call.filter))
    pipeline = list(call.pipeline)
    if pipeline and "$match" in pipeline[0]:
        pipeline[0] = {"$match": _and(held, pipeline[0]["$match"])}
    else:
        pipeline.insert(0, {"$match": dict(held)})
    return replace(call, pipeline=pipeline)


def _and(first: Mapping[str, Any], second: Mapping[str, Any]) -> dict[str, Any]:
    """Both filters: merged where they share no field with different conditions, else $and."""
    if all(first[k] == second[k] for k in first.keys() & second.keys()):
        return {**first, **second}
    return {"$and": [dict(first), dict(second)]}


def _mongo_rows(db: Database, call: Call, held: dict[str, Any]) -> list[dict]:
    """MongoDB's rows for a bound DQL core call over the documents the app holds, under the DQL's columns."""
    found = run_call(db, within(call, held))
    rows = [] if found is None else [found] if isinstance(found, dict) else found
    if isinstance(call, Aggregate):
        return [columns(call, row) for row in rows]
    return [to_ditto(call.collection, row) for row in rows]


def _expected(db: Database, calls: list[Call], p: Params, held: dict[str, dict]) -> Callable[[], list[dict]]:
    return lambda: [row for call in calls for row in _mongo_rows(db, bind(call, p), held[call.collection])]


def _ordering(calls: list[Call]) -> Callable[[dict], Any] | None:
    """The values of the DQL's ORDER BY columns in a row (the rows of several statements follow each other)."""
    paths = list(dict.fromkeys(path for call in calls for path, _ in order_by(call)))
    if not paths:
        return None

    def values(row: dict) -> tuple:
        out = []
        for path in paths:
            value: Any = row
            for part in path.split("."):
                value = value.get(part) if isinstance(value, dict) else None
            out.append(round(value, PRECISION) if isinstance(value, float) else value)
        return tuple(out)

    return values


def read_checks(db: Database, subset: Subset, p: Params) -> list[Check]:
    """The sample queries an app of this role can answer from its local data: each query's DQL in Ditto,
    and its own DQL calls (translate.core) run against MongoDB over the same documents."""
    held = subset.filters()
    run = []
    for query in QUERIES:
        calls = [core(call) for call in query.ditto_calls()]
        if any(call.collection not in held for call in calls):
            continue
        run.append(
            Check(
                query.name,
                query_statements(query),
                {name: getattr(p, name) for name in params_in(calls)},
                _expected(db, calls, p, held),
                order=_ordering(calls),
            )
        )
    return run


def one_line_order(item: dict[str, Any]) -> dict[str, float]:
    """The money fields of an order whose one line is `item` (its price, quantity and discount)."""
    gross, discount, _ = line_cents(to_cents(item["unit_price"]), item["quantity"], item["discount_percent"])
    amounts = order_cents(gross.reshape(1), discount.reshape(1), [1])
    return {f: to_dollars(int(a[0])) for f, a in zip(("subtotal", "discount_total", "tax", "total"), amounts)}


def write_checks(db: Database, subset: Subset, p: Params) -> list[Check]:
    """dql.UPDATES with concrete arguments; each is read back and compared with the MongoDB document it changes."""
    f, now = subset.filters(), iso(datetime.now(UTC))
    first, second = [
        to_ditto("inventory", d) for d in db.inventory.find(f["inventory"], sort=[("product_id", 1)], limit=2)
    ]
    order = to_ditto("orders", db.orders.find_one({"order_id": p.order_id}))
    item = to_ditto("order_items", db.order_items.find_one({"order_id": p.order_id}, sort=[("_id", 1)]))
    product = to_ditto("products", db.products.find_one({"sku": p.sku}))
    new_id = live_order_id()
    stamps = {"order_date": now, "created_at": now}
    new_order = {**order, "_id": new_id, "order_id": new_id, **stamps, "updated_at": now, "status": "pending"}
    new_order.update(item_count=1, **one_line_order(item))
    new_item = {**item, "_id": live_item_id(), "order_id": new_id, **stamps}
    move = {"aisle": "99", "shelf": "Z", "bin": "99"}
    status = "shipped" if order["status"] == "pending" else "completed"

    def read(collection: str) -> str:
        return f"SELECT * FROM {collection} WHERE _id = :id"

    return [
        Check(
            "stock_decrement",
            UPDATES["stock_decrement"].dql,
            {"new_level": first["stock_level"] - 1, "now": now, "inventory_id": first["_id"]},
            lambda: [{**first, "stock_level": first["stock_level"] - 1, "last_updated": now}],
            read_back=(read("inventory"), {"id": first["_id"]}),
        ),
        Check(
            "location_move",
            UPDATES["location_move"].dql,
            {**move, "now": now, "inventory_id": second["_id"]},
            lambda: [{**second, "location": {**second["location"], **move}, "last_updated": now}],
            read_back=(read("inventory"), {"id": second["_id"]}),
        ),
        Check(
            "order_status",
            UPDATES["order_status"].dql,
            {"status": status, "now": now, "order_id": order["_id"]},
            lambda: [{**order, "status": status, "updated_at": now}],
            read_back=(read("orders"), {"id": order["_id"]}),
        ),
        Check(
            "soft_delete",
            UPDATES["soft_delete"].dql,
            {"now": now, "product_id": product["_id"]},
            lambda: [{**product, "deleted": True, "deleted_at": now, "updated_at": now}],
            read_back=(read("products"), {"id": product["_id"]}),
        ),
        Check(
            "new_order",
            UPDATES["new_order"].statements,
            {"order": new_order, "item": new_item},
            lambda: [new_order, new_item],
            read_back=((read("orders"), "SELECT * FROM order_items WHERE order_id = :id"), {"id": new_id}),
        ),
    ]


# ---------------------------------------------------------------- comparing


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, PRECISION)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def _canonical(rows: list[dict]) -> Counter[str]:
    return Counter(json.dumps(_rounded(r), sort_keys=True) for r in rows)


def _changes(ditto: Any, mongo: Any, path: str = "") -> list[tuple[str, Any, Any]]:
    """Every path where two rows differ (a type counts: 1 is not 1.0)."""
    if isinstance(ditto, dict) and isinstance(mongo, dict):
        keys = sorted(ditto.keys() | mongo.keys())
        return [c for k in keys for c in _changes(ditto.get(k), mongo.get(k), f"{path}.{k}" if path else k)]
    return [] if type(ditto) is type(mongo) and ditto == mongo else [(path, ditto, mongo)]


def difference(ditto: list[dict], mongo: list[dict], order: Callable[[dict], Any] | None) -> str | None:
    """How Ditto's rows differ from MongoDB's (as a multiset, then in ORDER BY order); None when they agree."""
    got, want = _canonical(ditto), _canonical(mongo)
    extra, missing = got - want, want - got
    if not extra and not missing:
        in_order = not order or [order(r) for r in ditto] == [order(r) for r in mongo]
        return None if in_order else "the rows are not in the ORDER BY order"
    counts = f"Ditto-only rows: {extra.total()}, MongoDB-only rows: {missing.total()}"
    if not extra or not missing:
        return f"{counts}, e.g. {next(iter(extra or missing))[:200]}"
    row = json.loads(next(iter(extra)))
    closest = min((_changes(row, json.loads(m)) for m in missing), key=len)
    path, in_ditto, in_mongo = closest[0]
    return f"{counts}; closest pair differs at {path}: Ditto {in_ditto!r}, MongoDB {in_mongo!r}"


async def _run_statements(
    store: LocalStore, dql: str | tuple[str, ...], args: dict[str, Any]
) -> tuple[list[dict], int]:
    rows, mutated = [], 0
    for statement in (dql,) if isinstance(dql, str) else dql:
        found, changed = await store.execute(statement, args)
        rows += found
        mutated += changed
    return rows, mutated


async def run_check(store: LocalStore, check: Check) -> Outcome:
    """Run one check in Ditto and compare; a statement Ditto refuses is a failed check, not a crash."""
    outcome = Outcome(check.name)
    try:
        began = time.perf_counter()
        rows, mutated = await _run_statements(store, check.dql, check.args)
        outcome.ms = (time.perf_counter() - began) * 1000
        if check.read_back:
            rows, _ = await _run_statements(store, *check.read_back)
    except KitError as exc:
        outcome.problems.append(str(exc))
        return outcome
    expected = check.expected()
    outcome.ditto_rows, outcome.mongo_rows = len(rows), len(expected)
    if check.read_back and mutated != len(expected):
        outcome.problems.append(f"Ditto changed {mutated} documents, expected {len(expected)}")
    mismatch = difference(rows, expected, check.order)
    if mismatch:
        outcome.problems.append(mismatch)
    return outcome


def checks(db: Database, subset: Subset) -> list[Check]:
    """Every read check, then the writes (they change documents the reads look at)."""
    params = _params(db, subset)
    return read_checks(db, subset, params) + write_checks(db, subset, params)


def unchecked(run: list[Check]) -> list[str]:
    """Sample queries this role cannot answer from its local data (customers are not in its subscriptions)."""
    names = {c.name for c in run}
    return [q.name for q in QUERIES if q.name not in names]


async def load(
    store: LocalStore, docs: dict[str, list[dict]], batch: int, progress: Callable[[int], object]
) -> list[tuple[str, int, float]]:
    """Replace the role's collections in the local store; (collection, documents, seconds in Ditto) each."""
    rows = []
    for collection, batch_docs in docs.items():
        await store.evict(collection)
        rows.append((collection, len(batch_docs), await store.insert(collection, batch_docs, batch, progress)))
    return rows
