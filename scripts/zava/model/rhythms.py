"""When people shop, in the stores' own time (Pacific): the week, the day and the holidays.

The one definition the generator draws from, the data report checks against and DATA_MODEL.md shows.
Profiles are relative weights: each is scaled so that an ordinary week keeps the store shares,
the monthly seasonality and the year growth of the rest of the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np

TIME_ZONE = ZoneInfo("America/Los_Angeles")
KINDS = ("physical", "online")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
OPENING_HOURS = {"physical": (7, 20), "online": (0, 24)}  # local hours [open, close)

# orders on each weekday, relative (scaled to a mean of 1): stores peak on Saturday then Sunday;
# online is flatter, with a small Monday bump
_WEEKDAY = {
    "physical": (0.86, 0.82, 0.85, 0.91, 1.08, 1.58, 1.30),
    "online": (1.12, 1.00, 0.97, 0.96, 0.93, 0.98, 1.04),
}
# orders in each local hour while open, relative: stores ramp up in the morning, peak from late
# morning to early afternoon and tail off in the evening; online runs around the clock, peaking
# in the evening
_HOUR = {
    "physical": {7: 0.45, 8: 0.72, 9: 0.98, 10: 1.22, 11: 1.38, 12: 1.36, 13: 1.24, 14: 1.08, 15: 1.0, 16: 0.94,
                 17: 0.84, 18: 0.64, 19: 0.40},
    "online": dict(enumerate((0.34, 0.2, 0.12, 0.08, 0.08, 0.12, 0.24, 0.42, 0.58, 0.68, 0.76, 0.82, 0.88, 0.88,
                              0.84, 0.84, 0.9, 1.0, 1.2, 1.44, 1.56, 1.42, 1.04, 0.62))),
}  # fmt: skip
WEEKDAY_WEIGHT = {kind: np.array(w) / np.mean(w) for kind, w in _WEEKDAY.items()}
HOUR_WEIGHT = {  # 24 local hours, zero while closed, summing to 1
    kind: np.array([hours.get(h, 0.0) for h in range(24)]) / sum(hours.values()) for kind, hours in _HOUR.items()
}

# targets the data report checks the generated data against
SATURDAY_OVER_MON_THU = 1.3  # physical stores: Saturday at least this times the Monday-Thursday mean
PEAK_HOURS = {"physical": (10, 14), "online": (18, 22)}  # the busiest local hour falls in [from, to)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The n-th (1-based; -1 for the last) given weekday (Monday 0) of a month."""
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


@dataclass(frozen=True)
class Holiday:
    """A yearly holiday: the local days it covers, how much busier they are, which categories it lifts."""

    name: str
    rule: str  # when it falls, in words
    volume: float  # orders on its days, times an ordinary day's
    lifts: dict[str, float] = field(default_factory=dict)  # category_id -> its share of lines, times usual
    compare_weeks: tuple[int, ...] = (-1, 1)  # its days are compared with the same weekdays these weeks away
    checked: str | None = None  # the category whose revenue lift the data report holds to minimum_lift
    minimum_lift: float = 1.0

    @property
    def compared_with(self) -> str:
        weeks = " and ".join("one week " + ("before" if w < 0 else "after") for w in self.compare_weeks)
        return f"the same days {weeks}"

    def days(self, year: int) -> list[date]:
        if self.name == "Memorial Day weekend":
            monday = _nth_weekday(year, 5, 0, -1)
            return [monday - timedelta(days=2), monday - timedelta(days=1), monday]
        if self.name == "Independence Day":
            return [date(year, 7, 4)]
        if self.name == "Labor Day weekend":
            monday = _nth_weekday(year, 9, 0, 1)
            return [monday - timedelta(days=2), monday - timedelta(days=1), monday]
        if self.name == "Black Friday":
            return [_nth_weekday(year, 11, 3, 4) + timedelta(days=1)]
        raise ValueError(self.name)


HOLIDAYS: tuple[Holiday, ...] = (
    Holiday(
        "Memorial Day weekend",
        "Saturday to Monday, ending on the last Monday of May",
        1.15,
        {"cat_garden_outdoor": 1.7, "cat_paint_finishes": 1.3, "cat_lumber_building": 1.3},
        checked="cat_garden_outdoor",
        minimum_lift=1.3,
    ),
    Holiday("Independence Day", "4 July", 1.05, {"cat_garden_outdoor": 1.4}),
    Holiday(
        "Labor Day weekend",
        "Saturday to Monday, ending on the first Monday of September",
        1.15,
        {"cat_paint_finishes": 1.4, "cat_lumber_building": 1.3},
    ),
    Holiday(
        "Black Friday",
        "the day after the fourth Thursday of November",
        1.6,
        {"cat_power_tools": 2.2, "cat_hand_tools": 1.3},
        compare_weeks=(-1,),  # the week after is the holiday season's
        checked="cat_power_tools",
        minimum_lift=1.5,
    ),
)


def holiday_days(first: date, last: date) -> dict[date, int]:
    """Index into HOLIDAYS of every local day from first to last (inclusive) that falls on a holiday."""
    found = {}
    for year in range(first.year, last.year + 1):
        for index, holiday in enumerate(HOLIDAYS):
            found.update({day: index for day in holiday.days(year) if first <= day <= last})
    return found


def local_offsets(moments: np.ndarray) -> np.ndarray:
    """The stores' UTC offset in seconds (e.g. -28800) at each of these Unix times, daylight saving included."""
    offsets = [datetime.fromtimestamp(t, TIME_ZONE).utcoffset().total_seconds() for t in moments.ravel().tolist()]
    return np.array(offsets, dtype=np.int64).reshape(moments.shape)


def local_time(iso: str) -> tuple[date, int, int]:
    """The stores' local date, weekday (Monday 0) and hour of a stored UTC timestamp."""
    moment = datetime.fromisoformat(iso).astimezone(TIME_ZONE)
    return moment.date(), moment.weekday(), moment.hour


@lru_cache(maxsize=1 << 16)
def _local_hour(utc_hour: str) -> tuple[date, int, int]:
    return local_time(f"{utc_hour}:00:00+00:00")


def local_hour(iso: str) -> tuple[date, int, int]:
    """local_time of a stored UTC timestamp, computed once per UTC hour (the stores' offsets are whole hours):
    for readers that convert every order of a dataset."""
    return _local_hour(iso[:13])
