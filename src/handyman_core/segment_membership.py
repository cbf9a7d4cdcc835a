"""Whether a user is in a segment at an instant.

A user's explicit state in a segment overrides its rollout: an inclusion (until its expiry, if
any) puts the user in, an exclusion keeps the user out whatever the percentage; with neither,
the rollout decides. Expiry is evaluated against the instant asked about, so an inclusion ends
at the exact microsecond it expires, with no background job.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from attrs import frozen

from handyman_core.segment_buckets import PercentageChange, bucket, in_rollout, rollout_since
from handyman_core.segments import Segment, SegmentName


@frozen
class Included:
    since: datetime
    expires_at: datetime | None = None

    def active_at(self, at: datetime) -> bool:
        return self.expires_at is None or at < self.expires_at


@frozen
class Excluded:
    since: datetime


ExplicitState = Included | Excluded


def effective_state(state: ExplicitState | None, at: datetime) -> ExplicitState | None:
    """An inclusion that has expired at `at` counts as no explicit state at all."""
    if isinstance(state, Included) and not state.active_at(at):
        return None
    return state


def is_member(segment: Segment, state: ExplicitState | None, user_id: int, at: datetime) -> bool:
    """Membership of a live segment at `at`, under the segment's current percentage."""
    if not segment.live:
        return False
    match effective_state(state, at):
        case Included():
            return True
        case Excluded():
            return False
        case None:
            return in_rollout(segment.salt, user_id, segment.percentage)


class Source(enum.StrEnum):
    EXPLICIT = "explicit"
    PERCENTAGE = "percentage"


@frozen
class ActiveSegment:
    name: SegmentName
    source: Source
    since: datetime | None
    """When the explicit inclusion began, or when the rollout reached the user's bucket."""
    expires_at: datetime | None = None


@frozen
class SegmentRollout:
    """A live segment with the history of its percentage, which `since` needs."""

    segment: Segment
    changes: Sequence[PercentageChange] = ()


def active_segments(
    user_id: int,
    segments: Iterable[SegmentRollout],
    states: Mapping[int, ExplicitState],
    at: datetime,
) -> list[ActiveSegment]:
    """The user's segments at `at`, by name. `segments` must include every live segment the
    user has a state in and every live segment with a percentage; `states` is keyed by
    segment id."""
    active: list[ActiveSegment] = []
    for rollout in segments:
        segment = rollout.segment
        state = effective_state(states.get(segment.segment_id), at)
        if not is_member(segment, state, user_id, at):
            continue
        if isinstance(state, Included):
            active.append(
                ActiveSegment(segment.name, Source.EXPLICIT, state.since, state.expires_at)
            )
        else:
            since = rollout_since(rollout.changes, bucket(segment.salt, user_id))
            active.append(ActiveSegment(segment.name, Source.PERCENTAGE, since))
    return sorted(active, key=lambda segment: segment.name)
