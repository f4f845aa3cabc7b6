"""What each order holds, drawn in bulk: its category, its project or errand, each line's type and product, and the
quantities. One definition for the generator (whole chunks of orders) and the simulator (one order at a time)."""

from __future__ import annotations

import numpy as np

from zava.catalog.loader import MONTHS, Catalog
from zava.generation.distributions import ITEMS_PER_ORDER, QUANTITY, pick_rows, weighted_groups
from zava.model.money import to_cents
from zava.model.projects import PROJECTS
from zava.model.rhythms import HOLIDAYS
from zava.model.shoppers import CONSUMABLES, HOME_BOOST, PRO, PRO_BULK, PRO_SHARE_BY_LINES, SEGMENTS, TRADES

CALIBRATION_ROUNDS = 30


def _cumulative(weights: np.ndarray) -> np.ndarray:
    """Rows of weights as cumulative shares (the last column exactly 1); a row of zeros picks its first column."""
    total = weights.sum(axis=-1, keepdims=True)
    shares = np.where(total > 0, weights / np.where(total > 0, total, 1), 0)
    shares[..., 0] += total[..., 0] <= 0
    cum = np.cumsum(shares, axis=-1)
    cum[..., -1] = 1.0
    return cum


class Baskets:
    """The catalog's categories, types and projects as tables for drawing order contents.

    A project's lines reach into other categories (a leak fix takes a wrench from Hand Tools), so drawing each
    order's category by the categories' seasonal multipliers alone would blur them. The month weights of the
    categories are calibrated instead: set so that the expected revenue of each category, over all the lines
    the orders started in every category bring, follows its multipliers month by month."""

    def __init__(self, catalog: Catalog) -> None:
        self.category_ids = [c.category_id for c in catalog.categories]
        self.type_ids = [t.type_id for t in catalog.product_types]
        self.type_category = np.array([self.category_ids.index(t.category_id) for t in catalog.product_types])
        self.product_type = np.array([self.type_ids.index(p.type_id) for p in catalog.products])
        self.product_category = self.type_category[self.product_type]
        self.price_cents = to_cents([p.base_price for p in catalog.products])
        self.popularity = 1 / np.sqrt(self.price_cents)  # cheaper sells more often
        self.bulk = np.array([PRO_BULK.get(t, 1) for t in self.type_ids])
        self.seasons = np.array([[c.seasonal_multipliers[m] for m in MONTHS] for c in catalog.categories]).T  # (12,C)
        lifts = np.ones((1 + len(HOLIDAYS), len(self.category_ids)))
        for index, holiday in enumerate(HOLIDAYS):
            for category, lift in holiday.lifts.items():
                lifts[index + 1, self.category_ids.index(category)] = lift
        self.leaning = np.array([[s.category_weight.get(c, 1.0) for c in self.category_ids] for s in SEGMENTS])
        self._projects()
        months = self._calibrated(self.seasons)
        self.category_weight = self.leaning[:, None, None, :] * months[None, None] * lifts[None, :, None]  # (S,H,12,C)

    def _projects(self) -> None:
        types, categories = len(self.type_ids), len(self.category_ids)
        self.core = np.array([self.type_ids.index(p.core) for p in PROJECTS])
        companions = np.zeros((len(PROJECTS), types))
        for row, project in enumerate(PROJECTS):
            for type_id, weight in project.companions.items():
                companions[row, self.type_ids.index(type_id)] = weight
        self.companion_cum = _cumulative(companions)
        in_category = self.type_category[self.core][None, :] == np.arange(categories)[:, None]  # (C, P)
        weight = np.array(
            [[[getattr(p, s.name) * p.month_weight(m) for p in PROJECTS] for m in range(12)] for s in SEGMENTS]
        )
        self.project_cum = _cumulative(weight[:, :, None, :] * in_category[None, None])  # (S, 12, C, P)
        errand = np.array([[CONSUMABLES.get(t, 1.0) for t in self.type_ids]]) * (
            self.type_category[None, :] == np.arange(categories)[:, None]
        )
        self.errand_cum = _cumulative(errand)  # (C, T)

    def _calibrated(self, seasons: np.ndarray) -> np.ndarray:
        """(12, C) month weights of the categories under which each category's expected revenue follows `seasons`."""
        types, categories = len(self.type_ids), len(self.category_ids)
        in_category = np.eye(categories)[self.type_category]  # (T, C)
        weight = np.bincount(self.product_type, weights=self.popularity, minlength=types)
        price = np.bincount(self.product_type, weights=self.popularity * self.price_cents, minlength=types) / weight
        mean_quantity = (np.arange(1, len(QUANTITY) + 1) * QUANTITY).sum()
        pro = np.arange(len(SEGMENTS))[:, None] == PRO
        lines = ITEMS_PER_ORDER * np.where(pro, PRO_SHARE_BY_LINES, 1 - PRO_SHARE_BY_LINES)  # (S, L): orders by lines
        segment_share = lines.sum(axis=1)
        lines = lines / segment_share[:, None]
        value = price * mean_quantity * np.where(pro, self.bulk, 1)  # (S, T)
        more = (lines * np.arange(len(ITEMS_PER_ORDER))).sum(axis=1)  # lines after the first
        errand = np.diff(self.errand_cum, prepend=0, axis=1)  # (C, T)
        companion = np.diff(self.companion_cum, prepend=0, axis=1)  # (P, T)
        project = np.diff(self.project_cum, prepend=0, axis=3)  # (S, 12, C, P)
        single = np.einsum("ct,st,tk->sck", errand, value, in_category)
        core = np.einsum("st,pt,tk->spk", value, np.eye(types)[self.core], in_category)
        rest = np.einsum("pt,st,tk->spk", companion, value, in_category)
        per_project = (1 - lines[:, :1, None]) * core + more[:, None, None] * rest  # (S, P, C')
        brings = lines[:, 0, None, None, None] * single[:, None] + np.einsum("smcp,spk->smck", project, per_project)
        homes = np.full((len(SEGMENTS), categories), 1 / categories)
        homes[PRO] = np.bincount([self.category_ids.index(t.category_id) for t in TRADES],
                                 weights=[t.share for t in TRADES], minlength=categories)  # fmt: skip
        boost = 1 + (HOME_BOOST - 1) * np.eye(categories)  # (home, C)
        months = seasons.copy()
        per_order = seasons / seasons.sum(axis=1, keepdims=True)  # a month's orders follow its summed multipliers
        target = per_order / per_order.mean(axis=0)
        for _ in range(CALIBRATION_ROUNDS):
            start = months[None, :, None, :] * self.leaning[:, None, None, :] * boost[None, None]  # (S, 12, H, C)
            start = np.einsum("sh,smhc->smc", homes, start / start.sum(axis=3, keepdims=True))
            revenue = np.einsum("s,smc,smck->mk", segment_share, start, brings)  # per order
            months *= target / (revenue / revenue.mean(axis=0))
            months /= months.sum(axis=1, keepdims=True)
        return months

    def categories(
        self,
        rng: np.random.Generator,
        segment: np.ndarray,
        holiday: np.ndarray,
        month: np.ndarray,
        home: np.ndarray | None,
    ) -> np.ndarray:
        """Each order's category: the month's seasonality, the day's holiday, the segment's leaning and the
        customer's home category (None: not known)."""
        weights = self.category_weight[segment, holiday, month]
        if home is not None:
            weights[np.arange(len(home)), home] *= HOME_BOOST
        return pick_rows(rng, _cumulative(weights))

    def line_types(
        self, rng: np.random.Generator, segment: np.ndarray, month: np.ndarray, category: np.ndarray, lines: np.ndarray
    ) -> np.ndarray:
        """The type of every line (orders' lines one after the other): an errand's one, or a project's core and
        companions."""
        project = np.where(lines > 1, pick_rows(rng, self.project_cum[segment, month, category]), -1)
        first = np.where(project >= 0, self.core[project], pick_rows(rng, self.errand_cum[category]))
        owner = np.repeat(np.arange(len(lines)), lines)
        later = np.ones(len(owner), dtype=bool)
        later[np.cumsum(lines) - lines] = False
        types = np.repeat(first, lines)
        types[later] = pick_rows(rng, self.companion_cum[project[owner[later]]])
        return types

    def quantity_factor(self, segment: np.ndarray, types: np.ndarray) -> np.ndarray:
        """How many times the drawn quantity each line takes: a pro's bulk types, by the job."""
        return np.where(segment == PRO, self.bulk[types], 1)


