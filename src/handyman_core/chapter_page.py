"""The chapter page (get_chapter, get_active_chapter): text, tasks in id order with the user's
code and status, counts, navigation. Fixes the original's empty anonymous task list, its
always-zero counts and its `next_chapter_id` computed from the request instead of the chapter."""

from __future__ import annotations

from collections.abc import Mapping

from attrs import frozen

from handyman_core.catalogue import Catalogue, Chapter
from handyman_core.ids import TaskId, parent_chapter_of
from handyman_core.progress import ItemProgress
from handyman_core.status import Status


@frozen
class TaskLine:
    task_id: str
    code: str
    status: Status


@frozen
class ChapterPage:
    chapter_id: str
    title: str
    content: str
    status: Status
    course_status: Status
    next_item_id: str | None
    parent_chapter_id: str | None
    parent_chapter_title: str | None
    tasks: tuple[TaskLine, ...]

    @property
    def tasks_total(self) -> int:
        return len(self.tasks)

    @property
    def tasks_completed(self) -> int:
        return sum(line.status is Status.COMPLETED for line in self.tasks)


def chapter_page(
    catalogue: Catalogue,
    chapter: Chapter,
    chapter_status: Status | None,
    course_status: Status | None,
    task_items: Mapping[TaskId, ItemProgress],
) -> ChapterPage:
    """Anonymous users pass no statuses and no items: every task is listed as not started."""
    lines = []
    for task in catalogue.tasks_of(chapter.id):
        item = task_items.get(task.id)
        lines.append(
            TaskLine(
                task_id=task.id,
                code=item.solution if item else "",
                status=item.status if item else Status.NOT_STARTED,
            )
        )
    parent_id = parent_chapter_of(chapter.id)
    parent = catalogue.chapter(parent_id) if parent_id else None
    return ChapterPage(
        chapter_id=chapter.id,
        title=chapter.title,
        content=chapter.text,
        status=chapter_status or Status.NOT_STARTED,
        course_status=course_status or Status.NOT_STARTED,
        next_item_id=catalogue.next_item_id(chapter.id),
        parent_chapter_id=parent_id,
        parent_chapter_title=parent.title if parent else None,
        tasks=tuple(lines),
    )
