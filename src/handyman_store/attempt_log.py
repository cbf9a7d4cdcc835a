"""The attempt log: one row per run that produced a verdict.

Progress rows only keep a counter and the last code; the log keeps every submission, for
analytics and for checking that no attempt is ever lost. Merges move a user's log to the
surviving user but keep `original_user_id`, so an audit can still tell whose attempt it was.
Each row says whether it was a submit or a run (and, for a submit, whether it was right) and
carries the LMS's passback parameters when the run came through an LMS.
"""

from __future__ import annotations

from datetime import UTC, datetime

from attrs import frozen
from sqlalchemy import Connection, select

from handyman_core.attempt_types import AttemptItem, AttemptType, is_correct
from handyman_core.ids import CourseId
from handyman_core.lti_passback import PassbackParams
from handyman_core.run_protocol import RunResult, Verdict
from handyman_store.schema import attempts

ItemKind = AttemptItem


@frozen
class Attempt:
    attempt_id: int
    user_id: int
    original_user_id: int
    item_kind: AttemptItem
    item_id: str
    course_id: CourseId | None
    code: str
    verdict: Verdict
    status_code: int
    duration_ms: int
    created_at: datetime
    """Always timezone-aware UTC."""
    attempt_type: AttemptType
    is_correct: bool | None
    passback: PassbackParams | None


def log_attempt(
    connection: Connection,
    user_id: int,
    item_kind: AttemptItem,
    item_id: str,
    course_id: CourseId | None,
    *,
    code: str,
    result: RunResult,
    now: datetime,
    attempt_type: AttemptType,
    passback: PassbackParams | None = None,
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
            attempt_type=attempt_type.value,
            is_correct=is_correct(attempt_type, result.verdict),
            **passback_columns(passback),
        )
    )


def attempt_instant(now: datetime) -> datetime:
    """`now` in UTC; ValueError for a naive time, which has no defined instant."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("the time of an attempt must be timezone-aware")
    return now.astimezone(UTC)


def passback_columns(passback: PassbackParams | None) -> dict[str, str | None]:
    if passback is None:
        return dict.fromkeys(_PASSBACK_COLUMNS)
    return {
        "lti_consumer_key": passback.oauth_consumer_key,
        "lti_result_sourcedid": passback.lis_result_sourcedid,
        "lti_outcome_service_url": passback.lis_outcome_service_url,
        "lms_user_id": passback.lms_user_id,
    }


def passback_of(
    consumer_key: str | None,
    sourcedid: str | None,
    outcome_url: str | None,
    lms_user_id: str | None,
) -> PassbackParams | None:
    if consumer_key is None:
        return None
    return PassbackParams(consumer_key, sourcedid, outcome_url, lms_user_id)


_PASSBACK_COLUMNS = (
    "lti_consumer_key",
    "lti_result_sourcedid",
    "lti_outcome_service_url",
    "lms_user_id",
)


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
            item_kind=AttemptItem(row.item_kind),
            item_id=row.item_id,
            course_id=CourseId(row.course_id) if row.course_id is not None else None,
            code=row.code,
            verdict=Verdict(row.verdict),
            status_code=row.status_code,
            duration_ms=row.duration_ms,
            created_at=as_utc(row.created_at),
            attempt_type=AttemptType(row.attempt_type),
            is_correct=row.is_correct,
            passback=passback_of(
                row.lti_consumer_key,
                row.lti_result_sourcedid,
                row.lti_outcome_service_url,
                row.lms_user_id,
            ),
        )
        for row in rows
    ]


def as_utc(moment: datetime) -> datetime:
    """SQLite hands timestamps back without their zone; they were written in UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    if moment.tzinfo is UTC:
        return moment
    return moment.astimezone(UTC)
