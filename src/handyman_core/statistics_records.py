"""One attempt as the statistics API answers it: the seed vendor's record shape, so that any
client written for that vendor reads it, plus the ids an LMS would want to join on.

`user_id` is the learner's id in the LMS when the LMS sent one (`lms_user_id`), else Handyman's
own user id, always as a string as in the seed; `handyman_user_id` keeps Handyman's id either way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from attrs import frozen

from handyman_core.attempt_types import AttemptItem, AttemptType
from handyman_core.instants import format_instant
from handyman_core.lti_passback import PassbackParams
from handyman_core.statistics_cursor import CursorPosition


@frozen
class StatisticsRecord:
    attempt_id: int
    handyman_user_id: int
    passback: PassbackParams | None
    attempt_type: AttemptType
    is_correct: bool | None
    created_at: datetime
    item_kind: AttemptItem
    item_id: str | None
    course_id: str | None

    @property
    def user_id(self) -> str:
        if self.passback is not None and self.passback.lms_user_id is not None:
            return self.passback.lms_user_id
        return str(self.handyman_user_id)

    @property
    def position(self) -> CursorPosition:
        return CursorPosition(self.created_at, self.attempt_id)


def record_json(record: StatisticsRecord) -> dict[str, Any]:
    """`is_correct` is 1, 0 or null as in the seed; `task_id` names the task or, for a practice
    project, the project (the site's own name for it); playground runs have neither."""
    return {
        "user_id": record.user_id,
        "passback_params": record.passback.as_json() if record.passback is not None else {},
        "is_correct": None if record.is_correct is None else int(record.is_correct),
        "attempt_type": record.attempt_type.value,
        "created_at": format_instant(record.created_at),
        "attempt_id": record.attempt_id,
        "handyman_user_id": record.handyman_user_id,
        "item_kind": record.item_kind.value,
        "task_id": record.item_id,
        "course_id": record.course_id,
    }
