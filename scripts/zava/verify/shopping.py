"""How people shop in a loaded dataset: revenue concentration, segments, baskets (type pairs by lift) and regulars,
beside the targets of zava.model.shoppers.

Fed one order at a time with its lines; what it keeps grows with the customers and the product types, never
with the orders. Revenue is the totals of orders that earn it (zava.model.rules), shared over all customers
(those without orders count as zero).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from itertools import combinations

import numpy as np

from zava.model.rules import earns_revenue
from zava.model.shoppers import (
    CHECKED_PAIR,
    ONE_TIME_BUYERS,
    PAIR_MIN_ORDERS,
    PRO_CUSTOMERS,
    PRO_REVENUE,
    REGULAR_ORDERS,
    REGULAR_RATIO,
    SEGMENTS,
    STRONG_LIFT,
    STRONG_PAIRS,
    TOP_FIFTH_REVENUE,
)

SHUFFLE_SEED = (
    0  # the shuffled baseline of the regulars' figure is drawn from this seed: the same data, the same figure
)


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

    def __init__(self, type_of: dict[str, str | None], category_of: dict[str, str | None]) -> None:
        self.type_of, self.category_of = type_of, category_of
        self.segment: dict[str, str] = {}
        self.orders: Counter = Counter()
        self.revenue: defaultdict[str, float] = defaultdict(float)
        self.categories = sorted({c for c in category_of.values() if c})
        self.lines: defaultdict[str, np.ndarray] = defaultdict(lambda: np.zeros(len(self.categories), dtype=np.int64))
        self.type_orders: Counter = Counter()
        self.pairs: Counter = Counter()
        self.baskets = 0

    def add_customer(self, customer: dict) -> None:
        self.segment[customer["_id"]] = customer.get("segment", "")

    def add_order(self, order: dict, lines: list[dict]) -> None:
        customer = order.get("customer_id")
        self.orders[customer] += 1
        if earns_revenue(order) and isinstance(order.get("total"), (int, float)):
            self.revenue[customer] += order["total"]
        types = sorted({t for t in (self.type_of.get(i.get("product_id")) for i in lines) if t})
        self.baskets += 1
        self.type_orders.update(types)
        self.pairs.update(combinations(types, 2))
        counts = self.lines[customer]
        for item in lines:
            category = self.category_of.get(item.get("product_id"))
            if category in self.categories:
                counts[self.categories.index(category)] += 1

    def top_pairs(self, limit: int | None = None) -> list[tuple[str, str, int, float]]:
        """(type, type, orders holding both, lift) of the pairs seen in PAIR_MIN_ORDERS orders or more, best first."""
        rows = [
            (a, b, n, lift(n, self.type_orders[a], self.type_orders[b], self.baskets))
            for (a, b), n in self.pairs.items()
            if n >= PAIR_MIN_ORDERS
        ]
        return sorted(rows, key=lambda r: (-r[3], r[0], r[1]))[:limit]

    def figures(self) -> list[tuple[str, str, str]]:
        """(measure, value, target) rows."""
        customers = list(self.segment) or list(self.orders)
        revenue = np.array([self.revenue.get(c, 0.0) for c in customers])
        total = revenue.sum()
        buyers = [n for c, n in self.orders.items() if n]
        top = np.sort(revenue)[::-1][: max(1, round(len(revenue) / 5))].sum() / total if total else 0.0
        rows = [
            ("buyers who ordered once", f"{sum(n == 1 for n in buyers) / max(len(buyers), 1):.1%}",
             f"{ONE_TIME_BUYERS[0]:.0%}-{ONE_TIME_BUYERS[1]:.0%}"),
            ("revenue of the top 20% of customers", f"{top:.1%}", f">= {TOP_FIFTH_REVENUE:.0%}"),
            ("revenue Gini over customers", f"{gini(revenue):.2f}", "skewed (real retail: 0.6-0.9)"),
            ("orders per buyer: mean, most", f"{np.mean(buyers) if buyers else 0:.1f}, {max(buyers, default=0)}", ""),
        ]  # fmt: skip
        for segment in SEGMENTS:
            mine = np.array([self.segment.get(c) == segment.name for c in customers])
            if segment.name == "pro":
                rows.append(("pros: share of customers", f"{mine.mean() if len(mine) else 0:.1%}",
                             f"{PRO_CUSTOMERS[0]:.0%}-{PRO_CUSTOMERS[1]:.0%}"))  # fmt: skip
                rows.append(("pros: share of revenue", f"{revenue[mine].sum() / total if total else 0:.1%}",
                             f"{PRO_REVENUE[0]:.0%}-{PRO_REVENUE[1]:.0%}"))  # fmt: skip
        pairs = self.top_pairs()
        strong = sum(p[3] >= STRONG_LIFT for p in pairs)
        rows.append((f"type pairs with lift >= {STRONG_LIFT:g} (in >= {PAIR_MIN_ORDERS} orders)", f"{strong}",
                     f">= {STRONG_PAIRS}"))  # fmt: skip
        a, b, least = CHECKED_PAIR
        checked = lift(self.pairs[min(a, b), max(a, b)], self.type_orders[a], self.type_orders[b], self.baskets)
        rows.append((f"lift of {a} with {b}", f"{checked:.2f}", f">= {least:g}"))
        regulars = [c for c, n in self.orders.items() if n >= REGULAR_ORDERS]
        own, shuffled = regular_ratio(np.array([self.lines[c] for c in regulars]).reshape(-1, len(self.categories)))
        rows.append((f"customers with >= {REGULAR_ORDERS} orders: lines in their top category vs shuffled",
                     f"{own / shuffled if shuffled else 0:.2f}x ({own:.1%} vs {shuffled:.1%})",
                     f">= {REGULAR_RATIO}x"))  # fmt: skip
        return rows
