"""Synthetic segments at scale: 200 segments (a tenth of them rollouts), a million users with
1 to 7 explicit states each (one in ten an exclusion, a quarter of the inclusions with an expiry,
some of those already past and not yet settled), and one history event per state at its start,
spread over the hundred days before the benchmark's clock, so a month holds about a million rows.

Rows are generated while they are written (COPY on PostgreSQL, batches on SQLite), never held in
memory; the generator is seeded and replayed per table, so two runs load the same rows.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import cast

import psycopg
from attrs import frozen
from sqlalchemy import Engine

from handyman_core.segments import NewSegment, Percentage, SegmentName
from handyman_store.store import Store

NOW = datetime(2026, 7, 15, 12, 0, tzinfo=UTC)
HISTORY_DAYS = 100
STATES_PER_USER = (1, 7)
EXCLUDED_SHARE = 0.1
EXPIRING_SHARE = 0.25
ALREADY_EXPIRED_SHARE = 0.2
"""Of the expiring inclusions: their end has passed but no job has logged it yet."""
ROLLOUT_EVERY = 10
ROLLOUT_PERCENTAGES = (500, 1000, 2500, 5000)
SQLITE_BATCH = 50_000

Row = tuple[object, ...]


@frozen
class State:
    user_id: int
    segment_id: int
    excluded: bool
    since: datetime
    expires_at: datetime | None


@frozen
class SegmentData:
    users: int
    segment_ids: tuple[int, ...]
    memberships: int
    events: int


def create_segments(engine: Engine, count: int) -> tuple[int, ...]:
    """Through the store, as an operator would, so rollouts log their creation."""
    store = Store(engine)
    created = NOW - timedelta(days=HISTORY_DAYS + 30)
    ids = []
    for number in range(1, count + 1):
        percentage = 0
        if number % ROLLOUT_EVERY == 0:
            percentage = ROLLOUT_PERCENTAGES[number // ROLLOUT_EVERY % len(ROLLOUT_PERCENTAGES)]
        segment = store.create_segment(
            NewSegment(
                SegmentName(f"BENCH_SEGMENT_{number:03d}"),
                "benchmark segment",
                Percentage(percentage),
            ),
            salt=f"bench-{number:03d}",
            now=created,
        )
        ids.append(segment.segment_id)
    return tuple(ids)


def states(users: int, segment_ids: tuple[int, ...], seed: int = 14) -> Iterator[State]:
    rng = random.Random(seed)
    history = HISTORY_DAYS * 86_400
    for user_id in range(1, users + 1):
        chosen = rng.sample(segment_ids, rng.randint(*STATES_PER_USER))
        for segment_id in sorted(chosen):
            since = NOW - timedelta(
                seconds=rng.randrange(history), microseconds=rng.randrange(10**6)
            )
            excluded = rng.random() < EXCLUDED_SHARE
            expires_at = None
            if not excluded and rng.random() < EXPIRING_SHARE:
                if rng.random() < ALREADY_EXPIRED_SHARE:
                    expires_at = since + (NOW - since) * rng.random()
                else:
                    expires_at = NOW + timedelta(days=rng.randint(1, 90))
            yield State(user_id, segment_id, excluded, since, expires_at)


def membership_rows(users: int, segment_ids: tuple[int, ...]) -> Iterator[Row]:
    for state in states(users, segment_ids):
        yield (
            state.user_id,
            state.segment_id,
            "excluded" if state.excluded else "included",
            state.since,
            state.expires_at,
        )


def event_rows(users: int, segment_ids: tuple[int, ...]) -> Iterator[Row]:
    """The event that started each state: an inclusion was an `added`, an exclusion (of a
    user in no rollout's reach, here) needs none."""
    for state in states(users, segment_ids):
        if not state.excluded:
            yield (state.segment_id, state.user_id, "added", state.since, None)


MEMBERSHIP_COLUMNS = ("user_id", "segment_id", "state", "since", "expires_at")
EVENT_COLUMNS = ("segment_id", "user_id", "operation", "at", "percentage")


def load(engine: Engine, users: int, segments: int) -> SegmentData:
    segment_ids = create_segments(engine, segments)
    loads = (
        ("segment_memberships", MEMBERSHIP_COLUMNS, membership_rows(users, segment_ids)),
        ("segment_events", EVENT_COLUMNS, event_rows(users, segment_ids)),
    )
    counts = []
    for table, columns, rows in loads:
        counts.append(
            _copy(engine, table, columns, rows)
            if engine.dialect.name == "postgresql"
            else _insert(engine, table, columns, rows)
        )
    return SegmentData(users, segment_ids, counts[0], counts[1])


def _copy(engine: Engine, table: str, columns: tuple[str, ...], rows: Iterator[Row]) -> int:
    proxied = engine.raw_connection()
    count = 0
    try:
        connection = cast("psycopg.Connection[tuple[object, ...]]", proxied.driver_connection)
        with (
            connection.cursor() as cursor,
            cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
                count += 1
        connection.commit()
    finally:
        proxied.close()
    return count


def _insert(engine: Engine, table: str, columns: tuple[str, ...], rows: Iterator[Row]) -> int:
    statement = (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
    )
    count = 0
    with engine.begin() as connection:
        batch: list[Row] = []
        for row in rows:
            batch.append(tuple(_sqlite_value(value) for value in row))
            if len(batch) == SQLITE_BATCH:
                connection.exec_driver_sql(statement, batch)
                count += len(batch)
                batch = []
        if batch:
            connection.exec_driver_sql(statement, batch)
            count += len(batch)
    return count


def _sqlite_value(value: object) -> object:
    """SQLAlchemy's SQLite DATETIME text, which its comparisons assume."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value