class ProductPool:
    """Products a store can sell (indexes into the catalog's), grouped by type for drawing one product per line."""

    def __init__(self, baskets: Baskets, pool: np.ndarray) -> None:
        everything = np.asarray(pool, dtype=np.int64)
        groups = []
        for t in range(len(baskets.type_ids)):
            found = everything[baskets.product_type[everything] == t]
            if not len(found):  # the pool has none of this type: another of its category, else anything
                found = everything[baskets.product_category[everything] == baskets.type_category[t]]
            groups.append(found if len(found) else everything)
        members, self.keys, sizes = weighted_groups(groups, baskets.popularity)
        self.members = np.concatenate([members, everything])  # and last, the whole pool
        self.size = np.append(sizes, len(everything))
        self.start = np.cumsum(self.size) - self.size

    def pick(self, rng: np.random.Generator, types: np.ndarray, owner: np.ndarray) -> np.ndarray:
        """One product per line of the given type, cheaper ones more often; a product drawn twice for one order
        moves on to the next of its line's type, and when the type has no other, to the next of the pool."""
        at = np.minimum(np.searchsorted(self.keys, types + rng.random(len(types)), side="right"), len(self.keys) - 1)
        start, size = self.start[types], self.size[types]
        place, again = self._apart(at - start, start, size, owner)
        if again.any():  # the line's type is short of products: any other of the pool
            start[again], size[again] = self.start[-1], self.size[-1]
            place, again = self._apart(np.where(again, place, place % size), start, size, owner)
        return self.members[start + place % size]

    def _apart(
        self, place: np.ndarray, start: np.ndarray, size: np.ndarray, owner: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Places moved on until no order holds a product twice, or as far as the ranges allow; and the lines
        still repeating a product of their order."""
        again = np.zeros(len(place), dtype=bool)
        for _ in range(int(size.max(initial=0))):
            product = self.members[start + place % size]
            order = np.lexsort((product, owner))  # by order, then product: a repeat follows its first
            again[:] = False
            again[order[1:]] = (owner[order][1:] == owner[order][:-1]) & (product[order][1:] == product[order][:-1])
            if not again.any():
                break
            place[again] += 1
        return place, again
