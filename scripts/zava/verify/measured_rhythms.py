"""The week, the day and the holidays of a loaded dataset, beside the profiles of zava.model.rhythms."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import numpy as np

from zava.model.rhythms import (
    HOLIDAYS,
    HOUR_WEIGHT,
    KINDS,
    OPENING_HOURS,
    PEAK_HOURS,
    SATURDAY_OVER_MON_THU,
    WEEKDAY_WEIGHT,
    WEEKDAYS,
    local_hour,
)

BLOCKS = " ▁▂▃▄▅▆▇█"


def _bars(values: np.ndarray) -> str:
    top = values.max()
    return "".join(BLOCKS[int(round(v / top * (len(BLOCKS) - 1)))] if top > 0 else " " for v in values)


class Rhythms:
    """Orders by local weekday and hour per kind of store, and item revenue per local day and category."""

    def __init__(self, online_stores: set[str]) -> None:
        self.online = online_stores
        self.weekday = np.zeros((len(KINDS), 7))
        self.hour = np.zeros((len(KINDS), 24))
        self.revenue: dict[tuple[date, str], float] = defaultdict(float)
        self.days: set[date] = set()

    def add_order(self, order: dict) -> None:
        day, weekday, hour = local_hour(order["order_date"])
        kind = KINDS.index("online" if order.get("store_id") in self.online else "physical")
        self.weekday[kind, weekday] += 1
        self.hour[kind, hour] += 1
        self.days.add(day)

    def add_item(self, item: dict, category: str) -> None:
        self.revenue[local_hour(item["order_date"])[0], category] += float(item["line_total"])

    def figures(self, names: dict[str, str]) -> list[tuple[str, str, str]]:
        """(measure, value, target) rows: the weekly and daily shapes, then each holiday's lift."""
        physical, online = (KINDS.index(k) for k in ("physical", "online"))
        rows = []
        if self.weekday[physical, :4].sum():
            saturday = self.weekday[physical, 5] / self.weekday[physical, :4].mean()
            rows.append(
                ("physical stores: Saturday / Monday-Thursday", f"{saturday:.2f}", f">= {SATURDAY_OVER_MON_THU}")
            )
        for kind in (physical, online):
            if self.hour[kind].sum():
                start, end = PEAK_HOURS[KINDS[kind]]
                rows.append((f"{KINDS[kind]}: busiest local hour", f"{int(self.hour[kind].argmax()):02d}:00",
                             f"{start:02d}:00-{end - 1:02d}:59"))  # fmt: skip
        if self.hour[physical].sum():
            last = OPENING_HOURS["physical"][1] - 1
            rows.append(("physical stores: last open hour / busiest",
                         f"{self.hour[physical, last] / self.hour[physical].max():.2f}", "< 1"))  # fmt: skip
        return rows + self._holiday_rows(names)

    def _holiday_rows(self, names: dict[str, str]) -> list[tuple[str, str, str]]:
        if not self.days:
            return []
        first, last = min(self.days) + timedelta(days=1), max(self.days) - timedelta(days=1)  # whole days only
        rows = []
        for holiday in HOLIDAYS:
            weeks = holiday.compare_weeks
            years = [
                y
                for y in range(first.year, last.year + 1)
                if all(first <= d + timedelta(weeks=w) <= last for d in holiday.days(y) for w in (0, *weeks))
            ]
            for category, lift in holiday.lifts.items():
                on = sum(self.revenue[d, category] for y in years for d in holiday.days(y))
                around = sum(
                    self.revenue[d + timedelta(weeks=w), category]
                    for y in years
                    for d in holiday.days(y)
                    for w in weeks
                ) / len(weeks)
                if not years or not around:
                    continue
                target = f">= {holiday.minimum_lift}" if category == holiday.checked else f"share x{lift}"
                rows.append(
                    (
                        f"{holiday.name}: {names.get(category, category)} revenue vs {holiday.compared_with}",
                        f"{on / around:.2f} ({len(years)} years)",
                        target,
                    )
                )
        return rows

    def tables(self) -> list[str]:
        """The weekday profile per kind beside its target, and the hour profile as bars beside the target's."""
        lines = [
            f"{'orders by local weekday':<24}" + "".join(f"{w[:3]:>6}" for w in WEEKDAYS) + "   (1 = the kind's mean)"
        ]
        for kind, name in enumerate(KINDS):
            if self.weekday[kind].sum():
                shape = self.weekday[kind] / self.weekday[kind].mean()
                lines.append(f"{name:<24}" + "".join(f"{v:>6.2f}" for v in shape))
                lines.append(f"{'  target':<24}" + "".join(f"{v:>6.2f}" for v in WEEKDAY_WEIGHT[name]))
        lines += ["", f"{'orders by local hour':<24}{'0h    6h    12h   18h   ':<26}target"]
        for kind, name in enumerate(KINDS):
            if self.hour[kind].sum():
                lines.append(f"{name:<24}{_bars(self.hour[kind]):<26}{_bars(HOUR_WEIGHT[name])}")
        return lines
