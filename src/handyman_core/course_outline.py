"""The course page: live chapters in id order, each practice project right after the chapter it
follows (docs/behaviour.md, "Chapters"), with the user's status and task counts over live tasks
only."""

from __future__ import annotations

import enum

from attrs import frozen

from handyman_core.catalogue import Catalogue
from handyman_core.progress import UserProgress
from handyman_core.status import Status


class OutlineKind(enum.Enum):
    CHAPTER = 0
    PROJECT = 1


@frozen
class OutlineRow:
    item_id: str
    kind: OutlineKind
    title: str
    status: Status
    tasks_total: int
    tasks_completed: int


def course_outline(
    catalogue: Catalogue, course_id: str, progress: UserProgress
) -> list[OutlineRow]:
    """`progress` may hold only this course's rows; anonymous users pass an empty one."""
    completed_by_chapter: dict[str, int] = {}
    for task_id, item in progress.tasks.items():
        task = catalogue.task(task_id)
        if task is not None and item.status is Status.COMPLETED:
            completed_by_chapter[task.chapter_id] = completed_by_chapter.get(task.chapter_id, 0) + 1
    keyed: list[tuple[str, int, OutlineRow]] = []
    for chapter in catalogue.chapters_of(course_id):
        row = OutlineRow(
            item_id=chapter.id,
            kind=OutlineKind.CHAPTER,
            title=chapter.title,
            status=progress.chapters.get(chapter.id, Status.NOT_STARTED),
            tasks_total=len(catalogue.tasks_of(chapter.id)),
            tasks_completed=completed_by_chapter.get(chapter.id, 0),
        )
        keyed.append((chapter.id, OutlineKind.CHAPTER.value, row))
    for project in catalogue.projects_of(course_id):
        project_item = progress.projects.get(project.id)
        status = project_item.status if project_item else Status.NOT_STARTED
        row = OutlineRow(
            item_id=project.id,
            kind=OutlineKind.PROJECT,
            title=project.title,
            status=status,
            tasks_total=1,
            tasks_completed=1 if status is Status.COMPLETED else 0,
        )
        keyed.append((project.chapter_id, OutlineKind.PROJECT.value, row))
    keyed.sort(key=lambda entry: (entry[0], entry[1], entry[2].item_id))
    return [row for _, _, row in keyed]


def active_row(outline: list[OutlineRow]) -> OutlineRow | None:
    """Where the learner should continue: the first row still to do."""
    return next((row for row in outline if row.status.still_to_do), None)
