"""Segment memberships across merge_users and split_users.

Explicit states travel with the account's progress; rollout membership does not, since it is a
function of the user id (the merged account keeps its own buckets). When both users have a state
in a segment, an inclusion beats an exclusion (someone granted that access on purpose) and two
inclusions unite: the earlier start, the later expiry (none is the latest). Two exclusions keep
the earlier one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from attrs import frozen

from handyman_core.segment_history import HistoryEvent, membership_changed, settle
from handyman_core.segment_membership import Excluded, ExplicitState, Included
from handyman_core.segments import Segment


def merged_state(
    absorbed: ExplicitState | None, kept: ExplicitState | None
) -> ExplicitState | None:
    """Both states already settled (no expired inclusion)."""
    if absorbed is None:
        return kept
    if kept is None:
        return absorbed
    match absorbed, kept:
        case Included(), Included():
            return Included(
                min(absorbed.since, kept.since), _later_expiry(absorbed.expires_at, kept.expires_at)
            )
        case Included(), Excluded():
            return absorbed
        case Excluded(), Included():
            return kept
        case _:
            return Excluded(min(absorbed.since, kept.since))


@frozen
class MembershipTransfer:
    """Explicit states (keyed by segment id) of the two users after a merge or a split: None
    where a user has no row in that segment, with the events the transfer caused."""

    source_states: Mapping[int, ExplicitState | None]
    target_states: Mapping[int, ExplicitState | None]
    events: tuple[HistoryEvent, ...]


def transfer_memberships(
    segments: Mapping[int, Segment],
    source: tuple[int, Mapping[int, ExplicitState]],
    target: tuple[int, Mapping[int, ExplicitState]],
    now: datetime,
    *,
    keep_source: bool,
) -> MembershipTransfer:
    """Fold the source user's explicit states into the target's. A merge (`keep_source` False)
    empties the source, whose account is absorbed; a split keeps it. `segments` must hold
    every segment either user has a state in."""
    source_id, source_states = source
    target_id, target_states = target
    events: list[HistoryEvent] = []
    new_source: dict[int, ExplicitState | None] = {}
    new_target: dict[int, ExplicitState | None] = {}
    for segment_id in sorted(source_states.keys() | target_states.keys()):
        segment = segments[segment_id]
        source_before = _settled(segment, source_id, source_states.get(segment_id), now, events)
        target_before = _settled(segment, target_id, target_states.get(segment_id), now, events)
        source_after = source_before if keep_source else None
        target_after = merged_state(source_before, target_before)
        new_source[segment_id] = source_after
        new_target[segment_id] = target_after
        for user_id, before, after in (
            (source_id, source_before, source_after),
            (target_id, target_before, target_after),
        ):
            event = membership_changed(segment, user_id, before, after, now)
            if event is not None:
                events.append(event)
    return MembershipTransfer(new_source, new_target, tuple(events))


def _settled(
    segment: Segment,
    user_id: int,
    state: ExplicitState | None,
    now: datetime,
    events: list[HistoryEvent],
) -> ExplicitState | None:
    settled, expiry = settle(segment, user_id, state, now)
    if expiry is not None:
        events.append(expiry)
    return settled


def _later_expiry(first: datetime | None, second: datetime | None) -> datetime | None:
    if first is None or second is None:
        return None
    return max(first, second)
