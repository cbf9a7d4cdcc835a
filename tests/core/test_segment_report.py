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
    EARLIEST,
    JSON_FIELDS,
    LATEST,
    REPORT_COLUMNS,
    PeriodAsked,
    ReportPeriod,
    ReportRow,
    read_period,
    report_fields,
    report_json,
    report_order,
)
from handyman_core.segments import Percentage, SegmentName
from tests.core.segment_strategies import instants, percentages, short_names, user_ids

NOW = datetime(2026, 7, 15, 9, 30, tzinfo=UTC)


def test_a_month_is_its_utc_calendar_month() -> None:
    assert read_period("2026-12").resolve(NOW) == ReportPeriod(
        datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    )


def test_from_and_to_are_instants_in_any_zone() -> None:
    period = read_period(None, "2026-07-01T00:00:00+02:00", "2026-07-02T00:00:00Z").resolve(NOW)
    assert period == ReportPeriod(
        datetime(2026, 6, 30, 22, tzinfo=UTC), datetime(2026, 7, 2, tzinfo=UTC)
    )


def test_nothing_asked_is_the_current_month() -> None:
    assert read_period().resolve(NOW) == ReportPeriod(
        datetime(2026, 7, 1, tzinfo=UTC), datetime(2026, 8, 1, tzinfo=UTC)
    )


def test_a_missing_bound_is_open() -> None:
    assert read_period(None, "2026-07-01T00:00:00Z").resolve(NOW) == ReportPeriod(
        datetime(2026, 7, 1, tzinfo=UTC), LATEST
    )
    assert read_period(None, None, "2026-07-01T00:00:00Z").resolve(NOW) == ReportPeriod(
        EARLIEST, datetime(2026, 7, 1, tzinfo=UTC)
    )


@given(
    month=st.integers(1, 12),
    start=st.none() | instants,
    end=st.none() | instants,
)
def test_bounds_given_together_intersect_and_never_invert(
    month: int, start: datetime | None, end: datetime | None
) -> None:
    whole = read_period(f"2026-{month:02d}").resolve(NOW)
    period = PeriodAsked(whole, start, end).resolve(NOW)
    assert period.start <= period.end
    for moment in (whole.start, whole.end, start, end):
        if moment is None:
            continue
        inside = (
            whole.contains(moment)
            and (start is None or start <= moment)
            and (end is None or moment < end)
        )
        assert period.contains(moment) == inside


@pytest.mark.parametrize(
    ("month", "start", "end", "fields"),
    [
        ("2026-13", None, None, {"month"}),
        ("2026-7", None, None, {"month"}),
        ("July", None, None, {"month"}),
        ("9999-12", None, None, {"month"}),
        ("1969-12", None, None, {"month"}),
        ("2026-13", "yesterday", "soon", {"month", "from", "to"}),
    ],
)
def test_a_malformed_bound_is_named(
    month: str | None, start: str | None, end: str | None, fields: set[str]
) -> None:
    with pytest.raises(InvalidInput) as raised:
        read_period(month, start, end)
    assert set(raised.value.fields) == fields


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
