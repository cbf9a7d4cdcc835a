"""Membership at an instant: explicit states override the rollout, expiry is exact, a deleted
segment has no members."""

from __future__ import annotations

from datetime import datetime, timedelta

from attrs import evolve
from hypothesis import given
from hypothesis import strategies as st

from handyman_core.segment_buckets import PercentageChange, in_rollout
from handyman_core.segment_membership import (
    ActiveSegment,
    Excluded,
    ExplicitState,
    Included,
    SegmentRollout,
    Source,
    active_segments,
    effective_state,
    is_member,
)
from handyman_core.segments import Percentage, Segment, SegmentName
from tests.core.segment_strategies import (
    T0,
    exclusions,
    explicit_states,
    inclusions,
    instants,
    segments,
    user_ids,
)

MICROSECOND = timedelta(microseconds=1)


@given(segment=segments(live=True), state=inclusions(), user_id=user_ids, at=instants)
def test_an_active_inclusion_is_membership_whatever_the_percentage(
    segment: Segment, state: Included, user_id: int, at: datetime
) -> None:
    if state.active_at(at):
        assert is_member(segment, state, user_id, at)


@given(segment=segments(live=True), state=exclusions(), user_id=user_ids, at=instants)
def test_an_exclusion_keeps_a_user_out_whatever_the_percentage(
    segment: Segment, state: Excluded, user_id: int, at: datetime
) -> None:
    assert not is_member(segment, state, user_id, at)


@given(segment=segments(live=True), user_id=user_ids, at=instants)
def test_without_an_explicit_state_the_rollout_decides(
    segment: Segment, user_id: int, at: datetime
) -> None:
    assert is_member(segment, None, user_id, at) == in_rollout(
        segment.salt, user_id, segment.percentage
    )


@given(segment=segments(live=True), since=instants, user_id=user_ids)
def test_an_inclusion_ends_at_the_exact_microsecond_it_expires(
    segment: Segment, since: datetime, user_id: int
) -> None:
    segment = evolve(segment, percentage=Percentage(0))
    expires_at = since + timedelta(hours=1)
    state = Included(since, expires_at)
    assert is_member(segment, state, user_id, expires_at - MICROSECOND)
    assert not is_member(segment, state, user_id, expires_at)


@given(segment=segments(live=True), state=inclusions(), user_id=user_ids, at=instants)
def test_an_expired_inclusion_falls_back_to_the_rollout(
    segment: Segment, state: Included, user_id: int, at: datetime
) -> None:
    if not state.active_at(at):
        assert effective_state(state, at) is None
        assert is_member(segment, state, user_id, at) == is_member(segment, None, user_id, at)


@given(
    segment=segments(live=False),
    state=st.none() | explicit_states(),
    user_id=user_ids,
    at=instants,
)
def test_a_deleted_segment_has_no_members(
    segment: Segment, state: ExplicitState | None, user_id: int, at: datetime
) -> None:
    assert not is_member(segment, state, user_id, at)


pools = st.lists(
    segments(live=True, segment_ids=st.integers(1, 40)),
    max_size=6,
    unique_by=(lambda segment: segment.segment_id, lambda segment: segment.name),
)


@given(pool=pools, data=st.data(), user_id=user_ids, at=instants)
def test_active_segments_are_exactly_the_segments_the_user_is_a_member_of(
    pool: list[Segment], data: st.DataObject, user_id: int, at: datetime
) -> None:
    ids = [segment.segment_id for segment in pool]
    states = data.draw(
        st.dictionaries(st.sampled_from(ids), explicit_states()) if ids else st.just({})
    )
    rollouts = [SegmentRollout(s, [PercentageChange(s.created_at, s.percentage)]) for s in pool]
    active = {entry.name: entry for entry in active_segments(user_id, rollouts, states, at)}
    assert list(active) == sorted(active)
    for segment in pool:
        state = states.get(segment.segment_id)
        assert (segment.name in active) == is_member(segment, state, user_id, at)
        if segment.name not in active:
            continue
        entry = active[segment.name]
        state = effective_state(state, at)
        if isinstance(state, Included):
            assert entry == ActiveSegment(
                segment.name, Source.EXPLICIT, state.since, state.expires_at
            )
        else:
            assert entry == ActiveSegment(segment.name, Source.PERCENTAGE, segment.created_at)


def test_a_percentage_member_is_listed_since_the_rollout_reached_it() -> None:
    segment = Segment(1, SegmentName("HALF"), "", Percentage(10_000), "s", T0)
    changes = [
        PercentageChange(T0, Percentage(0)),
        PercentageChange(T0 + timedelta(hours=2), Percentage(10_000)),
    ]
    [entry] = active_segments(7, [SegmentRollout(segment, changes)], {}, T0 + timedelta(hours=3))
    assert entry == ActiveSegment(SegmentName("HALF"), Source.PERCENTAGE, T0 + timedelta(hours=2))
