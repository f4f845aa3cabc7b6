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


def quantities(rng: np.random.Generator, size: int) -> np.ndarray:
    """Units per line, 1..5."""
    return weighted(rng, QUANTITY, size) + 1


def discounts(rng: np.random.Generator, size: int) -> np.ndarray:
    """Discount percent per line: 0 for most, 5..25 for DISCOUNT_SHARE of them."""
    return np.where(rng.random(size) < DISCOUNT_SHARE, DISCOUNTS[weighted(rng, DISCOUNT_WEIGHTS, size)], 0)


def unit_prices(rng: np.random.Generator, price_cents: np.ndarray, store_value: np.ndarray | float) -> np.ndarray:
    """Cents per unit: the catalog price x the store's order-value multiplier x a small variation."""
    variation = 1 + rng.uniform(-PRICE_VARIATION, PRICE_VARIATION, size=len(price_cents))
    return np.round(price_cents * store_value * variation).astype(np.int64)
