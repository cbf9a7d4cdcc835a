"""A user's segments now, in one statement (one round trip): the user's explicit rows in live
segments, and the live rollouts with their percentage history; then the core decides membership
at the instant asked about."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    DateTime,
    Integer,
    String,
    and_,
    null,
    select,
    union_all,
)

from handyman_core.segment_buckets import PercentageChange
from handyman_core.segment_membership import (
    ActiveSegment,
    ExplicitState,
    SegmentRollout,
    active_segments,
)
from handyman_core.segments import Percentage, Segment
from handyman_store.schema import segment_events, segment_memberships, segments
from handyman_store.segment_rows import from_database, segment_of, state_of


def user_segments(connection: Connection, user_id: int, now: datetime) -> list[ActiveSegment]:
    rollouts: dict[int, tuple[Segment, list[PercentageChange]]] = {}
    states: dict[int, ExplicitState] = {}
    for row in connection.execute(_query(user_id)):
        segment, changes = rollouts.setdefault(row.segment_id, (segment_of(row), []))
        if row.state is not None:
            states[segment.segment_id] = state_of(row.state, row.since, row.expires_at)
        elif row.changed_at is not None:
            changes.append(
                PercentageChange(from_database(row.changed_at), Percentage(row.changed_to))
            )
    candidates = [SegmentRollout(segment, changes) for segment, changes in rollouts.values()]
    return active_segments(user_id, candidates, states, now)


def _query(user_id: int) -> Any:
    memberships, events = segment_memberships.c, segment_events.c
    live = segments.c.deleted_at.is_(None)
    explicit = (
        select(
            segments,
            memberships.state,
            memberships.since,
            memberships.expires_at,
            null().cast(DateTime(timezone=True)).label("changed_at"),
            null().cast(Integer).label("changed_to"),
            null().cast(BigInteger).label("event_id"),
        )
        .join(segment_memberships, memberships.segment_id == segments.c.segment_id)
        .where(memberships.user_id == user_id, live)
    )
    rollouts = (
        select(
            segments,
            null().cast(String).label("state"),
            null().cast(DateTime(timezone=True)).label("since"),
            null().cast(DateTime(timezone=True)).label("expires_at"),
            events.at.label("changed_at"),
            events.percentage.label("changed_to"),
            events.event_id.label("event_id"),
        )
        .outerjoin(
            segment_events,
            and_(events.segment_id == segments.c.segment_id, events.user_id.is_(None)),
        )
        .where(live, segments.c.percentage > 0)
    )
    both = union_all(explicit, rollouts).subquery("candidates")
    return select(both).order_by(both.c.segment_id, both.c.event_id)
