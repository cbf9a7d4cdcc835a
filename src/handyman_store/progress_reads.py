"""Loading a user's progress rows as core values.

Every read is a fixed handful of index lookups on `(user_id, course_id)`, `(user_id, chapter_id)`
or the primary key, whatever the size of the course: never one query per chapter or task.
Solutions are the bulk of the data, so reads that only need statuses can leave them out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple, TypeVar

from sqlalchemy import ColumnElement, Connection, ScalarSelect, Select, Text, literal, select

from handyman_core.ids import (
    ChapterId,
    CourseId,
    ProjectId,
    TaskId,
    course_of_chapter,
)
from handyman_core.progress import ItemProgress, UserProgress
from handyman_core.status import Status
from handyman_store.schema import chapter_progress as chapter_rows
from handyman_store.schema import course_progress as course_rows
from handyman_store.schema import practice_progress as project_rows
from handyman_store.schema import task_progress as task_rows

_Key = TypeVar("_Key", bound=str)


class ChapterView(NamedTuple):
    """What a chapter page needs of one user: both statuses (None = no row) and the chapter's
    task rows."""

    course: Status | None
    chapter: Status | None
    tasks: dict[TaskId, ItemProgress]


def course_statuses(connection: Connection, user_id: int) -> dict[CourseId, Status]:
    rows = connection.execute(
        select(course_rows.c.course_id, course_rows.c.status).where(
            course_rows.c.user_id == user_id
        )
    )
    return {CourseId(course_id): Status(status) for course_id, status in rows}


def course_progress(
    connection: Connection, user_id: int, course_id: CourseId, *, with_solutions: bool
) -> UserProgress:
    """The user's rows of one course only: its course row, chapters, tasks and projects."""
    course = course_status(connection, user_id, course_id)
    tasks = _task_items(with_solutions).where(
        task_rows.c.user_id == user_id, task_rows.c.course_id == course_id
    )
    projects = _project_items(with_solutions).where(
        project_rows.c.user_id == user_id, project_rows.c.course_id == course_id
    )
    return UserProgress(
        courses={} if course is None else {course_id: course},
        chapters=chapter_statuses_of_course(connection, user_id, course_id),
        tasks=_items(connection, tasks, TaskId),
        projects=_items(connection, projects, ProjectId),
    )


def chapter_progress(connection: Connection, user_id: int, chapter_id: ChapterId) -> ChapterView:
    course, chapter = course_and_chapter_status(connection, user_id, chapter_id)
    tasks = _task_items(with_solutions=True).where(
        task_rows.c.user_id == user_id, task_rows.c.chapter_id == chapter_id
    )
    return ChapterView(course=course, chapter=chapter, tasks=_items(connection, tasks, TaskId))


def course_and_chapter_status(
    connection: Connection, user_id: int, chapter_id: ChapterId
) -> tuple[Status | None, Status | None]:
    """The statuses of a chapter and of its course (None where there is no row), in one query."""
    course_id = course_of_chapter(chapter_id)
    course, chapter = connection.execute(
        select(
            _scalar(_course_status(user_id, course_id)),
            _scalar(_chapter_status(user_id, chapter_id)),
        )
    ).one()
    return _status_or_none(course), _status_or_none(chapter)


def course_status(connection: Connection, user_id: int, course_id: CourseId) -> Status | None:
    return _status_or_none(
        connection.execute(_course_status(user_id, course_id)).scalar_one_or_none()
    )


def chapter_statuses_of_course(
    connection: Connection, user_id: int, course_id: CourseId
) -> dict[ChapterId, Status]:
    rows = connection.execute(
        select(chapter_rows.c.chapter_id, chapter_rows.c.status).where(
            chapter_rows.c.user_id == user_id, chapter_rows.c.course_id == course_id
        )
    )
    return {ChapterId(chapter_id): Status(status) for chapter_id, status in rows}


def task_statuses_of_chapter(
    connection: Connection, user_id: int, chapter_id: ChapterId
) -> dict[TaskId, Status]:
    rows = connection.execute(
        select(task_rows.c.task_id, task_rows.c.status).where(
            task_rows.c.user_id == user_id, task_rows.c.chapter_id == chapter_id
        )
    )
    return {TaskId(task_id): Status(status) for task_id, status in rows}


def user_progress(
    connection: Connection, user_id: int, *, with_solutions: bool = True
) -> UserProgress:
    """Every row of the user, in four queries (one per table)."""
    chapters = connection.execute(
        select(chapter_rows.c.chapter_id, chapter_rows.c.status).where(
            chapter_rows.c.user_id == user_id
        )
    )
    return UserProgress(
        courses=course_statuses(connection, user_id),
        chapters={ChapterId(chapter_id): Status(status) for chapter_id, status in chapters},
        tasks=_items(
            connection, _task_items(with_solutions).where(task_rows.c.user_id == user_id), TaskId
        ),
        projects=_items(
            connection,
            _project_items(with_solutions).where(project_rows.c.user_id == user_id),
            ProjectId,
        ),
    )


def task_item(connection: Connection, user_id: int, task_id: TaskId) -> ItemProgress | None:
    query = _task_items(with_solutions=True).where(
        task_rows.c.user_id == user_id, task_rows.c.task_id == task_id
    )
    return _items(connection, query, TaskId).get(task_id)


def project_item(
    connection: Connection, user_id: int, project_id: ProjectId
) -> ItemProgress | None:
    query = _project_items(with_solutions=True).where(
        project_rows.c.user_id == user_id, project_rows.c.project_id == project_id
    )
    return _items(connection, query, ProjectId).get(project_id)


def _course_status(user_id: int, course_id: CourseId) -> Select[str]:
    return select(course_rows.c.status).where(
        course_rows.c.user_id == user_id, course_rows.c.course_id == course_id
    )


def _chapter_status(user_id: int, chapter_id: ChapterId) -> Select[str]:
    return select(chapter_rows.c.status).where(
        chapter_rows.c.user_id == user_id, chapter_rows.c.chapter_id == chapter_id
    )


def _scalar(query: Select[str]) -> ScalarSelect[str]:
    return query.scalar_subquery()


def _task_items(with_solutions: bool) -> Select[str, str, int, str]:
    solution = task_rows.c.solution_text if with_solutions else _no_solution()
    return select(task_rows.c.task_id, task_rows.c.status, task_rows.c.attempts_count, solution)


def _project_items(with_solutions: bool) -> Select[str, str, int, str]:
    solution = project_rows.c.solution_text if with_solutions else _no_solution()
    return select(
        project_rows.c.project_id, project_rows.c.status, project_rows.c.attempts_count, solution
    )


def _no_solution() -> ColumnElement[str]:
    return literal("", Text)


def _items(
    connection: Connection,
    query: Select[str, str, int, str],
    key: Callable[[str], _Key],
) -> dict[_Key, ItemProgress]:
    return {
        key(item_id): ItemProgress(status=Status(status), attempts=attempts, solution=solution)
        for item_id, status, attempts, solution in connection.execute(query)
    }


def _status_or_none(value: str | None) -> Status | None:
    return None if value is None else Status(value)
