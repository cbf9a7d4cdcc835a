"""The statistics API's query: each bad field named, all of them at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handyman_core.errors import InvalidInput
from handyman_core.statistics_cursor import CursorPosition, encode_cursor
from handyman_core.statistics_query import MAX_LIMIT, parse_statistics_query

GOOD = {
    "client": "university",
    "client_key": "hmk_secret",
    "start": "2026-12-01 00:00:00",
    "end": "2026-12-02 00:00:00",
}


def _problems(**changes: str | None) -> set[str]:
    params = {key: value for key, value in {**GOOD, **changes}.items() if value is not None}
    with pytest.raises(InvalidInput) as raised:
        parse_statistics_query(params)
    return set(raised.value.fields)


def test_a_good_query_is_read_into_a_window_without_limit() -> None:
    query = parse_statistics_query(GOOD)

    assert query.client == "university"
    assert query.window.start == datetime(2026, 12, 1, tzinfo=UTC)
    assert query.window.end == datetime(2026, 12, 2, tzinfo=UTC)
    assert query.limit is None
    assert query.after is None


def test_limit_and_cursor_are_read_when_given() -> None:
    position = CursorPosition(datetime(2026, 12, 1, 5, tzinfo=UTC), 42)

    query = parse_statistics_query({**GOOD, "limit": "1000", "cursor": encode_cursor(position)})

    assert query.limit == 1000
    assert query.after == position


@pytest.mark.parametrize("name", ["client", "client_key", "start", "end"])
def test_each_required_parameter_is_named_when_missing(name: str) -> None:
    assert _problems(**{name: None}) == {name}


def test_an_end_before_the_start_is_refused_naming_end() -> None:
    assert _problems(start="2026-12-02", end="2026-12-01") == {"end"}


def test_an_empty_window_is_refused_naming_end() -> None:
    assert _problems(start="2026-12-02", end="2026-12-02") == {"end"}


def test_a_window_longer_than_the_maximum_is_refused_naming_end() -> None:
    assert _problems(start="2026-01-01", end="2026-03-01") == {"end"}


def test_the_maximum_range_is_configurable() -> None:
    with pytest.raises(InvalidInput):
        parse_statistics_query(GOOD, max_range=timedelta(hours=1))


@pytest.mark.parametrize("limit", ["0", "-1", "10001", "1e3", "ten", "", " 5", "٣"])
def test_a_limit_outside_one_to_the_maximum_is_refused(limit: str) -> None:
    assert _problems(limit=limit) == {"limit"}


def test_every_bad_field_is_reported_together() -> None:
    assert _problems(start="never", end="2026-13-01", limit="100000", client=None) == {
        "start",
        "end",
        "limit",
        "client",
    }


@given(st.integers(1, MAX_LIMIT))
def test_every_limit_up_to_the_maximum_is_accepted(limit: int) -> None:
    assert parse_statistics_query({**GOOD, "limit": str(limit)}).limit == limit


@given(st.dictionaries(st.sampled_from([*GOOD, "limit", "cursor"]), st.text(max_size=30)))
def test_any_query_is_either_read_or_refused_naming_known_fields(params: dict[str, str]) -> None:
    try:
        query = parse_statistics_query(params)
    except InvalidInput as error:
        assert set(error.fields) <= {*GOOD, "limit", "cursor"}
    else:
        assert query.window.start < query.window.end
