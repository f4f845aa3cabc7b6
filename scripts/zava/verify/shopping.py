"""How people shop in a loaded dataset: revenue concentration, segments, baskets (type pairs by lift) and regulars,
beside the targets of zava.model.shoppers.

Fed one order at a time with its lines; what it keeps grows with the customers and the product types, never
with the orders. Revenue is the totals of orders that earn it (zava.model.rules), shared over all customers
(those without orders count as zero).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from zava.model.rhythms import local_hour
from zava.model.rules import earns_revenue
from zava.model.shoppers import (
    CHECKED_PAIR,
    ONE_TIME_BUYERS,
    PAIR_MIN_ORDERS,
    PRO,
    PRO_CUSTOMERS,
    PRO_MORNINGS,
    PRO_REVENUE,
    REGULAR_ORDERS,
    REGULAR_RATIO,
    SEGMENT_NAMES,
    STRONG_LIFT,
    STRONG_PAIRS,
    TOP_FIFTH_REVENUE,
)

SHUFFLE_SEED = 0  # the regulars' shuffled baseline is drawn from this seed: the same data, the same figure


def lift(both: int, a: int, b: int, orders: int) -> float:
    """How much more often two types share an order than chance: both x orders / (a x b)."""
    return both * orders / (a * b) if a and b else 0.0


def gini(values: np.ndarray) -> float:
    """0 when everyone has the same, towards 1 when one has everything."""
    ordered = np.sort(values)
    n, total = len(ordered), ordered.sum()
    if not n or total <= 0:
        return 0.0
    return float((2 * np.arange(1, n + 1) - n - 1) @ ordered / (n * total))


def regular_ratio(counts: np.ndarray) -> tuple[float, float]:
    """Rows of line counts per category, one per customer: the share of lines in each customer's own most-bought
    category, and that share over the same number of lines per customer drawn from all their lines pooled (the
    lines shuffled among them)."""
    if not len(counts) or not counts.sum():
        return 0.0, 0.0
    own = counts.max(axis=1).sum() / counts.sum()
    pooled = counts.sum(axis=0) / counts.sum()
    shuffled = np.random.default_rng(SHUFFLE_SEED).multinomial(counts.sum(axis=1), pooled).max(axis=1).sum()
    return float(own), float(shuffled / counts.sum())


class Shopping:
    """Orders per customer, revenue per customer, type pairs per order, lines per customer and category."""

    def __init__(
        self, type_of: dict[str, str | None], category_of: dict[str, str | None], online: AbstractSet[str] = frozenset()
    ) -> None:
        self.online = online
        self.store_orders: Counter = Counter()  # (a weekday morning?, a pro's?) -> orders at physical stores
        self.segment: dict[str, str] = {}
        self.orders: Counter = Counter()
        self.revenue: defaultdict[str, float] = defaultdict(float)
        self.categories = sorted({c for c in category_of.values() if c})
        index = {c: i for i, c in enumerate(self.categories)}
        self.kind = {p: (type_of.get(p), index.get(c)) for p, c in category_of.items()}  # product -> type, category
        self.lines: defaultdict[str, list[int]] = defaultdict(lambda: [0] * len(self.categories))
        self.type_orders: Counter = Counter()
        self.pairs: Counter = Counter()
        self.baskets = 0

    def add_customer(self, customer: dict) -> None:
        self.segment[customer["_id"]] = customer.get("segment", "")

    def add_order(self, order: dict, lines: list[dict]) -> None:
        customer = order.get("customer_id")
        self.orders[customer] += 1
        if order.get("store_id") not in self.online and isinstance(order.get("order_date"), str):
            _, weekday, hour = local_hour(order["order_date"])
            pro = self.segment.get(customer) == SEGMENT_NAMES[PRO]
            self.store_orders[weekday < 5 and hour < PRO_MORNINGS, pro] += 1
        if "status" in order and earns_revenue(order) and isinstance(order.get("total"), (int, float)):
            self.revenue[customer] += order["total"]
        kinds = [self.kind.get(item.get("product_id"), (None, None)) for item in lines]
        types = sorted({t for t, _ in kinds if t})
        self.baskets += 1
        self.type_orders.update(types)
        self.pairs.update(combinations(types, 2))
        counts = self.lines[customer]
        for _, index in kinds:
            if index is not None:
                counts[index] += 1

    def top_pairs(self, limit: int | None = None) -> list[tuple[str, str, int, float]]:
        """(type, type, orders holding both, lift) of the pairs seen in PAIR_MIN_ORDERS orders or more, best first."""
        rows = [
            (a, b, n, lift(n, self.type_orders[a], self.type_orders[b], self.baskets))
            for (a, b), n in self.pairs.items()
            if n >= PAIR_MIN_ORDERS
        ]
        return sorted(rows, key=lambda r: (-r[3], r[0], r[1]))[:limit]

    def _pro_share(self, morning: bool) -> float:
        orders = self.store_orders[morning, True] + self.store_orders[morning, False]
        return self.store_orders[morning, True] / orders if orders else 0.0

    def measures(self) -> Measures:
        customers = list(self.segment) or list(self.orders)
        revenue = np.array([self.revenue.get(c, 0.0) for c in customers])
        total = revenue.sum()
        buyers = [n for n in self.orders.values() if n]
        pro = np.array([self.segment.get(c) == SEGMENT_NAMES[PRO] for c in customers], dtype=bool)
        a, b, _ = CHECKED_PAIR
        regulars = [self.lines[c] for c, n in self.orders.items() if n >= REGULAR_ORDERS]
        own, shuffled = regular_ratio(np.array(regulars).reshape(-1, len(self.categories)))
        return Measures(
            one_time=sum(n == 1 for n in buyers) / max(len(buyers), 1),
            top_fifth=np.sort(revenue)[::-1][: max(1, round(len(revenue) / 5))].sum() / total if total else 0.0,
            gini=gini(revenue),
            orders_per_buyer=float(np.mean(buyers)) if buyers else 0.0,
            most_orders=max(buyers, default=0),
            pro_customers=float(pro.mean()) if len(pro) else 0.0,
            pro_revenue=float(revenue[pro].sum() / total) if total else 0.0,
            pro_mornings=self._pro_share(morning=True),
            pro_otherwise=self._pro_share(morning=False),
            strong_pairs=sum(p[3] >= STRONG_LIFT for p in self.top_pairs()),
            checked_lift=lift(self.pairs[min(a, b), max(a, b)], self.type_orders[a], self.type_orders[b], self.baskets),
            regular_own=own,
            regular_shuffled=shuffled,
        )


@dataclass(frozen=True)
class Measures:
    """The shopping figures of a dataset; `figures()` shows each beside its target, `unmet()` names those missed."""

    one_time: float  # share of buyers who ordered once
    top_fifth: float  # revenue share of the top 20% of customers
    gini: float
    orders_per_buyer: float
    most_orders: int
    pro_customers: float
    pro_revenue: float
    pro_mornings: float  # pros' share of physical stores' orders on weekday mornings
    pro_otherwise: float  # ... at other times
    strong_pairs: int
    checked_lift: float
    regular_own: float  # customers with REGULAR_ORDERS orders or more: share of lines in their top category
    regular_shuffled: float  # ... the same, their lines shuffled among them

    @property
    def regular_ratio(self) -> float:
        return self.regular_own / self.regular_shuffled if self.regular_shuffled else 0.0

    def checks(self) -> list[tuple[str, str, str, bool]]:
        """(measure, value, target, met) rows."""
        a, b, least = CHECKED_PAIR
        low, high = ONE_TIME_BUYERS
        pro_low, pro_high = PRO_CUSTOMERS
        share_low, share_high = PRO_REVENUE
        return [
            ("buyers who ordered once", f"{self.one_time:.1%}", f"{low:.0%}-{high:.0%}", low <= self.one_time <= high),
            ("revenue of the top 20% of customers", f"{self.top_fifth:.1%}", f">= {TOP_FIFTH_REVENUE:.0%}",
             self.top_fifth >= TOP_FIFTH_REVENUE),
            ("revenue Gini over customers", f"{self.gini:.2f}", "", True),
            ("orders per buyer: mean, most", f"{self.orders_per_buyer:.1f}, {self.most_orders}", "", True),
            ("pros: share of customers", f"{self.pro_customers:.1%}", f"{pro_low:.0%}-{pro_high:.0%}",
             pro_low <= self.pro_customers <= pro_high),
            ("pros: share of revenue", f"{self.pro_revenue:.1%}", f"{share_low:.0%}-{share_high:.0%}",
             share_low <= self.pro_revenue <= share_high),
            (f"pros: share of store orders on weekday mornings (before {PRO_MORNINGS}:00), other times",
             f"{self.pro_mornings:.1%}, {self.pro_otherwise:.1%}", "mornings higher",
             self.pro_mornings > self.pro_otherwise),
            (f"type pairs with lift >= {STRONG_LIFT:g} (in >= {PAIR_MIN_ORDERS} orders)", f"{self.strong_pairs}",
             f">= {STRONG_PAIRS}", self.strong_pairs >= STRONG_PAIRS),
            (f"lift of {a} with {b}", f"{self.checked_lift:.2f}", f">= {least:g}", self.checked_lift >= least),
            (f"customers with >= {REGULAR_ORDERS} orders: lines in their top category vs shuffled",
             f"{self.regular_ratio:.2f}x ({self.regular_own:.1%} vs {self.regular_shuffled:.1%})",
             f">= {REGULAR_RATIO}x", self.regular_ratio >= REGULAR_RATIO),
        ]  # fmt: skip

    def figures(self) -> list[tuple[str, str, str]]:
        return [(measure, value, target) for measure, value, target, _ in self.checks()]

    def unmet(self) -> list[str]:
        return [f"{measure}: {value} (target {target})" for measure, value, target, met in self.checks() if not met]
