"""Direct writes of attempts and analytics rows for the analytics store tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete

from handyman_core.attempt_types import AttemptItem, AttemptType
from handyman_core.ids import CourseId
from handyman_core.lti_passback import PassbackParams
from handyman_core.run_protocol import RunResult, Verdict
from handyman_store.attempt_log import log_attempt
from handyman_store.schema import attempts

T0 = datetime(2026, 12, 1, tzinfo=UTC)
TASK = "python_chapter_0010_task_0010"


def add_attempt(
    engine: Engine,
    *,
    at: datetime,
    user_id: int = 1,
    consumer_key: str | None = None,
    attempt_type: AttemptType = AttemptType.SUBMIT,
    verdict: Verdict = Verdict.PASSED,
    item_kind: AttemptItem = AttemptItem.TASK,
    lms_user_id: str | None = None,
) -> None:
    passback = (
        PassbackParams(consumer_key, "block-1", "https://lms.example/grade", lms_user_id)
        if consumer_key is not None
        else None
    )
    with engine.begin() as connection:
        log_attempt(
            connection,
            user_id,
            item_kind,
            TASK if item_kind is not AttemptItem.PLAYGROUND else "pg-1",
            CourseId("python") if item_kind is not AttemptItem.PLAYGROUND else None,
            code="x",
            result=RunResult(verdict),
            now=at,
            attempt_type=attempt_type,
            passback=passback,
        )


def clear_attempts(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(delete(attempts))


def minutes(count: float) -> timedelta:
    return timedelta(minutes=count)
