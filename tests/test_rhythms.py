"""The profiles of zava.model.rhythms: well formed, holidays on the right days, Pacific time with daylight saving."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np

from zava.catalog.loader import load_catalog
from zava.generation.calendar import hour_slots
from zava.model.rhythms import (
    HOLIDAYS,
    HOUR_WEIGHT,
    KINDS,
    OPENING_HOURS,
    WEEKDAY_WEIGHT,
    holiday_days,
    local_offsets,
)

BY_NAME = {h.name: h for h in HOLIDAYS}


def test_profiles_are_scaled_and_closed_hours_are_empty():
    for kind in KINDS:
        assert abs(WEEKDAY_WEIGHT[kind].mean() - 1) < 1e-12
        assert abs(HOUR_WEIGHT[kind].sum() - 1) < 1e-12
        opens, closes = OPENING_HOURS[kind]
        assert (HOUR_WEIGHT[kind][opens:closes] > 0).all()
        assert HOUR_WEIGHT[kind][:opens].sum() == HOUR_WEIGHT[kind][closes:].sum() == 0


def test_holidays_fall_on_their_days_every_year():
    for year in range(2020, 2031):
        sat, sun, mon = BY_NAME["Memorial Day weekend"].days(year)
        assert (sat.weekday(), sun.weekday(), mon.weekday()) == (5, 6, 0)
        assert mon.month == 5 and (mon + timedelta(weeks=1)).month == 6  # the last Monday of May
        labor = BY_NAME["Labor Day weekend"].days(year)[-1]
        assert labor.month == 9 and labor.weekday() == 0 and labor.day <= 7
        friday = BY_NAME["Black Friday"].days(year)[0]
        thursday = friday - timedelta(days=1)
        assert friday.weekday() == 4 and thursday.month == 11 and 22 <= thursday.day <= 28  # the 4th Thursday
        assert BY_NAME["Independence Day"].days(year) == [date(year, 7, 4)]
    days = holiday_days(date(2025, 1, 1), date(2025, 12, 31))
    assert days[date(2025, 5, 26)] == HOLIDAYS.index(BY_NAME["Memorial Day weekend"])
    assert days[date(2025, 11, 28)] == HOLIDAYS.index(BY_NAME["Black Friday"])
    assert len(days) == sum(len(h.days(2025)) for h in HOLIDAYS)


def test_every_lifted_category_is_in_the_catalog():
    categories = {c.category_id for c in load_catalog().categories}
    for holiday in HOLIDAYS:
        assert set(holiday.lifts) <= categories and all(lift > 1 for lift in holiday.lifts.values())
        assert holiday.checked is None or holiday.checked in holiday.lifts


def test_pacific_time_switches_at_2_am_local():
    def at(*fields: int) -> int:
        return int(datetime(*fields, tzinfo=UTC).timestamp())

    moments = np.array([at(2025, 3, 9, 9, 59), at(2025, 3, 9, 10, 0), at(2025, 11, 2, 8, 59), at(2025, 11, 2, 9, 0)])
    assert local_offsets(moments).tolist() == [-8 * 3600, -7 * 3600, -7 * 3600, -8 * 3600]


def test_store_hours_follow_daylight_saving_in_utc():
    winter, summer = (int(datetime(2025, m, 15, tzinfo=UTC).timestamp()) for m in (1, 7))
    slots = hour_slots(np.array([winter, summer]))
    physical = KINDS.index("physical")
    open_utc = [np.flatnonzero(slots.weight[day, physical]) for day in (0, 1)]
    assert sorted(open_utc[0].tolist()) == sorted([(h + 8) % 24 for h in range(7, 20)])  # PST: UTC-8
    assert sorted(open_utc[1].tolist()) == sorted([(h + 7) % 24 for h in range(7, 20)])  # PDT: UTC-7
