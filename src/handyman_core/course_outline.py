"""The course page: live chapters in id order, each practice project right after the chapter it
follows (docs/behaviour.md, "Chapters"), with the user's status and task counts over live tasks
only."""

from __future__ import annotations

import enum
from typing import NamedTuple

from handyman_core.catalogue import Catalogue, Chapter
from handyman_core.progress import UserProgress
from handyman_core.status import Status


class OutlineKind(enum.Enum):
    CHAPTER = 0
    PROJECT = 1


class OutlineRow(NamedTuple):
    """A named tuple rather than a frozen attrs class: a course page makes one per chapter on
    every request, and a tuple is built in one step where attrs sets six attributes."""

    item_id: str
    kind: OutlineKind
    title: str
    status: Status
    tasks_total: int
    tasks_completed: int


def course_outline(
    catalogue: Catalogue, course_id: str, progress: UserProgress
) -> list[OutlineRow]:
    """`progress` may hold only this course's rows; anonymous users pass an empty one. Rows
    follow the catalogue's page order (`Catalogue.page_items`, sorted once per snapshot); a
    page is one pass over it with dict lookups, since it is built on every get_chapters."""
    completed = Status.COMPLETED
    task_of = catalogue.task
    completed_by_chapter: dict[str, int] = {}
    for task_id, item in progress.tasks.items():
        if item.status is completed:
            task = task_of(task_id)
            if task is not None:
                chapter_id = task.chapter_id
                completed_by_chapter[chapter_id] = completed_by_chapter.get(chapter_id, 0) + 1
    chapter_statuses = progress.chapters
    projects = progress.projects
    tasks_of = catalogue.tasks_of
    not_started = Status.NOT_STARTED
    rows: list[OutlineRow] = []
    for entry in catalogue.page_items(course_id):
        item_id = entry.id
        if isinstance(entry, Chapter):
            rows.append(
                OutlineRow(
                    item_id,
                    OutlineKind.CHAPTER,
                    entry.title,
                    chapter_statuses.get(entry.id, not_started),
                    len(tasks_of(item_id)),
                    completed_by_chapter.get(item_id, 0),
                )
            )
        else:
            project_item = projects.get(entry.id)
            status = project_item.status if project_item is not None else not_started
            rows.append(
                OutlineRow(
                    item_id,
                    OutlineKind.PROJECT,
                    entry.title,
                    status,
                    1,
                    1 if status is completed else 0,
                )
            )
    return rows


def active_row(outline: list[OutlineRow]) -> OutlineRow | None:
    """Where the learner should continue: the first row still to do."""
    return next((row for row in outline if row.status.still_to_do), None)
