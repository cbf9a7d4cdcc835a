"""The history report, streamed: logged events, plus the expiries not yet logged (inclusions whose
end has passed but that no write or expiry job has settled), in the report's order.

One statement reads both, so the report sees one snapshot even while the expiry job moves rows
from one side to the other. Rows come from a server-side cursor in batches, so memory stays flat
however long the period.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Integer,
    String,
    and_,
    cast,
    literal,
    null,
    select,
    union_all,
)

from handyman_core.segment_history import Operation, settle
from handyman_core.segment_membership import Included
from handyman_core.segment_report import ReportPeriod, ReportRow
from handyman_core.segments import Percentage, Segment, SegmentName
from handyman_store.schema import segment_events, segment_memberships, segments
from handyman_store.segment_rows import INCLUDED, from_database, segment_of, utc

BATCH_ROWS = 10_000
_OPERATIONS = {operation.value: operation for operation in Operation}


def history_rows(
    connection: Connection, period: ReportPeriod, now: datetime
) -> Iterator[ReportRow]:
    """Every report row in `period`, as of `now`, in `core.segment_report.report_order`."""
    query = _report_query(connection, period, now)
    result = connection.execution_options(stream_results=True, yield_per=BATCH_ROWS).execute(query)
    unsettled: dict[int, Segment] = {}
    for row in result:
        if row.unsettled:
            report_row = _unsettled_expiry(row, unsettled, now)
            if report_row is not None:
                yield report_row
            continue
        yield ReportRow(
            at=from_database(row.at),
            segment=SegmentName(row.name),
            user_id=row.user_id,
            operation=_OPERATIONS[row.operation],
            percentage=None if row.percentage is None else Percentage(row.percentage),
        )


def _unsettled_expiry(
    row: Any, segments_seen: dict[int, Segment], now: datetime
) -> ReportRow | None:
    """The `expired` row `settle` would log for this inclusion (none if the rollout keeps the
    user in)."""
    segment = segments_seen.get(row.segment_id)
    if segment is None:
        segment = segment_of(
            {
                "segment_id": row.segment_id,
                "name": row.name,
                "description": "",
                "percentage": row.rollout,
                "salt": row.salt,
                "created_at": row.at,
                "deleted_at": None,
            }
        )
        segments_seen[row.segment_id] = segment
    expires_at = from_database(row.at)
    _, event = settle(segment, row.user_id, Included(expires_at, expires_at), now)
    return None if event is None else ReportRow.of(event, segment.name)


def _report_query(connection: Connection, period: ReportPeriod, now: datetime) -> Any:
    events = segment_events.c
    memberships = segment_memberships.c
    start, end = utc(period.start), utc(period.end)
    logged = (
        select(
            events.at.label("at"),
            segments.c.name.label("name"),
            events.user_id.label("user_id"),
            events.operation.label("operation"),
            events.percentage.label("percentage"),
            literal(False).label("unsettled"),
            events.segment_id.label("segment_id"),
            events.event_id.label("event_id"),
            cast(null(), String).label("salt"),
            cast(null(), Integer).label("rollout"),
        )
        .join(segments, segments.c.segment_id == events.segment_id)
        .where(and_(events.at >= start, events.at < end))
    )
    expired = (
        select(
            memberships.expires_at.label("at"),
            segments.c.name.label("name"),
            memberships.user_id.label("user_id"),
            literal(Operation.EXPIRED.value).label("operation"),
            cast(null(), Integer).label("percentage"),
            literal(True).label("unsettled"),
            memberships.segment_id.label("segment_id"),
            cast(null(), BigInteger).label("event_id"),
            segments.c.salt.label("salt"),
            segments.c.percentage.label("rollout"),
        )
        .join(segments, segments.c.segment_id == memberships.segment_id)
        .where(
            and_(
                memberships.state == INCLUDED,
                memberships.expires_at >= start,
                memberships.expires_at < end,
                memberships.expires_at <= utc(now),
                segments.c.deleted_at.is_(None),
            )
        )
    )
    both = union_all(logged, expired).subquery("history")
    name: ColumnElement[Any] = both.c.name
    operation: ColumnElement[Any] = both.c.operation
    if connection.dialect.name == "postgresql":
        name, operation = name.collate("C"), operation.collate("C")
    return select(both).order_by(
        both.c.at,
        name,
        both.c.user_id.nulls_first(),
        operation,
        both.c.event_id,
    )
