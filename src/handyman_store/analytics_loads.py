"""The analytics table the ETL loads, and the day's attempts read back out of it.

A load is an upsert on the natural key (oauth_consumer_key, user_id, created_at): loading an
overlapping window again updates the rows it already holds and adds none. Within one batch a
key may only appear once (PostgreSQL refuses to touch a row twice in one statement), so a
batch keeps the last record of each key, as loading them one by one would.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, func, select

from handyman_core.analytics_records import AnalyticsRow
from handyman_core.attempt_types import AttemptType
from handyman_core.daily_figures import AttemptFact
from handyman_store.attempt_log import as_utc
from handyman_store.schema import analytics_attempts
from handyman_store.upsert import conflict_insert, primary_key

_UPDATED = (
    "lis_result_sourcedid",
    "lis_outcome_service_url",
    "is_correct",
    "attempt_type",
    "task_id",
    "course_id",
    "source_attempt_id",
    "loaded_at",
)


def load_rows(engine: Engine, rows: Sequence[AnalyticsRow], *, now: datetime) -> int:
    """One page's rows in a transaction of their own (see upsert_rows)."""
    with engine.begin() as connection:
        return upsert_rows(connection, rows, now=now)


def upsert_rows(connection: Connection, rows: Sequence[AnalyticsRow], *, now: datetime) -> int:
    """Insert or update `rows` in the caller's transaction; returns how many keys were written.
    One statement executed for many rows: SQLAlchemy batches them into multi-row INSERTs
    ("insertmanyvalues") from one cached compilation, so a page is a few round trips."""
    latest = [
        _values(row, now.astimezone(UTC)) for row in {r.natural_key: r for r in rows}.values()
    ]
    if not latest:
        return 0
    statement = conflict_insert(connection, analytics_attempts)
    statement = statement.on_conflict_do_update(
        index_elements=primary_key(analytics_attempts),
        set_={name: statement.excluded[name] for name in _UPDATED},
    )
    connection.execute(statement, latest)
    return len(latest)


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
