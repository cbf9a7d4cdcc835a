"""The history report's period, row order and text."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handyman_core.errors import InvalidInput
from handyman_core.instants import parse_instant
from handyman_core.segment_history import HistoryEvent, Operation
from handyman_core.segment_report import (
    JSON_FIELDS,
    REPORT_COLUMNS,
    ReportPeriod,
    ReportRow,
    parse_report_period,
    report_fields,
    report_json,
    report_order,
)
from handyman_core.segments import Percentage, SegmentName
from tests.core.segment_strategies import instants, percentages, short_names, user_ids


def test_a_month_is_its_utc_calendar_month() -> None:
    assert parse_report_period("2026-12") == ReportPeriod(
        datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    )


def test_from_and_to_are_rfc3339_instants() -> None:
    period = parse_report_period(None, "2026-07-01T00:00:00+02:00", "2026-07-02T00:00:00Z")
    assert period == ReportPeriod(
        datetime(2026, 6, 30, 22, tzinfo=UTC), datetime(2026, 7, 2, tzinfo=UTC)
    )


@pytest.mark.parametrize(
    ("month", "start", "end", "field"),
    [
        ("2026-13", None, None, "month"),
        ("2026-7", None, None, "month"),
        ("July", None, None, "month"),
        ("9999-12", None, None, "month"),
        ("2026-07", "2026-07-01T00:00:00Z", None, "month"),
        (None, None, None, "from"),
        (None, "2026-07-01T00:00:00Z", None, "to"),
        (None, "yesterday", "2026-07-01T00:00:00Z", "from"),
        (None, "2026-07-02T00:00:00Z", "2026-07-01T00:00:00Z", "to"),
        (None, "2026-07-01T00:00:00Z", "2026-07-01T00:00:00Z", "to"),
    ],
)
def test_a_bad_period_names_its_field(
    month: str | None, start: str | None, end: str | None, field: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_report_period(month, start, end)
    assert field in raised.value.fields


rows = st.builds(
    ReportRow,
    at=instants,
    segment=short_names,
    user_id=st.none() | user_ids,
    operation=st.sampled_from(Operation),
    percentage=st.none() | percentages,
    segment_id=st.integers(1, 10**6),
)


@given(row=rows)
def test_a_csv_record_reads_back_as_the_row(row: ReportRow) -> None:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(report_fields(row))
    [fields] = list(csv.reader(io.StringIO(buffer.getvalue())))
    assert len(fields) == len(REPORT_COLUMNS)
    user_id, segment, operation, at, percentage = fields
    assert (int(user_id) if user_id else None) == row.user_id
    assert segment == row.segment
    assert operation == row.operation.value
    assert at.endswith("Z")
    assert parse_instant(at, "at") == row.at
    assert (Percentage.parse(float(percentage)) if percentage else None) == row.percentage


@given(row=rows)
def test_the_json_form_carries_the_same_values(row: ReportRow) -> None:
    document = report_json(row)
    assert list(document) == list(JSON_FIELDS)
    assert document["segment_id"] == row.segment_id
    assert document["user_id"] == row.user_id
    assert parse_instant(document["at"], "at") == row.at


def test_rows_order_by_time_then_segment_id_then_segment_level_first_then_user() -> None:
    at = datetime(2026, 7, 1, tzinfo=UTC)
    a, b = SegmentName("A"), SegmentName("B")
    ordered = [
        ReportRow(at, b, None, Operation.ADDED, Percentage(10), 1),
        ReportRow(at, b, 2, Operation.REMOVED, None, 1),
        ReportRow(at, b, 10, Operation.ADDED, None, 1),
        ReportRow(at, a, 1, Operation.ADDED, None, 2),
        ReportRow(at.replace(second=1), a, 1, Operation.EXPIRED, None, 2),
    ]
    assert sorted(reversed(ordered), key=report_order) == ordered


def test_a_row_of_an_event_names_its_segment() -> None:
    at = datetime(2026, 7, 1, tzinfo=UTC)
    event = HistoryEvent(4, 9, Operation.EXPIRED, at)
    assert ReportRow.of(event, SegmentName("BETA")) == ReportRow(
        at, SegmentName("BETA"), 9, Operation.EXPIRED, None, 4
    )
