"""The hours of each UTC day of the dataset: how many orders each kind of store takes in each of them, and which
holiday (if any) the hour's local day belongs to, from the profiles of zava.model.rhythms."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from zava.model.rhythms import HOLIDAYS, HOUR_WEIGHT, KINDS, WEEKDAY_WEIGHT, holiday_days, local_offsets

DAY, HOUR = 86_400, 3_600
EPOCH = date(1970, 1, 1)  # a Thursday


@dataclass(frozen=True)
class HourSlots:
    """Per UTC day and UTC hour: relative orders per store kind (days, kinds, 24); the holiday (days, 24) as
    1 + its index in HOLIDAYS, 0 for an ordinary day; the local weekday (Monday 0) and hour (days, 24)."""

    weight: np.ndarray
    holiday: np.ndarray
    weekday: np.ndarray
    hour: np.ndarray


def hour_slots(day_starts: np.ndarray) -> HourSlots:
    """The slots of the UTC days starting at `day_starts` (Unix seconds of midnight UTC)."""
    utc = day_starts[:, None] + np.arange(24) * HOUR
    local = utc + local_offsets(utc)  # the local wall clock, counted like Unix time
    local_day, hour = local // DAY, (local % DAY) // HOUR
    weekday = (local_day + 3) % 7  # day 0 was a Thursday; Monday is 0
    first = int(local_day.min())
    lookup = np.zeros(int(local_day.max()) - first + 1, dtype=np.int64)
    span = (EPOCH + timedelta(days=first), EPOCH + timedelta(days=int(local_day.max())))
    for day, index in holiday_days(*span).items():
        lookup[(day - EPOCH).days - first] = index + 1
    holiday = lookup[local_day - first]
    volume = np.array([1.0, *(h.volume for h in HOLIDAYS)])[holiday]
    weight = np.stack([WEEKDAY_WEIGHT[kind][weekday] * HOUR_WEIGHT[kind][hour] * volume for kind in KINDS], axis=1)
    return HourSlots(weight, holiday, weekday, hour)
