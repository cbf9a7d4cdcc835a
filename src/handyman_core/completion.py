"""Completion checks over the live catalogue (docs/behaviour.md, "Status changes the learner
asks for" and "Chapters").

Callers pass the ids of live catalogue items only; stale progress rows for retired items are
therefore never counted (the original compared row counts, so such rows could block completion).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypeVar

from attrs import frozen

from handyman_core.status import Status

_Key = TypeVar("_Key", bound=str)

CHAPTER_COMPLETED = "chapter_completed"
CHAPTER_NOT_COMPLETED = "chapter_not_completed"


@frozen
class ChapterSummary:
    """get_progress's verdict on a chapter."""

    user_status_on_chapter: str
    not_completed_tasks: tuple[str, ...]


def all_tasks_completed(task_ids: Iterable[_Key], statuses: Mapping[_Key, Status]) -> bool:
    """A chapter with no tasks is complete (as observed in the original)."""
    return _all_completed(task_ids, statuses)


def all_chapters_completed(chapter_ids: Iterable[_Key], statuses: Mapping[_Key, Status]) -> bool:
    """Only chapters count toward a course, as in the original: not tasks, not projects."""
    return _all_completed(chapter_ids, statuses)


def chapter_summary(
    task_ids_in_order: Iterable[_Key],
    task_statuses: Mapping[_Key, Status],
    chapter_status: Status | None,
) -> ChapterSummary:
    """The original's semantics are kept: a chapter whose row says completed is reported as
    completed even if some of its tasks are not (they are still listed)."""
    not_completed = tuple(
        task_id for task_id in task_ids_in_order if task_statuses.get(task_id) != Status.COMPLETED
    )
    if not_completed and chapter_status != Status.COMPLETED:
        verdict = CHAPTER_NOT_COMPLETED
    else:
        verdict = CHAPTER_COMPLETED
    return ChapterSummary(user_status_on_chapter=verdict, not_completed_tasks=not_completed)


def _all_completed(ids: Iterable[_Key], statuses: Mapping[_Key, Status]) -> bool:
    return all(statuses.get(item_id) == Status.COMPLETED for item_id in ids)
