"""The analytics table the ETL loads, and the day's attempts read back out of it.

A load is an upsert on the natural key (oauth_consumer_key, user_id, created_at): loading an
overlapping window again updates the rows it already holds and adds none. Within one batch a
key may only appear once (PostgreSQL refuses to touch a row twice in one statement), so a
batch keeps the last record of each key, as loading them one by one would.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import psycopg
from sqlalchemy import Connection, Engine, func, select

from handyman_core.analytics_records import AnalyticsRow
from handyman_core.attempt_types import AttemptType
from handyman_core.daily_figures import AttemptFact
from handyman_store.attempt_log import as_utc
from handyman_store.driver_sql import driver_of
from handyman_store.schema import analytics_attempts
from handyman_store.upsert import conflict_insert, primary_key

_KEY = tuple(column.name for column in primary_key(analytics_attempts))
"""The natural key (oauth_consumer_key, user_id, created_at): the order rows are copied in."""
_ATTRIBUTES = (
    "lis_result_sourcedid",
    "lis_outcome_service_url",
    "is_correct",
    "attempt_type",
    "task_id",
    "course_id",
    "source_attempt_id",
)
_UPDATED = (*_ATTRIBUTES, "loaded_at")
_COPIED = (*_KEY, *_ATTRIBUTES)


def load_rows(engine: Engine, rows: Sequence[AnalyticsRow], *, now: datetime) -> int:
    """One page's rows in a transaction of their own (see upsert_rows)."""
    with engine.begin() as connection:
        return upsert_rows(connection, rows, now=now)


def upsert_rows(connection: Connection, rows: Sequence[AnalyticsRow], *, now: datetime) -> int:
    """Insert or update `rows` in the caller's transaction; returns how many keys were written.
    On PostgreSQL the rows are COPYed into a temporary table and upserted from it in one
    statement: a page is two round trips and one pass of PostgreSQL's own, where row-by-row
    execution cost several times the time. SQLite, in process, executes one cached statement
    per row."""
    latest = list({row.natural_key: row for row in rows}.values())
    if not latest:
        return 0
    loaded_at = now.astimezone(UTC)
    if connection.dialect.name == "postgresql":
        _copy_and_upsert(driver_of(connection).dbapi, latest, loaded_at)
        return len(latest)
    statement = conflict_insert(connection, analytics_attempts)
    statement = statement.on_conflict_do_update(
        index_elements=primary_key(analytics_attempts),
        set_={name: statement.excluded[name] for name in _UPDATED},
    )
    connection.execute(statement, [_values(row, loaded_at) for row in latest])
    return len(latest)


_STAGE = (
    "CREATE TEMPORARY TABLE analytics_load ("
    "oauth_consumer_key text, user_id text, created_at timestamptz, lis_result_sourcedid text, "
    "lis_outcome_service_url text, is_correct smallint, attempt_type text, task_id text, "
    "course_id text, source_attempt_id bigint) ON COMMIT DROP"
)
_COPY = f"COPY analytics_load ({', '.join(_COPIED)}) FROM STDIN"
_UPSERT = (
    f"INSERT INTO analytics_attempts ({', '.join(_COPIED)}, loaded_at) "
    f"SELECT {', '.join(_COPIED)}, %(loaded_at)s FROM analytics_load "
    f"ON CONFLICT ({', '.join(_KEY)}) "
    f"DO UPDATE SET {', '.join(f'{name} = EXCLUDED.{name}' for name in _UPDATED)}"
)


def _copy_and_upsert(
    dbapi: psycopg.Connection[Any], rows: Sequence[AnalyticsRow], loaded_at: datetime
) -> None:
    """The staging table lives until the commit: nothing outlasts the caller's transaction."""
    with dbapi.cursor() as cursor:
        cursor.execute(_STAGE)
        with cursor.copy(_COPY) as copy:
            for row in rows:
                copy.write_row(
                    (
                        row.oauth_consumer_key,
                        row.user_id,
                        row.created_at,
                        row.lis_result_sourcedid,
                        row.lis_outcome_service_url,
                        row.is_correct,
                        row.attempt_type.value,
                        row.task_id,
                        row.course_id,
                        row.source_attempt_id,
                    )
                )
        cursor.execute(_UPSERT, {"loaded_at": loaded_at})


def count_rows(connection: Connection) -> int:
    return connection.execute(select(func.count()).select_from(analytics_attempts)).scalar_one()


def facts_between(connection: Connection, start: datetime, end: datetime) -> Iterator[AttemptFact]:
    """The loaded attempts with `start <= created_at < end` as the core's facts: a task is its
    Handyman id or else its LMS block, a course its id or else ""."""
    table = analytics_attempts.c
    rows = connection.execute(
        select(
            table.oauth_consumer_key,
            table.user_id,
            func.coalesce(table.course_id, ""),
            func.coalesce(table.task_id, table.lis_result_sourcedid, ""),
            table.attempt_type,
            table.is_correct,
            table.created_at,
        ).where(table.created_at >= start.astimezone(UTC), table.created_at < end.astimezone(UTC))
    )
    for client, user_id, course, task, attempt_type, correct, created_at in rows:
        yield AttemptFact(
            client=client,
            user_id=user_id,
            course=course,
            task=task,
            attempt_type=AttemptType(attempt_type),
            is_correct=None if correct is None else bool(correct),
            created_at=as_utc(created_at),
        )


def _values(row: AnalyticsRow, loaded_at: datetime) -> dict[str, object]:
    return {
        "oauth_consumer_key": row.oauth_consumer_key,
        "user_id": row.user_id,
        "created_at": row.created_at.astimezone(UTC),
        "lis_result_sourcedid": row.lis_result_sourcedid,
        "lis_outcome_service_url": row.lis_outcome_service_url,
        "is_correct": row.is_correct,
        "attempt_type": row.attempt_type.value,
        "task_id": row.task_id,
        "course_id": row.course_id,
        "source_attempt_id": row.source_attempt_id,
        "loaded_at": loaded_at,
    }
