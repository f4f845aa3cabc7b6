"""The customers as shoppers, drawn in bulk: segment, ordering rate, home category, a pro's company, and the
pick of who places each order."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zava.generation.distributions import PRIMARY_STORE_SHARE, weighted_groups
from zava.model.shoppers import COMPANY_PLACES, COMPANY_SUFFIXES, PRO, SEGMENTS, TRADES


@dataclass(frozen=True)
class Shoppers:
    """Per customer: segment index, ordering rate, home category index, company name ("" for homeowners); and the
    customers grouped for picking (by store and segment, by segment, everyone) with cumulative rate shares."""

    segment: np.ndarray
    rate: np.ndarray
    home: np.ndarray
    company: list[str]
    members: np.ndarray
    keys: np.ndarray  # group + cumulative share of the group's rates, the groups one after the other
    group_size: np.ndarray
    stores: int

    def pick(self, rng: np.random.Generator, store: np.ndarray, segment: np.ndarray) -> np.ndarray:
        """Who places each order: a customer of the order's segment, mostly of its store, in proportion to their
        rates; when the store has none of the segment, anyone of it; when nobody is of it, anyone."""
        segments = len(SEGMENTS)
        local = store * segments + segment
        anywhere = self.stores * segments + segment
        everyone = np.full(len(store), self.stores * segments + segments)
        group = np.where(self.group_size[anywhere] > 0, anywhere, everyone)
        stay = (rng.random(len(store)) < PRIMARY_STORE_SHARE) & (self.group_size[local] > 0)
        group = np.where(stay, local, group)
        at = np.searchsorted(self.keys, group + rng.random(len(store)), side="right")
        return self.members[np.minimum(at, len(self.members) - 1)].astype(np.int32)


def draw_shoppers(
    rng: np.random.Generator, primary: np.ndarray, stores: int, categories: list[str], last_names: list[str]
) -> Shoppers:
    """Segments by their customer shares, log-normal rates (a segment's mean 1), home categories (a pro's their
    trade's), company names for pros."""
    n = len(primary)
    segment = rng.choice(len(SEGMENTS), size=n, p=[s.customer_share for s in SEGMENTS])
    spread = np.array([s.rate_spread for s in SEGMENTS])[segment]
    rate = np.exp(rng.normal(0.0, 1.0, size=n) * spread - spread**2 / 2)
    trade = rng.choice(len(TRADES), size=n, p=[t.share for t in TRADES])
    trade_home = np.array([categories.index(t.category_id) for t in TRADES])[trade]
    home = np.where(segment == PRO, trade_home, rng.integers(0, len(categories), size=n))
    words = rng.random((n, 4))
    company = [""] * n
    suffixes = list(COMPANY_SUFFIXES)
    suffix_cum = np.cumsum(list(COMPANY_SUFFIXES.values()))[:-1]
    for i in np.flatnonzero(segment == PRO).tolist():
        choice = TRADES[trade[i]].company_words
        word = choice[int(words[i, 0] * len(choice))]
        name = last_names[i] if words[i, 1] < 0.6 else COMPANY_PLACES[int(words[i, 3] * len(COMPANY_PLACES))]
        suffix = suffixes[np.searchsorted(suffix_cum, words[i, 2], side="right")]
        company[i] = f"{name} {word} {suffix}".strip()
    groups = [np.flatnonzero((primary == s) & (segment == g)) for s in range(stores) for g in range(len(SEGMENTS))]
    groups += [np.flatnonzero(segment == g) for g in range(len(SEGMENTS))] + [np.arange(n)]
    members, keys, sizes = weighted_groups(groups, rate)
    return Shoppers(segment, rate, home, company, members, keys, sizes, stores)
