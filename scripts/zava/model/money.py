"""Money: amounts are computed in integer cents and stored as dollars, with one rounding rule.

A line's discount is a percentage of its gross (quantity x unit price); the order adds up the
gross of its lines (subtotal) and their discounts (discount_total), and is taxed on what is left:

    discount_amount = round(quantity x unit_price x discount_percent / 100)
    line_total      = quantity x unit_price - discount_amount
    subtotal        = sum of quantity x unit_price
    discount_total  = sum of discount_amount
    tax             = round(TAX_RATE x (subtotal - discount_total))
    total           = subtotal - discount_total + tax

Every amount is an integer number of cents and every rounding is exact and half to even (the rule of
numpy's and Python's `round`), done on integers rather than on binary fractions. The functions take
numpy arrays or plain numbers.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from numpy.typing import ArrayLike

from zava.model.reference import TAX_RATE

_TAX = Fraction(str(TAX_RATE))  # 0.101 -> 101/1000, exactly


def to_cents(dollars: ArrayLike) -> np.ndarray:
    """Integer cents of dollar amounts."""
    return np.round(np.asarray(dollars, dtype=np.float64) * 100).astype(np.int64)


def to_dollars(cents: ArrayLike) -> float | list[float]:
    """Dollars of integer cents: c / 100 is the double nearest the two-decimal amount (a list for arrays)."""
    return (np.asarray(cents, dtype=np.int64) / 100).tolist()


def _divide(numerator: np.ndarray, denominator: int) -> np.ndarray:
    """numerator / denominator rounded half to even, in integers (denominator > 0)."""
    quotient, remainder = np.divmod(numerator, denominator)
    twice = 2 * remainder
    up = (twice > denominator) | ((twice == denominator) & (quotient % 2 == 1))
    return quotient + up


def line_cents(
    unit: ArrayLike, quantity: ArrayLike, discount_percent: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per line, in cents: gross (quantity x unit price), discount_amount and line_total (gross - discount)."""
    gross = np.asarray(unit, dtype=np.int64) * np.asarray(quantity, dtype=np.int64)
    discount = _divide(gross * np.asarray(discount_percent, dtype=np.int64), 100)
    return gross, discount, gross - discount


def tax_cents(taxable: ArrayLike) -> np.ndarray:
    """Cents of sales tax on an amount in cents (the subtotal less the discounts)."""
    return _divide(np.asarray(taxable, dtype=np.int64) * _TAX.numerator, _TAX.denominator)


def order_cents(
    gross: ArrayLike, discount: ArrayLike, lines: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per order, in cents: subtotal, discount_total, tax and total.

    `gross` and `discount` are the lines of every order one order after another (line_cents), `lines`
    how many each order has (0 is allowed)."""
    counts = np.asarray(lines, dtype=np.int64)
    ends = np.cumsum(counts)

    def per_order(values: ArrayLike) -> np.ndarray:
        running = np.concatenate([[0], np.cumsum(np.asarray(values, dtype=np.int64))])
        return running[ends] - running[ends - counts]

    subtotal, discount_total = per_order(gross), per_order(discount)
    tax = tax_cents(subtotal - discount_total)
    return subtotal, discount_total, tax, subtotal - discount_total + tax
