"""Fixed business facts of the Zava DIY chain: stores, their weights, yearly growth, tax."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Store:
    """A store and the weights that shape its customers and orders."""

    store_id: str
    store_name: str
    rls_user_id: str
    is_online: bool
    customer_weight: float  # share of customers whose primary store this is
    order_frequency: float  # how often each of its customers orders, relative
    order_value: float  # multiplier on catalog prices
    city: str
    address: str | None
    zip: str
    latitude: float
    longitude: float


STORES: tuple[Store, ...] = (
    Store(
        "store_seattle",
        "Zava Retail Seattle",
        "f47ac10b-58cc-4372-a567-0e02b2c3d479",
        False,
        30,
        3.0,
        1.3,
        "Seattle",
        "1420 Westlake Ave N",
        "98109",
        47.6329,
        -122.3397,
    ),
    Store(
        "store_bellevue",
        "Zava Retail Bellevue",
        "6ba7b810-9dad-11d1-80b4-00c04fd430c8",
        False,
        25,
        2.6,
        1.2,
        "Bellevue",
        "2250 116th Ave NE",
        "98004",
        47.6318,
        -122.1867,
    ),
    Store(
        "store_tacoma",
        "Zava Retail Tacoma",
        "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
        False,
        20,
        2.4,
        1.1,
        "Tacoma",
        "3702 S Steele St",
        "98409",
        47.2268,
        -122.4747,
    ),
    Store(
        "store_spokane",
        "Zava Retail Spokane",
        "d8e9f0a1-b2c3-4567-8901-234567890abc",
        False,
        8,
        2.0,
        1.0,
        "Spokane",
        "5610 N Division St",
        "99208",
        47.7147,
        -117.4113,
    ),
    Store(
        "store_everett",
        "Zava Retail Everett",
        "3b9ac9fa-cd5e-4b92-a7f2-b8c1d0e9f2a3",
        False,
        7,
        1.8,
        0.95,
        "Everett",
        "8115 Evergreen Way",
        "98203",
        47.9196,
        -122.2298,
    ),
    Store(
        "store_redmond",
        "Zava Retail Redmond",
        "e7f8a9b0-c1d2-3e4f-5678-90abcdef1234",
        False,
        6,
        1.6,
        0.9,
        "Redmond",
        "7330 170th Ave NE",
        "98052",
        47.6709,
        -122.1140,
    ),
    Store(
        "store_kirkland",
        "Zava Retail Kirkland",
        "9c8b7a65-4321-fed0-9876-543210fedcba",
        False,
        4,
        1.4,
        0.85,
        "Kirkland",
        "12510 NE 124th St",
        "98034",
        47.7106,
        -122.1749,
    ),
    Store(
        "store_online",
        "Zava Retail Online",
        "2f4e6d8c-1a3b-5c7e-9f0a-b2d4f6e8c0a2",
        True,
        30,
        3.0,
        1.5,
        "Seattle",
        None,
        "98108",
        47.5480,
        -122.3140,
    ),
)

# Relative order volume per calendar year; years outside the table continue its trend.
YEAR_WEIGHTS: dict[int, float] = {2020: 1.0, 2021: 1.1, 2022: 1.21, 2023: 1.15, 2024: 1.265, 2025: 1.392, 2026: 1.531}

TAX_RATE = 0.101  # Washington state plus average local sales tax
ONLINE_ASSORTMENT = 200  # products the online store carries


def year_weight(year: int) -> float:
    """Relative order volume of a year, extrapolating the table's end-to-end growth rate."""
    first, last = min(YEAR_WEIGHTS), max(YEAR_WEIGHTS)
    if first <= year <= last:
        return YEAR_WEIGHTS[year]
    rate = (YEAR_WEIGHTS[last] / YEAR_WEIGHTS[first]) ** (1 / (last - first))
    anchor = last if year > last else first
    return YEAR_WEIGHTS[anchor] * rate ** (year - anchor)
