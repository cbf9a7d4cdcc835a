"""The statistics API's bodies: written in chunks (a stream) or whole (a page), with datetimes
handed to orjson where it writes them as the core does, they are exactly the core's records."""

from __future__ import annotations

from datetime import timedelta, timezone

import orjson
from hypothesis import given
from hypothesis import strategies as st

from handyman_core.statistics_records import StatisticsRecord, record_json
from handyman_http.statistics_rendering import json_array, json_document
from tests.core.analytics_strategies import statistics_records


@st.composite
def zoned_records(draw: st.DrawFn) -> StatisticsRecord:
    """Records as a driver may hand them back: any zone, and whole seconds now and then."""
    record = draw(statistics_records())
    created_at = record.created_at
    if draw(st.booleans()):
        created_at = created_at.replace(microsecond=0)
    zone = timezone(timedelta(minutes=draw(st.integers(-14 * 60, 14 * 60))))
    return record._replace(created_at=created_at.astimezone(zone))


record_lists = st.lists(zoned_records(), max_size=12)


def core_document(records: list[StatisticsRecord]) -> bytes:
    return orjson.dumps([record_json(record) for record in records])


@given(record_lists, st.integers(1, 5))
def test_a_streamed_array_is_the_core_records_whatever_the_chunk_size(
    records: list[StatisticsRecord], batch: int
) -> None:
    assert b"".join(json_array(records, batch)) == core_document(records)


@given(record_lists)
def test_a_page_is_the_core_records(records: list[StatisticsRecord]) -> None:
    assert json_document(records) == core_document(records)


def test_an_empty_window_is_an_empty_array() -> None:
    assert b"".join(json_array([])) == b"[]"
    assert json_document([]) == b"[]"
