"""The statistics API's reads: a client's attempts in a time window, in (created_at, attempt_id)
order, from a cursor position on, streamed rather than loaded whole.

Both orders the API pages by are indexed: (created_at, attempt_id) for a client that sees every
attempt, (lti_consumer_key, created_at, attempt_id) for one limited to its LMSs. A client with
several consumer keys reads a UNION ALL of one ordered range scan per key (each limited to the
page, when there is one) merged in order; the row comparison against the cursor lets each scan
start exactly after the last record handed out.

The statements are written once per shape (`driver_sql`) and their rows become records in one C
call each: this is the path a day's tens of thousands of attempts
stream through, and building SQLAlchemy constructs and typed values per request and per row
cost more than PostgreSQL's side of it (bench/stats.py).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from datetime import UTC

from sqlalchemy import Engine

from handyman_core.attempt_types import AttemptItem
from handyman_core.statistics_cursor import CursorPosition
from handyman_core.statistics_query import TimeWindow
from handyman_core.statistics_records import StatisticsRecord
from handyman_store.driver_sql import (
    Row,
    Sql,
    driver_kind,
    read,
    read_timestamp,
    stored_timestamp,
    stream,
)

STREAM_BATCH = 2000
"""Rows fetched from the server-side cursor at a time: memory stays flat however long the
window, while round trips stay few."""
MAX_PLAIN_READ = 20_000
"""A page no longer than this (the API's pages are at most 10,001 rows: the page and one more
to know whether another follows) is read in one plain query, without a cursor's round trips."""

_COLUMNS = (
    "attempt_id, user_id, lti_consumer_key, lti_result_sourcedid, lti_outcome_service_url, "
    "lms_user_id, attempt_type, is_correct, created_at, item_kind, "
    f"CASE WHEN item_kind = '{AttemptItem.PLAYGROUND.value}' THEN NULL ELSE item_id END"
    " AS item_id, course_id"
)
_ORDER = "ORDER BY created_at, attempt_id"


def stream_statistics(
    engine: Engine,
    consumer_keys: frozenset[str],
    window: TimeWindow,
    *,
    after: CursorPosition | None = None,
    limit: int | None = None,
) -> Iterator[StatisticsRecord]:
    """The records of the window after `after`, at most `limit` of them. `consumer_keys` empty
    means every attempt. The connection is held until the iterator is exhausted or closed."""
    kind = driver_kind(engine)
    keys = sorted(consumer_keys)
    statement = _statement(len(keys), after is not None, limit is not None)
    parameters: dict[str, object] = {
        "start": stored_timestamp(kind, window.start.astimezone(UTC)),
        "end": stored_timestamp(kind, window.end.astimezone(UTC)),
        **{f"key{number}": key for number, key in enumerate(keys)},
    }
    if after is not None:
        parameters["after_at"] = stored_timestamp(kind, after.created_at.astimezone(UTC))
        parameters["after_id"] = after.attempt_id
    if limit is not None:
        parameters["limit"] = limit
    as_records = _records if kind == "postgresql" else _sqlite_records
    if limit is not None and limit <= MAX_PLAIN_READ:
        yield from as_records(read(engine, lambda driver: driver.rows(statement, parameters)))
        return
    for rows in stream(engine, statement, parameters, batch=STREAM_BATCH):
        yield from as_records(rows)


_as_record = functools.partial(tuple.__new__, StatisticsRecord)
"""`StatisticsRecord._make` without its Python frame."""


def _records(rows: list[Row]) -> Iterator[StatisticsRecord]:
    """psycopg already hands back the record's values: aware datetimes, booleans."""
    return map(_as_record, rows)


def _sqlite_records(rows: list[Row]) -> Iterator[StatisticsRecord]:
    """SQLite hands back timestamps as SQLAlchemy wrote them (UTC text) and booleans as 0/1."""
    for row in rows:
        created_at = read_timestamp(row[8])
        is_correct = None if row[7] is None else bool(row[7])
        yield _as_record((*row[:7], is_correct, created_at, *row[9:]))


@functools.cache
def _statement(key_count: int, after: bool, limit: bool) -> Sql:
    """Every attempt (no keys), one LMS's, or several LMSs' merged, as SQL for both drivers."""
    conditions = "created_at >= :start AND created_at < :end"
    if after:
        conditions += " AND (created_at, attempt_id) > (:after_at, :after_id)"
    limited = " LIMIT :limit" if limit else ""
    if key_count == 0:
        return Sql.of(f"SELECT {_COLUMNS} FROM attempts WHERE {conditions} {_ORDER}{limited}")
    if key_count == 1:
        return Sql.of(
            f"SELECT {_COLUMNS} FROM attempts WHERE {conditions} "
            f"AND lti_consumer_key = :key0 {_ORDER}{limited}"
        )
    per_key = " UNION ALL ".join(
        f"SELECT * FROM (SELECT {_COLUMNS} FROM attempts WHERE {conditions} "
        f"AND lti_consumer_key = :key{number} {_ORDER}{limited}) AS key{number}"
        for number in range(key_count)
    )
    return Sql.of(f"SELECT * FROM ({per_key}) AS keyed {_ORDER}{limited}")
