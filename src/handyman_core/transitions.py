"""What update_course_progress / update_chapter_progress decide (docs/behaviour.md, "Status
changes the learner asks for").

The site reads these refusals from response bodies, so the original's table is kept as it is,
odd corners included: `blocked` can be entered from anywhere and never left, and
`completed -> completed` is refused rather than ignored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeVar

from attrs import frozen

from handyman_core.ids import ChapterId
from handyman_core.status import Status

_VALID_TARGETS: Mapping[str, frozenset[str]] = {
    "": frozenset({Status.IN_PROGRESS.value, Status.COMPLETED.value}),
    Status.NOT_STARTED.value: frozenset({Status.IN_PROGRESS.value, Status.COMPLETED.value}),
    Status.IN_PROGRESS.value: frozenset({Status.COMPLETED.value}),
}

_ALREADY_UNDER_WAY = frozenset({Status.IN_PROGRESS, Status.COMPLETED})

_ChapterKey = TypeVar("_ChapterKey", bound=str)


@frozen
class Apply:
    """Write `status` (then, for a chapter, make sure the course has a row)."""

    status: Status


@frozen
class NoAction:
    """Asked to start something already started or finished: answer `no_action`, write nothing."""


@frozen
class Refused:
    """The transition is not allowed; both values go back to the client verbatim."""

    current_status: str
    new_status: str


@frozen
class NotAllCompleted:
    """Asked to complete a chapter (course) whose tasks (chapters) are not all completed."""


Decision = Apply | NoAction | Refused | NotAllCompleted


@frozen
class ChapterUpdate:
    """The decision on a chapter status change and the chapter the answer names: the requested
    one, except for `NoAction`, which sends the user to the first chapter still to do."""

    decision: Decision
    chapter_id: ChapterId


def requestable_statuses() -> tuple[Status, ...]:
    """The statuses update_*_progress can ever write, whatever the current one."""
    currents = ["", *(status.value for status in Status)]
    return tuple(
        status
        for status in Status
        if any(is_new_status_valid(current, status.value) for current in currents)
    )


def is_new_status_valid(current: str, new: str) -> bool:
    """`current` is "" or "not_started" when there is no row; unknown strings are never valid
    targets, and an unknown current value only allows `blocked`."""
    if new == Status.BLOCKED:
        return True
    return new in _VALID_TARGETS.get(current, frozenset())


def decide_course_update(
    current: Status | None, requested: str, all_chapters_completed: bool
) -> Decision:
    """The original reports a missing course row as current status ""."""
    return _decide(_as_reported(current, ""), requested, all_chapters_completed)


def decide_chapter_update(
    current: Status | None, requested: str, all_tasks_completed: bool
) -> Decision:
    """The original reports a missing chapter row as current status "not_started"."""
    return _decide(_as_reported(current, Status.NOT_STARTED.value), requested, all_tasks_completed)


def no_action_chapter(
    chapter_ids_in_order: Sequence[_ChapterKey],
    statuses: Mapping[_ChapterKey, Status],
    requested: _ChapterKey,
) -> _ChapterKey:
    """The chapter a `no_action` answer sends the user to. Callers pass chapters only: unlike
    the original, a practice project is never named (the site would redirect to a broken page)."""
    for chapter_id in chapter_ids_in_order:
        if statuses.get(chapter_id, Status.NOT_STARTED).still_to_do:
            return chapter_id
    return requested


def _as_reported(current: Status | None, no_row: str) -> str:
    if current is None or current == Status.NOT_STARTED:
        return no_row
    return current.value


def _decide(current: str, requested: str, all_completed: bool) -> Decision:
    if not is_new_status_valid(current, requested):
        if requested == Status.IN_PROGRESS and current in _ALREADY_UNDER_WAY:
            return NoAction()
        return Refused(current_status=current, new_status=requested)
    if requested == Status.COMPLETED and not all_completed:
        return NotAllCompleted()
    return Apply(Status(requested))
