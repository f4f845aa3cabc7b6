"""Money: integer cents in, dollars out, one rounding rule (half to even), exact."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from zava.model.money import line_cents, order_cents, tax_cents, to_cents, to_dollars
from zava.model.reference import TAX_RATE


def half_even(x: Fraction) -> int:
    """The exact rule: Python's round of a Fraction is half to even."""
    return round(x)


def test_cents_and_dollars_round_trip_for_every_amount_up_to_a_thousand_dollars():
    cents = np.arange(0, 100_001)
    dollars = to_dollars(cents)
    assert dollars == [round(c / 100, 2) for c in cents.tolist()]
    assert to_cents(dollars).tolist() == cents.tolist()
    assert to_dollars(1999) == 19.99 and to_cents(19.99) == 1999


def test_a_line_is_its_gross_less_its_rounded_discount():
    unit, quantity, discount = np.array([1999, 1000, 333, 14999]), np.array([3, 1, 2, 2]), np.array([0, 15, 25, 10])
    gross, amount, line = line_cents(unit, quantity, discount)
    assert gross.tolist() == [5997, 1000, 666, 29998]
    assert amount.tolist() == [0, 150, 166, 3000]  # 666 x 25% = 166.5 -> 166 (half to even)
    assert line.tolist() == [5997, 850, 500, 26998]
    assert [int(x) for x in line_cents(333, 1, 50)] == [333, 166, 167]  # 166.5 -> 166 off, 167 left
    assert [int(x) for x in line_cents(1, 1, 50)] == [1, 0, 1]  # 0.5 -> 0
    assert [int(x) for x in line_cents(3, 1, 50)] == [3, 2, 1]  # 1.5 -> 2


def test_line_discounts_match_exact_arithmetic_for_every_percent():
    gross = np.arange(0, 20_001)
    for percent in (0, 5, 10, 15, 20, 25, 33, 50, 100):
        _, amount, line = line_cents(gross, 1, percent)
        assert amount.tolist() == [half_even(Fraction(g * percent, 100)) for g in gross.tolist()], percent
        assert (line == gross - amount).all()


def test_tax_is_exact_and_half_to_even():
    taxable = np.arange(0, 50_001)
    rate = Fraction(str(TAX_RATE))
    assert tax_cents(taxable).tolist() == [half_even(t * rate) for t in taxable.tolist()]
    assert int(tax_cents(500)) == 50 and int(tax_cents(1500)) == 152  # 50.5 -> 50, 151.5 -> 152


def test_an_order_adds_gross_and_discounts_and_is_taxed_on_the_difference():
    # two orders (2 lines, then 1) and an order without lines
    gross, amount, _ = line_cents([14999, 1250, 999], [2, 1, 3], [10, 0, 25])
    subtotal, discount_total, tax, total = order_cents(gross, amount, [2, 0, 1])
    assert subtotal.tolist() == [29998 + 1250, 0, 2997]
    assert discount_total.tolist() == [3000, 0, 749]  # 749.25 -> 749
    assert tax.tolist() == [round((31248 - 3000) * 0.101), 0, round((2997 - 749) * 0.101)]
    assert total.tolist() == [31248 - 3000 + tax[0], 0, 2997 - 749 + tax[2]]
