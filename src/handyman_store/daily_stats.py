"""Daily aggregates: computed from the analytics table by the core's rules and stored per day;
computing a day again replaces all of that day's rows in one transaction, so a re-run is
idempotent and a reader never sees half a day."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from sqlalchemy import Connection, Engine, Row, Table, delete, select

from handyman_core.daily_figures import (
    ClientDay,
    ClientFigures,
    ItemFigures,
    StoredDay,
    daily_figures,
    figures_by_name,
)
from handyman_core.local_days import day_bounds
from handyman_store.analytics_loads import facts_between
from handyman_store.attempt_log import as_utc
from handyman_store.schema import daily_client_stats, daily_course_stats, daily_task_stats

_DAILY_TABLES = (daily_task_stats, daily_course_stats, daily_client_stats)


def compute_day(
    engine: Engine, day: date, zone: tzinfo, zone_name: str, *, now: datetime
) -> list[ClientDay]:
    """Aggregate `day` (a calendar day in `zone`) from the analytics table and store it,
    replacing whatever that day held. Returns the figures, one per client."""
    start, end = day_bounds(day, zone)
    with engine.begin() as connection:
        figures = daily_figures(day, facts_between(connection, start, end))
        for table in _DAILY_TABLES:
            connection.execute(delete(table).where(table.c.day == day))
        _insert(connection, figures, zone_name, now.astimezone(UTC))
    return figures


def stored_days(
    connection: Connection, first: date, last: date, client: str | None = None
) -> list[StoredDay]:
    """The stored days from `first` to `last` (both included), by day then client."""

    def rows(table: Table) -> list[Row[Any]]:
        statement = select(table).where(table.c.day >= first, table.c.day <= last)
        if client is not None:
            statement = statement.where(table.c.client == client)
        return list(connection.execute(statement))

    courses: dict[tuple[date, str], list[ItemFigures]] = defaultdict(list)
    tasks: dict[tuple[date, str], list[ItemFigures]] = defaultdict(list)
    for row in rows(daily_course_stats):
        courses[(row.day, row.client)].append(_item(row, row.course_id, row.course_id))
    for row in rows(daily_task_stats):
        tasks[(row.day, row.client)].append(_item(row, row.task_id, row.course_id))
    days = [
        StoredDay(
            ClientDay(
                day=row.day,
                client=row.client,
                figures=ClientFigures(
                    attempts=row.attempts,
                    submits=row.submits,
                    runs=row.runs,
                    correct=row.correct,
                    success_rate=row.success_rate,
                    unique_users=row.unique_users,
                    unique_tasks=row.unique_tasks,
                ),
                courses=tuple(sorted(courses[(row.day, row.client)], key=_key)),
                tasks=tuple(sorted(tasks[(row.day, row.client)], key=_key)),
            ),
            time_zone=row.time_zone,
            computed_at=as_utc(row.computed_at),
        )
        for row in rows(daily_client_stats)
    ]
    return sorted(days, key=lambda stored: (stored.figures.day, stored.figures.client))


def _key(item: ItemFigures) -> str:
    return item.key


def _item(row: Row[Any], key: str, course: str) -> ItemFigures:
    return ItemFigures(
        key=key,
        course=course,
        attempts=row.attempts,
        submits=row.submits,
        correct=row.correct,
        success_rate=row.success_rate,
        solvers=row.solvers,
        median_attempts_to_success=row.median_attempts_to_success,
    )


def _insert(
    connection: Connection, figures: Sequence[ClientDay], zone_name: str, computed_at: datetime
) -> None:
    if not figures:
        return
    connection.execute(
        daily_client_stats.insert(),
        [
            {
                "day": day.day,
                "client": day.client,
                "time_zone": zone_name,
                **figures_by_name(day.figures),
                "computed_at": computed_at,
            }
            for day in figures
        ],
    )
    courses = [
        _item_row(day, item) | {"course_id": item.key} for day in figures for item in day.courses
    ]
    tasks = [
        _item_row(day, item) | {"task_id": item.key, "course_id": item.course}
        for day in figures
        for item in day.tasks
    ]
    if courses:
        connection.execute(daily_course_stats.insert(), courses)
    if tasks:
        connection.execute(daily_task_stats.insert(), tasks)


def _item_row(day: ClientDay, item: ItemFigures) -> dict[str, object]:
    return {"day": day.day, "client": day.client} | figures_by_name(item)
