"""A user's segments now, in one statement (one round trip): the user's explicit rows in live
segments, and the live rollouts with their percentage history; then the core decides membership
at the instant asked about.

The statement is SQL written once and run on the driver (`driver_sql`): the read sits on the
catalogue path of a gated course and answers `GET /api/v1/users/{id}/segments`, so building a
SQLAlchemy construct per call would cost more than PostgreSQL spends answering it."""

from __future__ import annotations

from datetime import datetime

from handyman_core.segment_buckets import PercentageChange
from handyman_core.segment_membership import (
    ActiveSegment,
    ExplicitState,
    SegmentRollout,
    active_segments,
)
from handyman_core.segments import Percentage, Segment, SegmentName
from handyman_store.driver_sql import Driver, Row, Sql, read_timestamp
from handyman_store.segment_rows import state_of

_SEGMENT_COLUMNS = "s.segment_id, s.name, s.description, s.percentage, s.salt, s.created_at"

USER_SEGMENTS = Sql.of(
    f"""
    SELECT {_SEGMENT_COLUMNS}, m.state, m.since, m.expires_at,
           NULL AS changed_at, NULL AS changed_to, NULL AS event_id
    FROM segments AS s JOIN segment_memberships AS m ON m.segment_id = s.segment_id
    WHERE m.user_id = :user_id AND s.deleted_at IS NULL
    UNION ALL
    SELECT {_SEGMENT_COLUMNS}, NULL, NULL, NULL, e.at, e.percentage, e.event_id
    FROM segments AS s
    LEFT OUTER JOIN segment_events AS e ON e.segment_id = s.segment_id AND e.user_id IS NULL
    WHERE s.deleted_at IS NULL AND s.percentage > 0
    ORDER BY 1, 12
    """
)
"""Columns: the segment (0-5), the user's explicit state (6-8), a percentage change (9-11)."""


def user_segments(driver: Driver, user_id: int, now: datetime) -> list[ActiveSegment]:
    rollouts: dict[int, tuple[Segment, list[PercentageChange]]] = {}
    states: dict[int, ExplicitState] = {}
    for row in driver.rows(USER_SEGMENTS, {"user_id": user_id}):
        segment_id = int(row[0])
        entry = rollouts.get(segment_id)
        if entry is None:
            entry = rollouts[segment_id] = (_segment(row), [])
        if row[6] is not None:
            states[segment_id] = state_of(row[6], read_timestamp(row[7]), _maybe_instant(row[8]))
        elif row[9] is not None:
            entry[1].append(PercentageChange(read_timestamp(row[9]), Percentage(int(row[10]))))
    candidates = [SegmentRollout(segment, changes) for segment, changes in rollouts.values()]
    return active_segments(user_id, candidates, states, now)


def _segment(row: Row) -> Segment:
    return Segment(
        segment_id=int(row[0]),
        name=SegmentName(str(row[1])),
        description=str(row[2]),
        percentage=Percentage(int(row[3])),
        salt=str(row[4]),
        created_at=read_timestamp(row[5]),
        deleted_at=None,
    )


def _maybe_instant(value: object) -> datetime | None:
    return None if value is None else read_timestamp(value)
