"""Status vocabulary and merge precedence (contract §3, original §1.3)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handyman_core.status import (
    STORED_STATUSES,
    Status,
    higher_status,
    parse_status,
    status_named,
)

statuses = st.sampled_from(list(Status))


def test_precedence_is_completed_blocked_in_progress_not_started() -> None:
    ordered = sorted(Status, key=lambda status: status.rank, reverse=True)
    assert ordered == [Status.COMPLETED, Status.BLOCKED, Status.IN_PROGRESS, Status.NOT_STARTED]


def test_not_started_is_never_stored() -> None:
    assert Status.NOT_STARTED not in STORED_STATUSES
    assert set(STORED_STATUSES) | {Status.NOT_STARTED} == set(Status)


def test_statuses_are_the_strings_the_api_uses() -> None:
    assert [status.value for status in Status] == [
        "not_started",
        "in_progress",
        "blocked",
        "completed",
    ]
    assert str(Status.COMPLETED) == "completed"


@given(a=statuses, b=statuses)
def test_higher_status_is_the_one_with_the_higher_rank(a: Status, b: Status) -> None:
    assert higher_status(a, b).rank == max(a.rank, b.rank)
    assert higher_status(a, b) in (a, b)


@given(a=statuses, b=statuses)
def test_higher_status_is_commutative(a: Status, b: Status) -> None:
    assert higher_status(a, b) == higher_status(b, a)


@given(a=statuses, b=statuses, c=statuses)
def test_higher_status_is_associative(a: Status, b: Status, c: Status) -> None:
    assert higher_status(higher_status(a, b), c) == higher_status(a, higher_status(b, c))


@given(a=statuses)
def test_not_started_is_the_identity_of_higher_status(a: Status) -> None:
    assert higher_status(a, Status.NOT_STARTED) == a


@given(a=statuses)
def test_completed_absorbs_everything(a: Status) -> None:
    assert higher_status(a, Status.COMPLETED) == Status.COMPLETED


@given(a=statuses)
def test_every_status_parses_from_its_text(a: Status) -> None:
    assert parse_status(a.value) is a


@given(text=st.text(max_size=15))
def test_text_outside_the_vocabulary_parses_to_none(text: str) -> None:
    if text not in {status.value for status in Status}:
        assert parse_status(text) is None


def test_parsing_is_case_sensitive() -> None:
    assert parse_status("Completed") is None
    assert parse_status("") is None


@given(text=st.one_of(statuses.map(lambda status: status.value), st.text(max_size=15)))
def test_status_named_is_the_enum_called_with_the_text(text: str) -> None:
    try:
        expected: Status | type[ValueError] = Status(text)
    except ValueError:
        expected = ValueError
    if expected is ValueError:
        with pytest.raises(ValueError):
            status_named(text)
    else:
        assert status_named(text) is expected
