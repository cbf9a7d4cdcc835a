"""Memberships across merge and split: explicit states travel, rollouts follow the user id."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import assume, given
from hypothesis import strategies as st

from handyman_core.segment_history import membership_changed, settle
from handyman_core.segment_membership import (
    Excluded,
    ExplicitState,
    Included,
    effective_state,
    is_member,
)
from handyman_core.segment_merge import merged_state, transfer_memberships
from handyman_core.segments import Percentage, Segment, SegmentName
from tests.core.segment_strategies import T0, explicit_states, instants, user_ids

maybe_states = st.none() | explicit_states()
active_states = (
    st.none()
    | st.builds(Included, since=instants, expires_at=st.none() | st.just(T0 + timedelta(days=1)))
    | st.builds(Excluded, since=instants)
)

SEGMENTS = {
    sid: Segment(sid, SegmentName(f"S{sid}"), "", Percentage(p), f"salt{sid}", T0)
    for sid, p in ((1, 0), (2, 5000), (3, 10_000))
}
states_by_segment = st.dictionaries(st.sampled_from(sorted(SEGMENTS)), explicit_states())


@given(first=active_states, second=active_states)
def test_merging_states_is_commutative(
    first: ExplicitState | None, second: ExplicitState | None
) -> None:
    assert merged_state(first, second) == merged_state(second, first)


@given(first=active_states, second=active_states, third=active_states)
def test_merging_states_is_associative(
    first: ExplicitState | None, second: ExplicitState | None, third: ExplicitState | None
) -> None:
    assert merged_state(merged_state(first, second), third) == merged_state(
        first, merged_state(second, third)
    )


@given(first=active_states, second=active_states)
def test_an_inclusion_on_either_side_survives_the_merge(
    first: ExplicitState | None, second: ExplicitState | None
) -> None:
    merged = merged_state(first, second)
    if isinstance(first, Included) or isinstance(second, Included):
        assert isinstance(merged, Included)
    elif isinstance(first, Excluded) or isinstance(second, Excluded):
        assert isinstance(merged, Excluded)
    else:
        assert merged is None


def test_two_inclusions_unite_from_the_earlier_start_to_the_later_expiry() -> None:
    early, late = T0, T0 + timedelta(hours=1)
    assert merged_state(Included(late, early + timedelta(days=1)), Included(early, late)) == (
        Included(early, early + timedelta(days=1))
    )
    assert merged_state(Included(late, None), Included(early, late)) == Included(early, None)


@given(
    source=st.tuples(user_ids, states_by_segment),
    target=st.tuples(user_ids, states_by_segment),
    now=instants,
    keep_source=st.booleans(),
)
def test_a_transfer_folds_settled_states_and_logs_every_membership_change(
    source: tuple[int, dict[int, ExplicitState]],
    target: tuple[int, dict[int, ExplicitState]],
    now: datetime,
    keep_source: bool,
) -> None:
    assume(source[0] != target[0])
    transfer = transfer_memberships(SEGMENTS, source, target, now, keep_source=keep_source)
    touched = source[1].keys() | target[1].keys()
    assert set(transfer.source_states) == set(transfer.target_states) == touched
    expected_events = []
    for segment_id in sorted(touched):
        segment = SEGMENTS[segment_id]
        befores = {}
        for user_id, states in (source, target):
            befores[user_id], expiry = settle(segment, user_id, states.get(segment_id), now)
            if expiry is not None:
                expected_events.append(expiry)
        source_after = befores[source[0]] if keep_source else None
        target_after = merged_state(befores[source[0]], befores[target[0]])
        assert transfer.source_states[segment_id] == source_after
        assert transfer.target_states[segment_id] == target_after
        for user_id, after in ((source[0], source_after), (target[0], target_after)):
            event = membership_changed(segment, user_id, befores[user_id], after, now)
            if event is not None:
                expected_events.append(event)
    assert list(transfer.events) == expected_events


@given(
    source=st.tuples(user_ids, states_by_segment),
    target=st.tuples(user_ids, states_by_segment),
    now=instants,
)
def test_after_a_merge_the_target_is_an_explicit_member_wherever_either_was(
    source: tuple[int, dict[int, ExplicitState]],
    target: tuple[int, dict[int, ExplicitState]],
    now: datetime,
) -> None:
    assume(source[0] != target[0])
    transfer = transfer_memberships(SEGMENTS, source, target, now, keep_source=False)
    for segment_id, segment in SEGMENTS.items():
        explicit_before = any(
            isinstance(effective_state(states.get(segment_id), now), Included)
            for _, states in (source, target)
        )
        if explicit_before:
            assert is_member(segment, transfer.target_states[segment_id], target[0], now)
    assert all(state is None for state in transfer.source_states.values())
