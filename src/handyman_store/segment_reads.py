"""A user's segments now: two index lookups (the user's explicit rows; the live rollouts with their
percentage history), then the core decides membership at the instant asked about."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, and_, select

from handyman_core.segment_buckets import PercentageChange
from handyman_core.segment_membership import ActiveSegment, SegmentRollout, active_segments
from handyman_core.segments import Percentage, Segment
from handyman_store.schema import segment_events, segment_memberships, segments
from handyman_store.segment_rows import from_database, segment_of, state_of


def user_segments(connection: Connection, user_id: int, now: datetime) -> list[ActiveSegment]:
    memberships = segment_memberships.c
    explicit = connection.execute(
        select(segments, memberships.state, memberships.since, memberships.expires_at)
        .join(segment_memberships, memberships.segment_id == segments.c.segment_id)
        .where(memberships.user_id == user_id, segments.c.deleted_at.is_(None))
    ).all()
    rollouts = _live_rollouts(connection)
    states = {}
    for row in explicit:
        segment = segment_of(row)
        states[segment.segment_id] = state_of(row.state, row.since, row.expires_at)
        rollouts.setdefault(segment.segment_id, (segment, []))
    candidates = [SegmentRollout(segment, changes) for segment, changes in rollouts.values()]
    return active_segments(user_id, candidates, states, now)


def _live_rollouts(connection: Connection) -> dict[int, tuple[Segment, list[PercentageChange]]]:
    """Live segments with a percentage, each with its percentage changes in order."""
    events = segment_events.c
    rows = connection.execute(
        select(segments, events.at, events.percentage.label("changed_to"))
        .outerjoin(
            segment_events,
            and_(events.segment_id == segments.c.segment_id, events.user_id.is_(None)),
        )
        .where(segments.c.deleted_at.is_(None), segments.c.percentage > 0)
        .order_by(segments.c.segment_id, events.at, events.event_id)
    ).all()
    rollouts: dict[int, tuple[Segment, list[PercentageChange]]] = {}
    for row in rows:
        _, changes = rollouts.setdefault(row.segment_id, (segment_of(row), []))
        if row.at is not None:
            changes.append(PercentageChange(from_database(row.at), Percentage(row.changed_to)))
    return rollouts
