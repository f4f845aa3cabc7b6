"""Who shops: professionals and homeowners, how often each customer orders, and what brings them back.

The one definition the generator and the simulator draw from, the data report checks against and
DATA_MODEL.md shows. The week and the day of all orders stay those of zava.model.rhythms: an order's
segment is drawn after its time, so pros take the weekday mornings and homeowners the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zava.model.rhythms import HOUR_WEIGHT, KINDS, WEEKDAY_WEIGHT


@dataclass(frozen=True)
class Segment:
    """A kind of customer and how it shops."""

    name: str  # the customers' `segment` field
    label: str
    customer_share: float  # of all customers
    rate_spread: float  # sigma of the log-normal spread of ordering rates between the segment's customers
    category_weight: dict[str, float]  # category_id -> how much more often its orders start there (1 if absent)


SEGMENTS: tuple[Segment, ...] = (
    Segment("diy", "homeowners and hobbyists", 0.95, 1.2, {}),
    Segment(
        "pro",
        "contractors, remodelers and property managers",
        0.05,
        0.9,
        {
            "cat_lumber_building": 2.6,
            "cat_hardware": 1.6,
            "cat_electrical": 1.8,
            "cat_plumbing": 1.8,
            "cat_paint_finishes": 1.2,
            "cat_garden_outdoor": 0.5,
            "cat_storage_organization": 0.3,
            "cat_hand_tools": 0.7,
        },
    ),
)
DIY, PRO = (SEGMENTS.index(s) for s in SEGMENTS)
SEGMENT_NAMES = tuple(s.name for s in SEGMENTS)

# share of orders with 1..6 lines placed by pros, at an average hour of the week: bigger baskets are more often a pro's
PRO_SHARE_BY_LINES = np.array([0.12, 0.23, 0.37, 0.48, 0.57, 0.64])
# how much likelier an order is a pro's, by local weekday and hour, before scaling to a mean of 1 over each kind's
# orders: pros buy on weekdays from opening, before the job; they shop online on weekday evenings for the next day
_PRO_WEEKDAY = {"physical": (1.25, 1.25, 1.25, 1.25, 1.15, 0.55, 0.3), "online": (1.2, 1.2, 1.2, 1.2, 1.0, 0.6, 0.6)}
_PRO_HOUR = {
    "physical": {7: 3.0, 8: 2.6, 9: 2.0, 10: 1.4, 11: 1.0, 12: 0.9, 13: 0.8, 14: 0.7, 15: 0.7, 16: 0.6, 17: 0.5,
                 18: 0.4, 19: 0.3},
    "online": {h: 1.6 if 5 <= h < 9 or 19 <= h < 23 else 0.8 for h in range(24)},
}  # fmt: skip
MAX_PRO_SHARE = 0.95

# a pro line of these types is for a job: the drawn quantity (1..5) is multiplied by this
PRO_BULK: dict[str, int] = {
    "type_dimensional_lumber": 6,
    "type_drywall": 5,
    "type_concrete_masonry": 5,
    "type_plywood_sheet": 3,
    "type_fasteners": 3,
    "type_pipes_fittings": 3,
    "type_wire_cable": 2,
}

# regulars: each customer has a home category (a homeowner's any category alike, a pro's their trade's); their
# orders start there this much more often than the season alone would say, and single-item errands lean to the
# consumables they come back for
HOME_BOOST = 5.0
CONSUMABLES: dict[str, float] = {  # type_id -> weight among a category's errands (1 if absent)
    "type_fasteners": 4.0,
    "type_interior_paint": 2.5,
    "type_exterior_paint": 2.0,
    "type_soil_fertilizer": 4.0,
    "type_batteries_chargers": 2.5,
    "type_brushes_rollers": 2.0,
}


@dataclass(frozen=True)
class Trade:
    """A pro's line of work: the category it starts from and the words of its company names."""

    name: str
    category_id: str
    share: float  # of pros
    company_words: tuple[str, ...]


TRADES: tuple[Trade, ...] = (
    Trade("general contractor", "cat_lumber_building", 0.30, ("Construction", "Builders", "Remodeling", "Contracting")),
    Trade("electrician", "cat_electrical", 0.15, ("Electric", "Electrical Services")),
    Trade("plumber", "cat_plumbing", 0.15, ("Plumbing", "Plumbing & Drain")),
    Trade("painter", "cat_paint_finishes", 0.12, ("Painting", "Painting & Coatings")),
    Trade("property manager", "cat_hardware", 0.18, ("Property Management", "Property Services")),
    Trade("landscaper", "cat_garden_outdoor", 0.10, ("Landscaping", "Lawn & Garden")),
)
COMPANY_PLACES = ("Cascade", "Evergreen", "Puget Sound", "Rainier", "Summit", "Northwest", "Olympic", "Harbor")
COMPANY_SUFFIXES = {"LLC": 0.4, "Inc.": 0.25, "Co.": 0.1, "": 0.25}  # suffix -> share of companies


def _pro_tilt() -> np.ndarray:
    """(kind, weekday, hour): how much likelier an order is a pro's, with a mean of 1 over each kind's orders."""
    tilt = np.zeros((len(KINDS), 7, 24))
    for k, kind in enumerate(KINDS):
        hours = np.array([_PRO_HOUR[kind].get(h, 0.0) for h in range(24)])
        raw = np.outer(_PRO_WEEKDAY[kind], hours)
        orders = np.outer(WEEKDAY_WEIGHT[kind], HOUR_WEIGHT[kind])
        tilt[k] = raw / (raw * orders).sum() * orders.sum()
    return tilt


PRO_TILT = _pro_tilt()


def pro_probability(lines: np.ndarray, kind: np.ndarray, weekday: np.ndarray, hour: np.ndarray) -> np.ndarray:
    """The chance that an order of this many lines, at this kind of store and local weekday and hour, is a pro's (at
    an hour a store is closed, as at an average hour: the simulator's orders come at any time)."""
    share = PRO_SHARE_BY_LINES[np.minimum(lines, len(PRO_SHARE_BY_LINES)) - 1]
    tilt = PRO_TILT[kind, weekday, hour]
    return np.minimum(share * np.where(tilt > 0, tilt, 1.0), MAX_PRO_SHARE)


# targets the data report checks the generated data against
ONE_TIME_BUYERS = (0.25, 0.50)  # share of customers with orders who ordered once
TOP_FIFTH_REVENUE = 0.60  # at least this share of revenue from the top 20% of customers
PRO_CUSTOMERS = (0.04, 0.10)  # share of customers who are pros
PRO_REVENUE = (0.25, 0.45)  # share of revenue from pros
PAIR_MIN_ORDERS = 50  # type pairs count for lift when at least this many orders hold both
STRONG_LIFT, STRONG_PAIRS = 2.0, 15  # at least STRONG_PAIRS type pairs with a lift of STRONG_LIFT or more
CHECKED_PAIR = ("type_interior_paint", "type_brushes_rollers", 3.0)  # this pair's lift at least this
REGULAR_ORDERS, REGULAR_RATIO = 5, 1.3  # customers with this many orders: home-category share vs shuffled
PRO_MORNINGS = 11  # pros take a bigger share of store orders on weekday mornings, before this local hour, than after
