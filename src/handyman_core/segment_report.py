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
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from attrs import frozen

from handyman_core.errors import InvalidInput
from handyman_core.instants import MAX_YEAR, MIN_YEAR, format_instant, parse_instant
from handyman_core.segment_history import HistoryEvent, Operation
from handyman_core.segments import Percentage, SegmentName

_T = TypeVar("_T")
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


@frozen
class PeriodAsked:
    """The bounds a report request gives: a UTC month, `from`, `to`, any of them."""

    month: ReportPeriod | None = None
    start: datetime | None = None
    end: datetime | None = None

    def resolve(self, now: datetime) -> ReportPeriod:
        """The intersection of the bounds given; nothing given is the UTC month of `now`; a
        missing bound is open (1970 on, until the end of 9998). Bounds that leave nothing
        between them make an empty period: a report with no rows, not an error."""
        month = self.month
        if month is None and self.start is None and self.end is None:
            month = _month(f"{now.astimezone(UTC):%Y-%m}")
        starts = [EARLIEST] if self.start is None else [self.start]
        ends = [LATEST] if self.end is None else [self.end]
        if month is not None:
            starts.append(month.start)
            ends.append(month.end)
        start, end = max(starts), min(ends)
        return ReportPeriod(start, max(start, end))


EARLIEST = datetime(MIN_YEAR, 1, 1, tzinfo=UTC)
LATEST = datetime(MAX_YEAR + 1, 1, 1, tzinfo=UTC)


def read_period(
    month: str | None = None, start: str | None = None, end: str | None = None
) -> PeriodAsked:
    """`month=YYYY-MM`, `from` and `to` (instants), each optional; every malformed one named."""
    problems: dict[str, str] = {}
    asked = PeriodAsked(
        _optional(problems, _month, month),
        _optional(problems, lambda text: parse_instant(text, "from"), start),
        _optional(problems, lambda text: parse_instant(text, "to"), end),
    )
    if problems:
        raise InvalidInput(problems)
    return asked


def _optional(problems: dict[str, str], parse: Callable[[str], _T], value: str | None) -> _T | None:
    if value is None:
        return None
    try:
        return parse(value)
    except InvalidInput as error:
        problems.update(error.fields)
        return None


def _month(value: str) -> ReportPeriod:
    match = _MONTH.fullmatch(value)
    if match is None:
        raise InvalidInput.field("month", "must be YYYY-MM, e.g. 2026-07")
    year, month = int(match["year"]), int(match["month"])
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidInput.field("month", f"must be a month from {MIN_YEAR}-01 to {MAX_YEAR}-12")
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
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
