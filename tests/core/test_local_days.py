"""Day boundaries in a time zone: every instant is in exactly one day, days follow each other
without gaps, and change-over days are as long as the clocks make them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handyman_core.errors import InvalidInput
from handyman_core.local_days import day_bounds, days_from_to, local_day
from tests.core.analytics_strategies import instants

zones = st.timezones()
days = st.dates(min_value=date(1971, 1, 1), max_value=date(9998, 12, 1))


@given(instants, zones)
def test_every_instant_lies_within_the_bounds_of_its_local_day(
    moment: datetime, zone: ZoneInfo
) -> None:
    start, end = day_bounds(local_day(moment, zone), zone)

    assert start <= moment < end


@given(days, zones)
def test_consecutive_days_meet_without_gap_or_overlap(day: date, zone: ZoneInfo) -> None:
    _, end = day_bounds(day, zone)
    next_start, _ = day_bounds(day + timedelta(days=1), zone)

    assert end == next_start


@given(days, zones)
def test_a_day_starts_on_its_own_date_and_lasts_a_plausible_time(day: date, zone: ZoneInfo) -> None:
    start, end = day_bounds(day, zone)

    assert local_day(start, zone) == day
    assert local_day(end - timedelta(microseconds=1), zone) == day
    assert timedelta(hours=20) <= end - start <= timedelta(hours=28)


def test_the_spring_change_over_day_in_berlin_lasts_23_hours() -> None:
    start, end = day_bounds(date(2026, 3, 29), ZoneInfo("Europe/Berlin"))

    assert start == datetime(2026, 3, 28, 23, tzinfo=UTC)
    assert end - start == timedelta(hours=23)


def test_a_moscow_day_starts_at_21_utc_the_day_before() -> None:
    start, _ = day_bounds(date(2026, 12, 2), ZoneInfo("Europe/Moscow"))

    assert start == datetime(2026, 12, 1, 21, tzinfo=UTC)


def test_an_instant_late_in_utc_is_the_next_day_in_moscow() -> None:
    moment = datetime(2026, 12, 1, 22, tzinfo=UTC)

    assert local_day(moment, UTC) == date(2026, 12, 1)
    assert local_day(moment, ZoneInfo("Europe/Moscow")) == date(2026, 12, 2)


def test_a_span_of_days_includes_both_ends() -> None:
    assert days_from_to(date(2026, 12, 1), date(2026, 12, 3)) == [
        date(2026, 12, 1),
        date(2026, 12, 2),
        date(2026, 12, 3),
    ]


def test_a_backwards_span_of_days_is_refused_naming_to() -> None:
    with pytest.raises(InvalidInput) as raised:
        days_from_to(date(2026, 12, 3), date(2026, 12, 1))

    assert set(raised.value.fields) == {"to"}


def test_a_span_longer_than_the_limit_is_refused() -> None:
    with pytest.raises(InvalidInput):
        days_from_to(date(2026, 1, 1), date(2026, 12, 31), max_days=31)
