"""Segment names, percentages, and soft deletion."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handyman_core.errors import Conflict, InvalidInput, NotFound
from handyman_core.segments import (
    BUCKETS,
    NewSegment,
    Percentage,
    Segment,
    SegmentEdit,
    SegmentName,
    check_name_free,
    current_by_name,
    deleted,
    parse_description,
    parse_segment_name,
    read_new_segment,
    read_segment_edit,
)
from tests.core.segment_strategies import T0, names


@given(name=names)
def test_names_of_the_grammar_are_accepted(name: str) -> None:
    assert parse_segment_name(name, "name") == name


@pytest.mark.parametrize("name", ["", "beta", "Beta", "1BETA", "_BETA", "BE-TA", "BÉTA", "A" * 65])
def test_names_outside_the_grammar_are_refused(name: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_segment_name(name, "name")
    assert "name" in raised.value.fields


@given(hundredths=st.integers(0, BUCKETS))
def test_a_percentage_round_trips_through_json(hundredths: int) -> None:
    percentage = Percentage(hundredths)
    assert Percentage.parse(percentage.as_json()) == percentage


@pytest.mark.parametrize(
    ("value", "hundredths"), [(0, 0), (100, 10_000), (12.5, 1250), (0.07, 7), (57, 5700)]
)
def test_a_percentage_counts_hundredths(value: float, hundredths: int) -> None:
    assert Percentage.parse(value).hundredths == hundredths


@pytest.mark.parametrize(
    "value", [-1, 100.01, 101, 0.001, 12.345, True, "50", None, float("nan"), float("inf")]
)
def test_a_bad_percentage_is_refused(value: object) -> None:
    with pytest.raises(InvalidInput) as raised:
        Percentage.parse(value)
    assert "percentage" in raised.value.fields


def test_a_description_must_be_storable_text() -> None:
    with pytest.raises(InvalidInput):
        parse_description("a\x00b")
    with pytest.raises(InvalidInput):
        parse_description("x" * 2001)
    assert parse_description("Beta testers of the Rust course") == (
        "Beta testers of the Rust course"
    )


BETA = SegmentName("BETA")


def segment(segment_id: int, deleted_at: datetime | None = None) -> Segment:
    return Segment(segment_id, BETA, "", Percentage(0), "s", T0, deleted_at)


def test_a_name_refers_to_its_live_segment_else_the_latest_deleted_one() -> None:
    assert current_by_name([segment(1, T0), segment(3), segment(2, T0)]) == segment(3)
    assert current_by_name([segment(1, T0), segment(2, T0)]) == segment(2, T0)
    assert current_by_name([]) is None


def test_deleting_flags_the_segment_at_that_instant() -> None:
    assert deleted(segment(1), BETA, T0) == segment(1, T0)


def test_deleting_twice_is_a_conflict_that_says_so() -> None:
    with pytest.raises(Conflict, match="already deleted"):
        deleted(segment(1, T0), BETA, T0)


def test_deleting_an_unknown_segment_is_not_found() -> None:
    with pytest.raises(NotFound):
        deleted(None, BETA, T0)


def test_a_live_name_is_taken_but_a_deleted_one_is_free() -> None:
    with pytest.raises(Conflict, match="already exists"):
        check_name_free(BETA, segment(1))
    check_name_free(BETA, segment(1, T0))
    check_name_free(BETA, None)


def test_a_new_segment_reads_with_defaults() -> None:
    assert read_new_segment({"name": "BETA"}) == NewSegment(BETA)
    assert read_new_segment({"name": "BETA", "percentage": 12.5, "description": "d"}) == (
        NewSegment(BETA, "d", Percentage(1250))
    )


def test_a_bad_new_segment_names_every_bad_field() -> None:
    with pytest.raises(InvalidInput) as raised:
        read_new_segment({"name": "beta", "percentage": 101, "description": 5})
    assert set(raised.value.fields) == {"name", "percentage", "description"}
    with pytest.raises(InvalidInput) as raised:
        read_new_segment({})
    assert raised.value.fields == {"name": "is required"}
    with pytest.raises(InvalidInput) as raised:
        read_new_segment([])
    assert "body" in raised.value.fields


def test_an_edit_changes_what_it_names_and_must_name_something() -> None:
    assert read_segment_edit({"percentage": 0}) == SegmentEdit(percentage=Percentage(0))
    assert read_segment_edit({"description": ""}) == SegmentEdit(description="")
    with pytest.raises(InvalidInput) as raised:
        read_segment_edit({})
    assert "body" in raised.value.fields
    with pytest.raises(InvalidInput) as raised:
        read_segment_edit({"name": "OTHER", "percentage": 5})
    assert raised.value.fields == {
        "name": "is not a field of this request (expected percentage, description)"
    }
    with pytest.raises(InvalidInput) as raised:
        read_segment_edit({"percentage": None})
    assert "percentage" in raised.value.fields
    with pytest.raises(InvalidInput) as raised:
        read_segment_edit({"percentage": "50"})
    assert "percentage" in raised.value.fields
