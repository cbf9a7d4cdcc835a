"""History events: expiries at their instant, percentage changes as segment-level events, and a
deletion as its members leaving."""

from __future__ import annotations

from datetime import datetime, timedelta

from attrs import evolve
from hypothesis import given
from hypothesis import strategies as st

from handyman_core.segment_buckets import in_rollout
from handyman_core.segment_history import (
    HistoryEvent,
    Operation,
    creation_events,
    deletion_events,
    percentage_event,
    settle,
)
from handyman_core.segment_membership import Excluded, ExplicitState, Included, is_member
from handyman_core.segments import NO_ROLLOUT, Percentage, Segment, SegmentName
from tests.core.segment_strategies import (
    T0,
    explicit_states,
    inclusions,
    instants,
    percentages,
    segments,
    user_ids,
)


@given(segment=segments(live=True), state=inclusions(), user_id=user_ids, now=instants)
def test_settling_drops_an_expired_inclusion_with_an_event_at_its_expiry_unless_rolled_out(
    segment: Segment, state: Included, user_id: int, now: datetime
) -> None:
    settled, event = settle(segment, user_id, state, now)
    if state.active_at(now):
        assert (settled, event) == (state, None)
        return
    assert settled is None
    assert state.expires_at is not None
    if in_rollout(segment.salt, user_id, segment.percentage):
        assert event is None
    else:
        assert event == HistoryEvent(
            segment.segment_id, user_id, Operation.EXPIRED, state.expires_at
        )


@given(segment=segments(live=True), state=explicit_states(), user_id=user_ids, now=instants)
def test_settling_never_changes_membership(
    segment: Segment, state: ExplicitState, user_id: int, now: datetime
) -> None:
    settled, _ = settle(segment, user_id, state, now)
    assert is_member(segment, settled, user_id, now) == is_member(segment, state, user_id, now)


@given(segment=segments(live=True), new=percentages, at=instants)
def test_a_percentage_change_is_a_segment_level_event_in_its_direction(
    segment: Segment, new: Percentage, at: datetime
) -> None:
    event = percentage_event(segment, new, at)
    if new == segment.percentage:
        assert event is None
        return
    operation = Operation.ADDED if new > segment.percentage else Operation.REMOVED
    assert event == HistoryEvent(segment.segment_id, None, operation, at, new)


@given(segment=segments(live=True))
def test_a_segment_created_with_a_percentage_starts_its_rollout_at_creation(
    segment: Segment,
) -> None:
    expected = (
        []
        if segment.percentage == NO_ROLLOUT
        else [
            HistoryEvent(
                segment.segment_id, None, Operation.ADDED, segment.created_at, segment.percentage
            )
        ]
    )
    assert creation_events(segment) == expected


@given(
    segment=segments(live=True),
    states=st.dictionaries(user_ids, explicit_states(), max_size=8),
    at=instants,
)
def test_deleting_a_segment_removes_each_explicit_member_and_ends_the_rollout(
    segment: Segment, states: dict[int, ExplicitState], at: datetime
) -> None:
    events = deletion_events(segment, states.items(), at)
    explicit_members = {
        user_id
        for user_id, state in states.items()
        if isinstance(state, Included) and state.active_at(at)
    }
    user_events = [event for event in events if event.user_id is not None]
    assert {event.user_id for event in user_events} == explicit_members
    assert all(
        event == HistoryEvent(segment.segment_id, event.user_id, Operation.REMOVED, at)
        for event in user_events
    )
    rollout = [event for event in events if event.user_id is None]
    if segment.percentage == NO_ROLLOUT:
        assert rollout == []
    else:
        assert rollout == [
            HistoryEvent(segment.segment_id, None, Operation.REMOVED, at, NO_ROLLOUT)
        ]


def test_an_excluded_user_does_not_leave_a_deleted_segment_again() -> None:
    segment = Segment(1, SegmentName("BETA"), "", Percentage(0), "s", T0)
    at = T0 + timedelta(hours=1)
    assert deletion_events(segment, [(5, Excluded(T0)), (6, Included(T0))], at) == [
        HistoryEvent(1, 6, Operation.REMOVED, at)
    ]


def test_an_expiry_inside_the_rollout_is_no_event() -> None:
    everybody = Segment(1, SegmentName("ALL"), "", Percentage(10_000), "s", T0)
    state = Included(T0, T0 + timedelta(hours=1))
    assert settle(everybody, 5, state, T0 + timedelta(hours=2)) == (None, None)
    nobody = evolve(everybody, percentage=NO_ROLLOUT)
    assert settle(nobody, 5, state, T0 + timedelta(hours=2)) == (
        None,
        HistoryEvent(1, 5, Operation.EXPIRED, T0 + timedelta(hours=1)),
    )
