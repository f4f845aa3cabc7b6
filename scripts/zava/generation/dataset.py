"""Every document of the dataset, drawn in bulk with numpy and streamed in chunks.

Each part of the dataset draws from its own generator, keyed by the seed and the part
(and the chunk number for order items), so the same seed, sizes and dates give the same
documents whatever the insert batch size.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from faker.providers.person.en_US import Provider as Names

from zava.catalog.embeddings import EmbeddingProvider, catalog_embedder, embed_products, product_text
from zava.catalog.loader import Catalog
from zava.generation.baskets import Baskets, ProductPool
from zava.generation.calendar import DAY, hour_slots
from zava.generation.distributions import STORE_ORDER_WEIGHT, draw_lines, line_numbers, pick_rows, weighted
from zava.generation.seeds import rng_for
from zava.generation.shoppers import draw_shoppers
from zava.model.ids import CUSTOMER_ID, ORDER_ID, uuid4_strings
from zava.model.money import line_cents, order_cents, to_dollars
from zava.model.orders import item_document, order_document
from zava.model.reference import ONLINE_ASSORTMENT, STORES, year_weight
from zava.model.rhythms import KINDS
from zava.model.rules import ORDER_STATUSES
from zava.model.shoppers import DIY, PRO, SEGMENT_NAMES, pro_probability
from zava.model.timestamps import iso, iso_array
from zava.settings import Config

Batch = tuple[str, list[dict]]
ORDER_CHUNK = 5_000  # orders per generation chunk (fixed: part of what the seed means)
CUSTOMER_CHUNK = 5_000
# status probabilities by order age: under 3 days, under 14 days, older
STATUS_BY_AGE = np.array(
    [
        [0.60, 0.35, 0.00, 0.05, 0.00],
        [0.05, 0.40, 0.50, 0.04, 0.01],
        [0.00, 0.00, 0.94, 0.03, 0.03],
    ]
)
EMAIL_DOMAINS = ("example.com", "example.net", "example.org", "mail.example.com")
AREA_CODES = {
    "Seattle": (206,),
    "Bellevue": (425,),
    "Tacoma": (253,),
    "Spokane": (509,),
    "Everett": (425,),
    "Redmond": (425,),
    "Kirkland": (425,),
}
ONLINE_AREA_CODES = (206, 425, 253, 360, 509)
INVENTORY_NOTES = (
    "",
    "Display model on endcap",
    "Overstock in back room",
    "Check packaging for damage",
    "Seasonal feature shelf",
    "Counted twice, verified",
)

CATALOG_COLLECTIONS = ("stores", "categories", "product_types", "products", "product_embeddings")

# the random streams: one per part of the dataset
CUSTOMERS, INVENTORY, ORDERS, ITEMS, ASSORTMENT, LINES, DAYS, SHOPPERS = 1, 2, 3, 4, 5, 6, 7, 8


@dataclass(frozen=True)
class Task:
    """One unit of work: the catalog, the inventory, or a chunk of customers or orders (numbers first..stop-1)."""

    kind: str  # catalog, customers, inventory, orders
    chunk: int = 0
    first: int = 0
    stop: int = 0


@dataclass(frozen=True)
class DatasetSpec:
    """What to generate: sizes, time window and seed."""

    customers: int
    orders: int
    start: datetime
    end: datetime
    seed: int

    @classmethod
    def from_config(cls, config: Config) -> DatasetSpec:
        return cls(config.customers, config.orders, config.start, config.end, config.seed)


def _email(first: str, last: str, number: int, domain: str) -> str:
    """first.last (letters only), the customer number, a reserved domain."""
    handle = "".join(ch for ch in f"{first}.{last}".lower() if ch.isalpha() or ch == ".")
    return f"{handle}{number}@{domain}"


def _month_index(seconds: np.ndarray) -> np.ndarray:
    return seconds.astype("datetime64[s]").astype("datetime64[M]").astype(np.int64) % 12


class Dataset:
    """The whole dataset for one spec; `batches()` streams its documents."""

    def __init__(self, spec: DatasetSpec, catalog: Catalog, embedder: EmbeddingProvider | None = None) -> None:
        self.spec = spec
        self.catalog = catalog
        self.embedder = embedder or catalog_embedder(catalog)
        self.start_s = int(spec.start.timestamp())
        self.end_s = int(spec.end.timestamp())
        self.products = catalog.products
        self.product_names = [(p.product_id, p.sku, p.product_name) for p in self.products]
        self.category_ids = [c.category_id for c in catalog.categories]
        self.product_category = np.array([self.category_ids.index(p.category_id) for p in self.products])
        self.baskets = Baskets(catalog)
        self.price_cents = self.baskets.price_cents
        self.online_store = [s.is_online for s in STORES].index(True)
        self.online_products = self._online_assortment()
        # what physical stores and the online store sell
        self.product_pools = [
            ProductPool(self.baskets, pool) for pool in (np.arange(len(self.products)), self.online_products)
        ]
        self._draw_customers()
        self._draw_orders()

    # ------------------------------------------------------------ planning

    def _online_assortment(self) -> np.ndarray:
        """ONLINE_ASSORTMENT products, spread over categories in proportion to their size."""
        rng = rng_for(self.spec.seed, ASSORTMENT)
        sizes = np.bincount(self.product_category, minlength=len(self.category_ids))
        want = min(ONLINE_ASSORTMENT, len(self.products))
        quota = np.floor(sizes * want / sizes.sum()).astype(int)
        remainder = sizes * want / sizes.sum() - quota
        quota[np.argsort(-remainder, kind="stable")[: want - quota.sum()]] += 1
        chosen = [rng.permutation(np.flatnonzero(self.product_category == c))[:q] for c, q in enumerate(quota)]
        return np.sort(np.concatenate(chosen))

    def _draw_customers(self) -> None:
        n = self.spec.customers
        rng = rng_for(self.spec.seed, CUSTOMERS)
        first_names, first_w = list(Names.first_names), np.array(list(Names.first_names.values()))
        last_names, last_w = list(Names.last_names), np.array(list(Names.last_names.values()))
        self.first = [first_names[i] for i in weighted(rng, first_w, n).tolist()]
        self.last = [last_names[i] for i in weighted(rng, last_w, n).tolist()]
        self.primary = weighted(rng, np.array([s.customer_weight for s in STORES], dtype=float), n)
        self.customer_created = rng.integers(self.start_s - 3 * 365 * DAY, self.start_s, size=n)
        self.customer_updated = self.customer_created + rng.integers(0, 200 * DAY, size=n)
        self.customer_updated = np.minimum(self.customer_updated, self.start_s)
        self.domain = rng.integers(0, len(EMAIL_DOMAINS), size=n)
        self.emails = [_email(self.first[i], self.last[i], i + 1, EMAIL_DOMAINS[d]) for i, d in enumerate(self.domain)]
        self.phone_exchange = rng.integers(201, 990, size=n)
        self.phone_line = rng.integers(0, 10_000, size=n)
        self.phone_area_pick = rng.integers(0, 1_000, size=n)
        self.shoppers = draw_shoppers(
            rng_for(self.spec.seed, SHOPPERS), self.primary, len(STORES), self.category_ids, self.last
        )

    def _draw_orders(self) -> None:
        """Orders per day (year growth x overall seasonality x the week and the holidays) and lines per order;
        the rest is drawn per chunk."""
        n = self.spec.orders
        self.days = np.arange(self.start_s, self.end_s, DAY)
        self.slots = hour_slots(self.days)
        self.store_kind = np.array([KINDS.index("online" if s.is_online else "physical") for s in STORES])
        self.store_day = STORE_ORDER_WEIGHT * self.slots.weight.sum(axis=2)[:, self.store_kind]  # (day, store)
        years = self.days.astype("datetime64[s]").astype("datetime64[Y]").astype(int) + 1970
        month_total = self.baskets.seasons.sum(axis=1)  # all categories' multipliers, per month
        day_weight = np.array([year_weight(y) for y in years.tolist()]) * month_total[_month_index(self.days)]
        day_weight *= self.store_day.sum(axis=1)
        per_day = rng_for(self.spec.seed, ORDERS).multinomial(n, day_weight / day_weight.sum())
        self.day_end = np.cumsum(per_day)  # orders numbered below day_end[d] fall on day d or earlier
        self.order_lines = np.concatenate(
            [np.zeros(0, dtype=np.int8)]
            + [
                (line_numbers(rng_for(self.spec.seed, LINES, chunk), min(ORDER_CHUNK, n - first))).astype(np.int8)
                for chunk, first in enumerate(range(0, n, ORDER_CHUNK))
            ]
        )

    def _day_orders(self, day: int) -> tuple[np.ndarray, ...]:
        """Store, time, holiday, local weekday and local hour of every order of one UTC day, in time order: the
        store by its share of the day, the hour by its kind's weight in each hour of the day."""
        count = int(self.day_end[day] - (self.day_end[day - 1] if day else 0))
        rng = rng_for(self.spec.seed, DAYS, day)
        store = weighted(rng, self.store_day[day], count)
        cum = np.cumsum(self.slots.weight[day], axis=1)
        cum /= cum[:, -1:]
        hour = pick_rows(rng, cum[self.store_kind[store]])
        seconds = hour * 3600 + rng.integers(0, 3600, size=count)
        order = np.argsort(seconds, kind="stable")
        hour = hour[order]
        slots = self.slots
        return (
            store[order],
            self.days[day] + seconds[order],
            slots.holiday[day, hour],
            slots.weekday[day, hour],
            slots.hour[day, hour],
        )

    def _order_skeleton(self, chunk: int, first: int, stop: int) -> tuple[np.ndarray, ...]:
        """Store, time, holiday, segment, customer and status of orders first..stop."""
        first_day = int(np.searchsorted(self.day_end, first, side="right"))
        last_day = int(np.searchsorted(self.day_end, stop - 1, side="right"))
        parts = []
        for day in range(first_day, last_day + 1):
            day_first = int(self.day_end[day - 1]) if day else 0
            take = slice(max(first - day_first, 0), min(stop - day_first, int(self.day_end[day]) - day_first))
            parts.append([column[take] for column in self._day_orders(day)])
        store, when, holiday, weekday, hour = (np.concatenate(column) for column in zip(*parts))
        rng = rng_for(self.spec.seed, ORDERS, chunk)
        lines = self.order_lines[first:stop].astype(np.int64)
        chance = pro_probability(lines, self.store_kind[store], weekday, hour)
        segment = np.where(rng.random(len(store)) < chance, PRO, DIY)
        customer = self.shoppers.pick(rng, store, segment)
        age = self.end_s - when
        bracket = np.where(age < 3 * DAY, 0, np.where(age < 14 * DAY, 1, 2))
        status = pick_rows(rng, np.cumsum(STATUS_BY_AGE, axis=1)[bracket])
        return store, when, holiday, segment, customer, status

    def expected_counts(self) -> dict[str, int]:
        physical = sum(not s.is_online for s in STORES)
        return {
            "stores": len(STORES),
            "categories": len(self.catalog.categories),
            "product_types": len(self.catalog.product_types),
            "products": len(self.products),
            "product_embeddings": len(self.products),
            "customers": self.spec.customers,
            "inventory": physical * len(self.products) + len(self.online_products),
            "orders": self.spec.orders,
            "order_items": int(self.order_lines.sum(dtype=np.int64)),
        }

    # ------------------------------------------------------------ documents

    def tasks(self) -> list[Task]:
        """The units of work, in output order: the catalog, customer chunks, inventory, order chunks."""
        customers = [
            Task("customers", chunk, first, min(first + CUSTOMER_CHUNK, self.spec.customers))
            for chunk, first in enumerate(range(0, self.spec.customers, CUSTOMER_CHUNK))
        ]
        orders = [
            Task("orders", chunk, first, min(first + ORDER_CHUNK, self.spec.orders))
            for chunk, first in enumerate(range(0, self.spec.orders, ORDER_CHUNK))
        ]
        return [Task("catalog"), *customers, Task("inventory"), *orders]

    def run(self, task: Task) -> list[Batch]:
        """The documents of one task, collection by collection."""
        if task.kind == "catalog":
            return [
                ("stores", self.stores()),
                ("categories", self.categories()),
                ("product_types", self.product_types()),
                ("products", self.product_docs()),
                ("product_embeddings", self.embedding_docs()),
            ]
        if task.kind == "customers":
            return [("customers", self.customer_docs(task.first, task.stop))]
        if task.kind == "inventory":
            return [("inventory", self.inventory_docs())]
        orders, items = self.order_docs(task.chunk, task.first, task.stop)
        return [("orders", orders), ("order_items", items)]

    def task_counts(self, task: Task) -> dict[str, int]:
        """How many documents of each collection one task writes."""
        if task.kind == "catalog":
            return {name: n for name, n in self.expected_counts().items() if name in CATALOG_COLLECTIONS}
        if task.kind == "inventory":
            return {"inventory": self.expected_counts()["inventory"]}
        if task.kind == "customers":
            return {"customers": task.stop - task.first}
        items = int(self.order_lines[task.first : task.stop].sum(dtype=np.int64))
        return {"orders": task.stop - task.first, "order_items": items}

    def counts_of(self, tasks: list[Task]) -> dict[str, int]:
        """How many documents of each collection these tasks write."""
        totals: dict[str, int] = {}
        for task in tasks:
            for name, n in self.task_counts(task).items():
                totals[name] = totals.get(name, 0) + n
        return totals

    def batches(self) -> Iterator[Batch]:
        """Every document, collection by collection, in chunks."""
        for task in self.tasks():
            yield from self.run(task)

    def _catalog_time(self, days_before_start: int) -> str:
        return iso(self.spec.start - timedelta(days=days_before_start))

    def stores(self) -> list[dict]:
        docs = []
        for i, s in enumerate(STORES):
            location = {"city": s.city, "state": "WA", "zip": s.zip, "latitude": s.latitude, "longitude": s.longitude}
            if s.address:
                location = {"address": s.address, **location}
            docs.append(
                {
                    "_id": s.store_id,
                    "store_id": s.store_id,
                    "store_name": s.store_name,
                    "rls_user_id": s.rls_user_id,
                    "is_online": s.is_online,
                    "location": location,
                    "created_at": self._catalog_time(1500 - 120 * i),
                    "deleted": False,
                }
            )
        return docs

    def categories(self) -> list[dict]:
        return [
            {
                "_id": c.category_id,
                "category_id": c.category_id,
                "category_name": c.category_name,
                "seasonal_multipliers": dict(c.seasonal_multipliers),
                "created_at": self._catalog_time(1400),
                "deleted": False,
            }
            for c in self.catalog.categories
        ]

    def product_types(self) -> list[dict]:
        return [
            {
                "_id": t.type_id,
                "type_id": t.type_id,
                "type_name": t.type_name,
                "category_id": t.category_id,
                "created_at": self._catalog_time(1400),
                "deleted": False,
            }
            for t in self.catalog.product_types
        ]

    def product_docs(self) -> list[dict]:
        created, updated = self._catalog_time(1300), self._catalog_time(30)
        return [
            {
                "_id": p.product_id,
                "product_id": p.product_id,
                "sku": p.sku,
                "product_name": p.product_name,
                "category_id": p.category_id,
                "type_id": p.type_id,
                "cost": p.cost,
                "base_price": p.base_price,
                "gross_margin_percent": 33.0,
                "product_description": p.description,
                "image_url": f"https://images.zava-diy.example/products/{p.sku.lower()}.jpg",
                "specifications": dict(p.specifications),
                "created_at": created,
                "updated_at": updated,
                "deleted": False,
            }
            for p in self.products
        ]

    def embedding_docs(self) -> list[dict]:
        vectors = np.round(embed_products(self.embedder, list(self.products), self.catalog), 6)
        created = self._catalog_time(30)
        return [
            {
                "_id": p.product_id,
                "product_id": p.product_id,
                "description_embedding": v,
                "embedding_model": self.embedder.model,
                "dimensions": self.embedder.dimensions,
                "search_text": product_text(p, self.catalog),
                "created_at": created,
                "deleted": False,
            }
            for p, v in zip(self.products, vectors.tolist())
        ]

    def customer_docs(self, first: int, stop: int) -> list[dict]:
        docs = []
        created, updated = iso_array(self.customer_created[first:stop]), iso_array(self.customer_updated[first:stop])
        for k, i in enumerate(range(first, stop)):
            store = STORES[self.primary[i]]
            codes = AREA_CODES.get(store.city, ONLINE_AREA_CODES) if not store.is_online else ONLINE_AREA_CODES
            area = codes[self.phone_area_pick[i] % len(codes)]
            docs.append(
                {
                    "_id": CUSTOMER_ID(i + 1),
                    "customer_id": CUSTOMER_ID(i + 1),
                    "first_name": self.first[i],
                    "last_name": self.last[i],
                    "email": self.emails[i],
                    "phone": f"({area}) {self.phone_exchange[i]:03d}-{self.phone_line[i]:04d}",
                    "primary_store_id": store.store_id,
                    "segment": SEGMENT_NAMES[self.shoppers.segment[i]],
                    **({"company_name": self.shoppers.company[i]} if self.shoppers.company[i] else {}),
                    "created_at": created[k],
                    "updated_at": updated[k],
                    "deleted": False,
                }
            )
        return docs

    def inventory_docs(self) -> list[dict]:
        rng = rng_for(self.spec.seed, INVENTORY)
        type_ids = [t.type_id for t in self.catalog.product_types]
        product_type = np.array([type_ids.index(p.type_id) for p in self.products])
        typical = np.clip(np.round(500 / np.sqrt(self.price_cents / 100)), 4, 240)
        docs = []
        for store in STORES:
            rows = self.online_products if store.is_online else np.arange(len(self.products))
            n = len(rows)
            aisle_of_type = rng.permutation(len(type_ids)) + 1
            level = typical[rows] * (3 if store.is_online else 1)
            threshold = np.maximum(2, np.round(level * 0.3)).astype(np.int64)
            stock = rng.poisson(level)
            low = rng.random(n) < 0.07
            stock = np.where(low, rng.integers(0, threshold + 1), np.maximum(stock, threshold + 1))
            counted = self.end_s - rng.integers(DAY, 90 * DAY, size=n)
            updated = np.minimum(counted + rng.integers(0, 30 * DAY, size=n), self.end_s - 1)
            shelf = rng.integers(0, 6, size=n)
            bin_no = rng.integers(1, 25, size=n)
            note = np.where(rng.random(n) < 0.1, rng.integers(1, len(INVENTORY_NOTES), size=n), 0)
            counted_s, updated_s = iso_array(counted), iso_array(updated)
            prefix = "W" if store.is_online else ""
            for k, p in enumerate(rows.tolist()):
                product_id = self.products[p].product_id
                docs.append(
                    {
                        "_id": {"store_id": store.store_id, "product_id": product_id},
                        "store_id": store.store_id,
                        "product_id": product_id,
                        "location": {
                            "aisle": f"{prefix}{aisle_of_type[product_type[p]]:02d}",
                            "shelf": "ABCDEF"[shelf[k]],
                            "bin": f"{bin_no[k]:02d}",
                        },
                        "stock_level": int(stock[k]),
                        "reorder_threshold": int(threshold[k]),
                        "last_updated": updated_s[k],
                        "last_counted": counted_s[k],
                        "notes": INVENTORY_NOTES[note[k]],
                        "deleted": False,
                    }
                )
        return docs

    def order_docs(self, chunk: int, first: int, stop: int) -> tuple[list[dict], list[dict]]:
        """Orders first..stop and their items, with totals to the cent."""
        store, when, holiday, segment, customer, status = self._order_skeleton(chunk, first, stop)
        rng = rng_for(self.spec.seed, ITEMS, chunk)
        lines = self.order_lines[first:stop].astype(np.int64)
        month = _month_index(when)
        baskets = self.baskets
        category = baskets.categories(rng, segment, holiday, month, self.shoppers.home[customer])
        types = baskets.line_types(rng, segment, month, category, lines)
        owner = np.repeat(np.arange(stop - first), lines)
        m = len(owner)
        online = store[owner] == self.online_store
        product = np.empty(m, dtype=np.int64)
        for pool, mask in zip(self.product_pools, (~online, online)):
            product[mask] = pool.pick(rng, types[mask], owner[mask])
        value = np.array([s.order_value for s in STORES])[store[owner]]
        factor = baskets.quantity_factor(segment[owner], types)
        quantity, discount, unit = draw_lines(rng, self.price_cents[product], value, factor)
        gross, discount_amount, line = line_cents(unit, quantity, discount)
        subtotal, discount_total, tax, total = order_cents(gross, discount_amount, lines)
        item_ids = uuid4_strings(rng, m)

        dates = iso_array(when)
        order_ids = [ORDER_ID(i + 1) for i in range(first, stop)]
        customers = customer.tolist()
        names = self.product_names
        stores = [(s.store_id, s.store_name) for s in STORES]
        buyers = [(CUSTOMER_ID(c + 1), f"{self.first[c]} {self.last[c]}", self.emails[c]) for c in customers]
        orders = [
            order_document(oid, buyer, stores[s], d, n, amounts, ORDER_STATUSES[st])
            for oid, buyer, s, d, n, st, *amounts in zip(
                order_ids,
                buyers,
                store.tolist(),
                dates,
                lines.tolist(),
                status.tolist(),
                to_dollars(subtotal),
                to_dollars(discount_total),
                to_dollars(tax),
                to_dollars(total),
            )
        ]
        items = [
            item_document(uid, order_ids[o], stores[store[o]][0], dates[o], names[p], q, u, d, a, t)
            for uid, o, p, q, u, d, a, t in zip(
                item_ids,
                owner.tolist(),
                product.tolist(),
                quantity.tolist(),
                to_dollars(unit),
                discount.tolist(),
                to_dollars(discount_amount),
                to_dollars(line),
            )
        ]
        return orders, items
