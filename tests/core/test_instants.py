"""Reading the instants clients send (the seed vendor's format, RFC 3339, bare dates) and
writing the one form the API answers in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handyman_core.errors import InvalidInput
from handyman_core.instants import (
    format_instant,
    format_seed_instant,
    parse_day,
    parse_instant,
)
from tests.core.analytics_strategies import instants


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-02 10:11:12", datetime(2026, 12, 2, 10, 11, 12, tzinfo=UTC)),
        ("2026-12-02 10:11:12.5", datetime(2026, 12, 2, 10, 11, 12, 500000, tzinfo=UTC)),
        ("2026-12-02 10:11:12.123456", datetime(2026, 12, 2, 10, 11, 12, 123456, tzinfo=UTC)),
        ("2026-12-02T10:11:12Z", datetime(2026, 12, 2, 10, 11, 12, tzinfo=UTC)),
        ("2026-12-02T13:11:12+03:00", datetime(2026, 12, 2, 10, 11, 12, tzinfo=UTC)),
        ("2026-12-02T13:11:12 03:00", datetime(2026, 12, 2, 10, 11, 12, tzinfo=UTC)),
        ("2026-12-02T08:11:12-02:00", datetime(2026, 12, 2, 10, 11, 12, tzinfo=UTC)),
        ("2026-12-02", datetime(2026, 12, 2, tzinfo=UTC)),
    ],
)
def test_accepted_spellings_of_an_instant(text: str, expected: datetime) -> None:
    assert parse_instant(text, "start") == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "yesterday",
        "2026-13-01 00:00:00",
        "2026-02-30",
        "2026-12-02 25:00:00",
        "2026-12-02T10:00:00+24:00",
        "2026-12-02 10:00:00.1234567",
        "1969-12-31 23:59:59",
        "02.12.2026",
        "2026-12-02T10:00",
    ],
)
def test_malformed_instants_are_refused_naming_the_field(text: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_instant(text, "start")

    assert set(raised.value.fields) == {"start"}


@given(instants)
def test_a_written_instant_reads_back_as_the_same_instant(moment: datetime) -> None:
    assert parse_instant(format_instant(moment), "t") == moment
    assert parse_instant(format_seed_instant(moment), "t") == moment


written_shapes = st.builds(
    "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}.{:06d}Z".format,
    st.integers(0, 9999),
    st.integers(0, 13),
    st.integers(0, 32),
    st.integers(0, 25),
    st.integers(0, 61),
    st.integers(0, 61),
    st.integers(0, 999_999),
)


@given(instants.map(format_instant) | written_shapes)
def test_the_written_form_reads_as_any_other_spelling_does(text: str) -> None:
    """Read in one call, the form the API writes means what the general reading makes of it
    (which the surrounding space sends through)."""
    try:
        expected: object = parse_instant(f" {text}", "t")
    except InvalidInput as refused:
        expected = refused.fields
    try:
        read: object = parse_instant(text, "t")
    except InvalidInput as refused:
        read = refused.fields

    assert read == expected


@given(instants, st.integers(-14 * 60, 14 * 60))
def test_offsets_name_the_same_instant_as_utc(moment: datetime, minutes: int) -> None:
    local = moment.astimezone(timezone(timedelta(minutes=minutes)))

    assert parse_instant(local.isoformat(), "t") == moment


@given(instants, instants)
def test_written_instants_sort_as_text_the_way_they_sort_as_time(
    first: datetime, second: datetime
) -> None:
    assert (format_instant(first) < format_instant(second)) == (first < second)


@given(instants, st.integers(-14 * 60, 14 * 60))
def test_an_instant_is_written_as_rfc_3339_utc_with_six_fraction_digits(
    moment: datetime, minutes: int
) -> None:
    local = moment.astimezone(timezone(timedelta(minutes=minutes)))

    assert format_instant(local) == moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_an_instant_is_written_in_utc_with_z() -> None:
    moment = datetime(2026, 12, 2, 13, 0, tzinfo=timezone(timedelta(hours=3)))

    assert format_instant(moment) == "2026-12-02T10:00:00.000000Z"


def test_a_naive_time_is_not_an_instant() -> None:
    with pytest.raises(ValueError):
        format_instant(datetime(2026, 12, 2))


def test_a_day_is_read_from_its_iso_spelling_only() -> None:
    assert parse_day("2026-12-02", "from").isoformat() == "2026-12-02"
    for text in ("2026-12-2", "02.12.2026", "2026-12-02T00:00:00", "2026-02-30"):
        with pytest.raises(InvalidInput):
            parse_day(text, "from")
