"""Money: integer cents in, dollars out, one rounding rule."""

from __future__ import annotations

import numpy as np

from zava.model.money import line_total_cents, tax_cents, to_cents, to_dollars
from zava.model.reference import TAX_RATE


def test_cents_and_dollars_round_trip_for_every_amount_up_to_a_thousand_dollars():
    cents = np.arange(0, 100_001)
    dollars = to_dollars(cents)
    assert dollars == [round(c / 100, 2) for c in cents.tolist()]
    assert to_cents(dollars).tolist() == cents.tolist()
    assert to_dollars(1999) == 19.99 and to_cents(19.99) == 1999


def test_line_totals_apply_the_discount_to_the_cent():
    unit, quantity, discount = np.array([1999, 1000, 333]), np.array([3, 1, 2]), np.array([0, 15, 25])
    assert line_total_cents(unit, quantity, discount).tolist() == [5997, 850, 500]  # 666 x 0.75 = 499.5 -> 500
    assert int(line_total_cents(333, 1, 50)) == 166  # 166.5 rounds half to even


def test_tax_is_rounded_once_on_the_subtotal():
    subtotals = np.array([0, 1, 1000, 12345, 99999])
    expected = [round(s * TAX_RATE) for s in subtotals.tolist()]
    assert tax_cents(subtotals).tolist() == expected
    assert int(tax_cents(10_000)) == round(10_000 * TAX_RATE)
