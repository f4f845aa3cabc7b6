"""Money: amounts are computed in integer cents and stored as dollars, with one rounding rule.

Rounding is half to even (numpy's and Python's `round`) everywhere; the functions take numpy
arrays or plain numbers.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from zava.model.reference import TAX_RATE


def to_cents(dollars: ArrayLike) -> np.ndarray:
    """Integer cents of dollar amounts."""
    return np.round(np.asarray(dollars, dtype=np.float64) * 100).astype(np.int64)


def to_dollars(cents: ArrayLike) -> float | list[float]:
    """Dollars of integer cents: c / 100 is the double nearest the two-decimal amount (a list for arrays)."""
    return (np.asarray(cents, dtype=np.int64) / 100).tolist()


def line_total_cents(unit: ArrayLike, quantity: ArrayLike, discount_percent: ArrayLike) -> np.ndarray:
    """Cents of a line: unit price x quantity, less its percentage discount."""
    gross = np.asarray(unit, dtype=np.int64) * np.asarray(quantity, dtype=np.int64)
    return np.round(gross * (100 - np.asarray(discount_percent, dtype=np.int64)) / 100).astype(np.int64)


def tax_cents(subtotal: ArrayLike) -> np.ndarray:
    """Cents of sales tax on a subtotal in cents."""
    return np.round(np.asarray(subtotal, dtype=np.int64) * TAX_RATE).astype(np.int64)
