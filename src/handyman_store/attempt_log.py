"""The attempt log: one row per run that produced a verdict.

Progress rows only keep a counter and the last code; the log keeps every submission, for
analytics and for checking that no attempt is ever lost. Merges move a user's log to the
surviving user but keep `original_user_id`, so an audit can still tell whose attempt it was.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime

from attrs import frozen
from sqlalchemy import Connection, select

from handyman_core.ids import CourseId
from handyman_core.run_protocol import RunResult, Verdict
from handyman_store.schema import attempts


class ItemKind(enum.StrEnum):
    TASK = "task"
    PROJECT = "project"


@frozen
class Attempt:
    attempt_id: int
    user_id: int
    original_user_id: int
    item_kind: ItemKind
    item_id: str
    course_id: CourseId
    code: str
    verdict: Verdict
    status_code: int
    duration_ms: int
    created_at: datetime
    """Always timezone-aware UTC."""


def log_attempt(
    connection: Connection,
    user_id: int,
    item_kind: ItemKind,
    item_id: str,
    course_id: CourseId,
    *,
    code: str,
    result: RunResult,
    now: datetime,
) -> None:
    """Append one attempt; `now` must be timezone-aware (a naive time has no defined instant)."""
    created_at = attempt_instant(now)
    connection.execute(
        attempts.insert().values(
            user_id=user_id,
            original_user_id=user_id,
            item_kind=item_kind.value,
            item_id=item_id,
            course_id=course_id,
            code=code,
            verdict=result.verdict.value,
            status_code=result.status_code,
            duration_ms=result.duration_ms,
            created_at=created_at,
        )
    )


def attempt_instant(now: datetime) -> datetime:
    """`now` in UTC; ValueError for a naive time, which has no defined instant."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("the time of an attempt must be timezone-aware")
    return now.astimezone(UTC)


def attempts_of(connection: Connection, user_id: int) -> list[Attempt]:
    """The user's attempts (including those merged in from other users), oldest first."""
    rows = connection.execute(
        select(attempts)
        .where(attempts.c.user_id == user_id)
        .order_by(attempts.c.created_at, attempts.c.attempt_id)
    )
    return [
        Attempt(
            attempt_id=row.attempt_id,
            user_id=row.user_id,
            original_user_id=row.original_user_id,
            item_kind=ItemKind(row.item_kind),
            item_id=row.item_id,
            course_id=CourseId(row.course_id),
            code=row.code,
            verdict=Verdict(row.verdict),
            status_code=row.status_code,
            duration_ms=row.duration_ms,
            created_at=_as_utc(row.created_at),
        )
        for row in rows
    ]


def _as_utc(moment: datetime) -> datetime:
    """SQLite hands timestamps back without their zone; they were written in UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
