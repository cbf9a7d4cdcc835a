"""The history report, streamed: logged events, plus the expiries not yet logged (inclusions whose
end has passed but that no write or expiry job has settled), in the report's order.

The caller's connection reads one snapshot (see `Store.segment_history`): the segments first,
whose names and rollouts the rows need, then one statement for both kinds of row, so the report
is consistent even while the expiry job moves rows from one side to the other. Both sides are
read in index order by time and merged, so the first rows come at once and rows come from a
server-side cursor in batches: memory stays flat however long the period.
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
    and_,
    false,
    literal,
    null,
    select,
    true,
    union_all,
)

from handyman_core.segment_history import Operation, settle
from handyman_core.segment_membership import Included
from handyman_core.segment_report import ReportPeriod, ReportRow
from handyman_core.segments import Percentage, Segment
from handyman_store.schema import segment_events, segment_memberships, segments
from handyman_store.segment_rows import INCLUDED, from_database, segment_of, utc

BATCH_ROWS = 10_000
_OPERATIONS = {operation.value: operation for operation in Operation}


def history_rows(
    connection: Connection, period: ReportPeriod, now: datetime
) -> Iterator[ReportRow]:
    """Every report row in `period`, as of `now`, in `core.segment_report.report_order`."""
    by_id = {
        segment.segment_id: segment
        for segment in map(segment_of, connection.execute(select(segments)))
    }
    result = connection.execution_options(stream_results=True, yield_per=BATCH_ROWS).execute(
        _report_query(connection, period, now)
    )
    percentages: dict[int | None, Percentage | None] = {None: None}
    for at, segment_id, user_id, operation, percentage, unsettled in result:
        segment = by_id[segment_id]
        if unsettled:
            report_row = _unsettled_expiry(segment, user_id, from_database(at), now)
            if report_row is not None:
                yield report_row
            continue
        if percentage not in percentages:
            percentages[percentage] = Percentage(percentage)
        yield ReportRow(
            from_database(at),
            segment.name,
            user_id,
            _OPERATIONS[operation],
            percentages[percentage],
            segment_id,
        )


def _unsettled_expiry(
    segment: Segment, user_id: int, expires_at: datetime, now: datetime
) -> ReportRow | None:
    """The `expired` row `settle` would log for this inclusion (none if the rollout keeps the
    user in)."""
    _, event = settle(segment, user_id, Included(expires_at, expires_at), now)
    return None if event is None else ReportRow.of(event, segment.name)


def _report_query(connection: Connection, period: ReportPeriod, now: datetime) -> Any:
    events = segment_events.c
    memberships = segment_memberships.c
    start, end = utc(period.start), utc(period.end)
    logged = select(
        events.at.label("at"),
        events.segment_id.label("segment_id"),
        events.user_id.label("user_id"),
        events.operation.label("operation"),
        events.percentage.label("percentage"),
        false().label("unsettled"),
        events.event_id.label("event_id"),
    ).where(and_(events.at >= start, events.at < end))
    expired = select(
        memberships.expires_at.label("at"),
        memberships.segment_id.label("segment_id"),
        memberships.user_id.label("user_id"),
        literal(Operation.EXPIRED.value).label("operation"),
        null().cast(Integer).label("percentage"),
        true().label("unsettled"),
        null().cast(BigInteger).label("event_id"),
    ).where(
        and_(
            memberships.state == INCLUDED,
            memberships.expires_at >= start,
            memberships.expires_at < end,
            memberships.expires_at <= utc(now),
        )
    )
    both = union_all(logged, expired).subquery("history")
    operation: ColumnElement[Any] = both.c.operation
    if connection.dialect.name == "postgresql":
        operation = operation.collate("C")
    return select(
        both.c.at,
        both.c.segment_id,
        both.c.user_id,
        both.c.operation,
        both.c.percentage,
        both.c.unsettled,
    ).order_by(
        both.c.at,
        both.c.segment_id,
        both.c.user_id.nulls_first(),
        operation,
        both.c.event_id,
    )
