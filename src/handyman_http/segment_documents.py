"""Segments, memberships and the history report as the JSON and CSV the API answers with.

The report is written as it is read: rows become CSV (or JSON array items) in chunks of about
64 KiB, so a month of a million rows goes out with flat memory.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Generator, Iterable
from typing import Any

import orjson

from handyman_core.instants import format_instant
from handyman_core.segment_membership import ActiveSegment
from handyman_core.segment_report import (
    REPORT_COLUMNS,
    ReportPeriod,
    ReportRow,
    report_fields,
    report_json,
)
from handyman_core.segments import Segment

CHUNK_BYTES = 64 * 1024


def segment_json(segment: Segment, members: int) -> dict[str, Any]:
    return {
        "id": segment.segment_id,
        "name": segment.name,
        "description": segment.description,
        "percentage": segment.percentage.as_json(),
        "salt": segment.salt,
        "created_at": format_instant(segment.created_at),
        "deleted": not segment.live,
        "deleted_at": None if segment.deleted_at is None else format_instant(segment.deleted_at),
        "members": members,
    }


def active_segment_json(active: ActiveSegment) -> dict[str, Any]:
    return {
        "name": active.name,
        "source": active.source.value,
        "since": None if active.since is None else format_instant(active.since),
        "expires_at": None if active.expires_at is None else format_instant(active.expires_at),
    }


def user_segments_json(user_id: int, segments: Iterable[ActiveSegment]) -> dict[str, Any]:
    return {"user_id": user_id, "segments": [active_segment_json(s) for s in segments]}


def csv_chunks(rows: Iterable[ReportRow]) -> Generator[bytes, None, None]:
    """The header, then the rows, UTF-8, in chunks."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(REPORT_COLUMNS)
    for row in rows:
        writer.writerow(report_fields(row))
        if buffer.tell() >= CHUNK_BYTES:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def json_chunks(period: ReportPeriod, rows: Iterable[ReportRow]) -> Generator[bytes, None, None]:
    """`{"from", "to", "rows": [...]}`, one row at a time."""
    head = {"from": format_instant(period.start), "to": format_instant(period.end)}
    chunk = bytearray(orjson.dumps(head)[:-1] + b',"rows":[')
    first = True
    for row in rows:
        if not first:
            chunk += b","
        chunk += orjson.dumps(report_json(row))
        first = False
        if len(chunk) >= CHUNK_BYTES:
            yield bytes(chunk)
            chunk.clear()
    chunk += b"]}"
    yield bytes(chunk)
