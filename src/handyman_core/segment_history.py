"""The history of segment membership: one event per change of a user's membership, plus one
segment-level event per change of a segment's percentage.

A user event is written only when the user's membership actually changes at that instant: an
explicit add of a user the rollout already covers, or the expiry of an inclusion the rollout
keeps covering, changes nothing and writes nothing. Users who enter or leave through the rollout
are described by the segment-level events (no user id, the new percentage), since a rollout
covers every user id there is. A deletion is its members leaving: a `removed` event for each
explicit member and, for a rollout, a segment-level `removed` to 0.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime

from attrs import frozen

from handyman_core.segment_buckets import in_rollout
from handyman_core.segment_membership import ExplicitState, Included, effective_state, is_member
from handyman_core.segments import NO_ROLLOUT, Percentage, Segment


class Operation(enum.StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    EXPIRED = "expired"


@frozen
class HistoryEvent:
    segment_id: int
    user_id: int | None
    """None for a segment-level event: a change of the percentage."""
    operation: Operation
    at: datetime
    percentage: Percentage | None = None
    """The percentage from `at` on, for a segment-level event only."""


def membership_event(
    segment: Segment, user_id: int, *, was_member: bool, is_member_now: bool, at: datetime
) -> HistoryEvent | None:
    if was_member == is_member_now:
        return None
    operation = Operation.ADDED if is_member_now else Operation.REMOVED
    return HistoryEvent(segment.segment_id, user_id, operation, at)


def settle(
    segment: Segment, user_id: int, state: ExplicitState | None, now: datetime
) -> tuple[ExplicitState | None, HistoryEvent | None]:
    """The state as stored once an inclusion that expired by `now` is dropped, and the
    `expired` event at its expiry unless the rollout keeps the user in. Stores settle lazily
    (on the next write that touches the pair, or by the periodic expiry job), so a segment's
    percentage must not change while an expired inclusion is unsettled: a percentage change
    settles the segment first."""
    if not isinstance(state, Included) or state.active_at(now):
        return state, None
    assert state.expires_at is not None
    event = None
    if not in_rollout(segment.salt, user_id, segment.percentage):
        event = HistoryEvent(segment.segment_id, user_id, Operation.EXPIRED, state.expires_at)
    return None, event


def percentage_event(segment: Segment, new: Percentage, at: datetime) -> HistoryEvent | None:
    """Raising the percentage adds users, lowering it removes them."""
    if new == segment.percentage:
        return None
    operation = Operation.ADDED if new > segment.percentage else Operation.REMOVED
    return HistoryEvent(segment.segment_id, None, operation, at, new)


def creation_events(segment: Segment) -> list[HistoryEvent]:
    """A segment created with a percentage: its rollout starts with it."""
    if segment.percentage == NO_ROLLOUT:
        return []
    return [
        HistoryEvent(
            segment.segment_id, None, Operation.ADDED, segment.created_at, segment.percentage
        )
    ]


def deletion_events(
    segment: Segment, states: Iterable[tuple[int, ExplicitState]], at: datetime
) -> list[HistoryEvent]:
    """The members leaving a live segment deleted at `at`; `states` are its settled explicit
    states. Explicit members leave one by one; rollout members leave with the percentage."""
    events: list[HistoryEvent] = []
    for user_id, state in states:
        if isinstance(effective_state(state, at), Included):
            events.append(HistoryEvent(segment.segment_id, user_id, Operation.REMOVED, at))
    rollout_ends = percentage_event(segment, NO_ROLLOUT, at)
    if rollout_ends is not None:
        events.append(rollout_ends)
    return events


def membership_changed(
    segment: Segment,
    user_id: int,
    before: ExplicitState | None,
    after: ExplicitState | None,
    at: datetime,
) -> HistoryEvent | None:
    """The event, if any, for a user whose explicit state goes from `before` to `after` at
    `at` (both already settled)."""
    return membership_event(
        segment,
        user_id,
        was_member=is_member(segment, before, user_id, at),
        is_member_now=is_member(segment, after, user_id, at),
        at=at,
    )
