"""One attempt as the statistics API answers it: the seed vendor's record shape, so that any
client written for that vendor reads it, plus the ids an LMS would want to join on.

`user_id` is the learner's id in the LMS when the LMS sent one (`lms_user_id`), else Handyman's
own user id, always as a string as in the seed; `handyman_user_id` keeps Handyman's id either way.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, NamedTuple

from handyman_core.attempt_types import AttemptItem, AttemptType
from handyman_core.instants import format_instant
from handyman_core.lti_passback import PassbackParams, passback_json
from handyman_core.statistics_cursor import CursorPosition


class StatisticsRecord(NamedTuple):
    """An attempt in the plain values the attempt log holds, in the order the store reads them.

    A named tuple of plain values rather than a frozen attrs class of typed ones: the API streams
    a day's tens of thousands of attempts in well under a second, and the store makes each of
    these from the driver's row in one C call, where building typed values per row cost as much
    as reading the rows (bench/stats.py). The typed views are the properties below."""

    attempt_id: int
    handyman_user_id: int
    consumer_key: str | None
    """The passback's `oauth_consumer_key`; None for an attempt made outside any LMS, which has
    no other passback column either."""
    result_sourcedid: str | None
    outcome_service_url: str | None
    lms_user_id: str | None
    attempt_type: str
    """An `AttemptType` value."""
    is_correct: bool | None
    created_at: datetime
    """Timezone-aware."""
    item_kind: str
    """An `AttemptItem` value."""
    item_id: str | None
    """The task, or the project of a practice attempt; None for a playground run."""
    course_id: str | None

    @property
    def passback(self) -> PassbackParams | None:
        if self.consumer_key is None:
            return None
        return PassbackParams(
            self.consumer_key, self.result_sourcedid, self.outcome_service_url, self.lms_user_id
        )

    @property
    def user_id(self) -> str:
        if self.consumer_key is not None and self.lms_user_id is not None:
            return self.lms_user_id
        return str(self.handyman_user_id)

    @property
    def type(self) -> AttemptType:
        return AttemptType(self.attempt_type)

    @property
    def item(self) -> AttemptItem:
        return AttemptItem(self.item_kind)

    @property
    def position(self) -> CursorPosition:
        return CursorPosition(self.created_at.astimezone(UTC), self.attempt_id)


InstantWriter = Callable[[datetime], object]


def record_json(
    record: StatisticsRecord, instant: InstantWriter = format_instant
) -> dict[str, Any]:
    """`is_correct` is 1, 0 or null as in the seed; `task_id` names the task or, for a practice
    project, the project (the site's own name for it); playground runs have neither.

    `instant` writes `created_at`: RFC 3339 text by default; a renderer whose JSON encoder
    writes some datetimes exactly so may hand those over as they are (writing the text costs
    more than the rest of the record). One tuple unpacking and one dict per record: this runs
    for every record the API streams."""
    (
        attempt_id,
        handyman_user_id,
        consumer_key,
        sourcedid,
        outcome_url,
        lms_user_id,
        attempt_type,
        is_correct,
        created_at,
        item_kind,
        item_id,
        course_id,
    ) = record
    if consumer_key is None:
        passback: dict[str, str] = {}
        user_id = str(handyman_user_id)
    else:
        passback = passback_json(consumer_key, sourcedid, outcome_url, lms_user_id)
        user_id = str(handyman_user_id) if lms_user_id is None else lms_user_id
    return {
        "user_id": user_id,
        "passback_params": passback,
        "is_correct": None if is_correct is None else int(is_correct),
        "attempt_type": attempt_type,
        "created_at": instant(created_at),
        "attempt_id": attempt_id,
        "handyman_user_id": handyman_user_id,
        "item_kind": item_kind,
        "task_id": item_id,
        "course_id": course_id,
    }
