"""The segment history report: which period it covers, its rows, their order and their text.

Rows are ordered by time; rows at the same instant by segment (its id: the order segments were
created in), then the segment-level rows first, then user id, then operation, and rows equal in
all that in the order they happened (a stable sort of the history), so the same history always
reads the same. The segment id also tells apart a deleted segment from a later one of the same
name. `percentage` is filled on
segment-level rows only (the percentage from that instant on).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from attrs import frozen

from handyman_core.errors import InvalidInput
from handyman_core.instants import format_instant, parse_instant
from handyman_core.segment_history import HistoryEvent, Operation
from handyman_core.segments import Percentage, SegmentName

REPORT_COLUMNS = ("user_id", "segment", "operation", "at", "percentage")
JSON_FIELDS = (*REPORT_COLUMNS, "segment_id")
_MONTH = re.compile(r"(?P<year>[0-9]{4})-(?P<month>0[1-9]|1[0-2])")


@frozen
class ReportPeriod:
    """From `start` (included) to `end` (excluded)."""

    start: datetime
    end: datetime

    def contains(self, at: datetime) -> bool:
        return self.start <= at < self.end


def parse_report_period(
    month: str | None, start: str | None = None, end: str | None = None
) -> ReportPeriod:
    """`month=YYYY-MM` (a UTC calendar month), or `from` and `to` (RFC 3339)."""
    if month is not None:
        if start is not None or end is not None:
            raise InvalidInput.field("month", "give either month, or from and to, not both")
        return _month(month)
    problems: dict[str, str] = {}
    instants: dict[str, datetime] = {}
    for field, value in (("from", start), ("to", end)):
        if value is None:
            problems[field] = "is required (or give month=YYYY-MM)"
            continue
        try:
            instants[field] = parse_instant(value, field)
        except InvalidInput as error:
            problems.update(error.fields)
    if problems:
        raise InvalidInput(problems)
    if instants["to"] <= instants["from"]:
        raise InvalidInput.field("to", "must be later than from")
    return ReportPeriod(instants["from"], instants["to"])


def _month(value: str) -> ReportPeriod:
    match = _MONTH.fullmatch(value)
    if match is None:
        raise InvalidInput.field("month", "must be YYYY-MM, e.g. 2026-07")
    year, month = int(match["year"]), int(match["month"])
    try:
        start = datetime(year, month, 1, tzinfo=UTC)
        end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    except ValueError:
        raise InvalidInput.field("month", "must be a month from 0001-01 to 9999-11") from None
    return ReportPeriod(start, end)


@frozen
class ReportRow:
    at: datetime
    segment: SegmentName
    user_id: int | None
    operation: Operation
    percentage: Percentage | None
    segment_id: int

    @classmethod
    def of(cls, event: HistoryEvent, segment: SegmentName) -> ReportRow:
        return cls(
            event.at, segment, event.user_id, event.operation, event.percentage, event.segment_id
        )


def report_order(row: ReportRow) -> tuple[datetime, int, bool, int, str]:
    return (row.at, row.segment_id, row.user_id is not None, row.user_id or 0, row.operation)


def report_fields(row: ReportRow) -> tuple[str, str, str, str, str]:
    """The CSV record, in `REPORT_COLUMNS` order; absent values are empty fields."""
    return (
        "" if row.user_id is None else str(row.user_id),
        row.segment,
        row.operation.value,
        format_instant(row.at),
        "" if row.percentage is None else str(row.percentage),
    )


def report_json(row: ReportRow) -> dict[str, object]:
    return {
        "user_id": row.user_id,
        "segment": row.segment,
        "operation": row.operation.value,
        "at": format_instant(row.at),
        "percentage": None if row.percentage is None else row.percentage.as_json(),
        "segment_id": row.segment_id,
    }
