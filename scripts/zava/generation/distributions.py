"""The shapes of an order, shared by the generator (history) and the simulator (live orders)."""

from __future__ import annotations

import numpy as np

from zava.model.reference import STORES

PRIMARY_STORE_SHARE = 0.85  # orders placed at the customer's primary store
ITEMS_PER_ORDER = np.array([0.42, 0.30, 0.14, 0.07, 0.04, 0.03])  # 1..6 lines, mean 2.1
QUANTITY = np.array([0.68, 0.19, 0.07, 0.035, 0.025])  # 1..5 units per line
DISCOUNT_SHARE = 0.15  # lines with a discount
DISCOUNTS = np.array([5, 10, 15, 20, 25])  # percent
DISCOUNT_WEIGHTS = np.array([0.35, 0.25, 0.2, 0.12, 0.08])
PRICE_VARIATION = 0.03  # unit prices vary +-3% around catalog price x store multiplier
STORE_ORDER_WEIGHT = np.array([s.customer_weight * s.order_frequency for s in STORES])  # order volume per store


def weighted(rng: np.random.Generator, weights: np.ndarray, size: int) -> np.ndarray:
    """`size` indexes into `weights`, each drawn in proportion to its weight."""
    return rng.choice(len(weights), size=size, p=weights / weights.sum())


def pick_rows(rng: np.random.Generator, cumulative: np.ndarray) -> np.ndarray:
    """One column per row of `cumulative` (rows of cumulative shares ending at 1), drawn by those shares."""
    return (rng.random(len(cumulative))[:, None] > cumulative[:, :-1]).sum(axis=1)


def weighted_groups(groups: list[np.ndarray], weight: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The members of the groups one after the other, their keys (the group's number + the cumulative share of the
    group's weight up to the member; a group's last exactly its number + 1) and each group's size: a member of
    group g in proportion to its weight is members[searchsorted(keys, g + u, side="right")] for u in [0, 1)."""
    keys = []
    for number, members in enumerate(groups):
        share = np.cumsum(weight[members]) / weight[members].sum() if len(members) else np.zeros(0)
        if len(members):
            share[-1] = 1.0
        keys.append(number + share)
    members = np.concatenate(groups) if groups else np.zeros(0, dtype=np.int64)
    return members, np.concatenate(keys) if keys else np.zeros(0), np.array([len(g) for g in groups])


def line_numbers(rng: np.random.Generator, size: int) -> np.ndarray:
    """Lines per order, 1..6."""
    return weighted(rng, ITEMS_PER_ORDER, size) + 1


def draw_lines(
    rng: np.random.Generator,
    price_cents: np.ndarray,
    store_value: np.ndarray | float,
    quantity_factor: np.ndarray | int = 1,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Quantity (1..5, times the line's quantity factor), discount percent (0, or 5..25 on DISCOUNT_SHARE of lines)
    and unit price in cents (catalog price x the store's order-value multiplier x a small variation) for each
    line's product."""
    size = len(price_cents)
    quantity = (weighted(rng, QUANTITY, size) + 1) * quantity_factor
    discount = np.where(rng.random(size) < DISCOUNT_SHARE, DISCOUNTS[weighted(rng, DISCOUNT_WEIGHTS, size)], 0)
    variation = 1 + rng.uniform(-PRICE_VARIATION, PRICE_VARIATION, size=size)
    return quantity, discount, np.round(price_cents * store_value * variation).astype(np.int64)
