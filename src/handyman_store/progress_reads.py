"""Loading a user's progress rows as core values.

Every read is one statement of index lookups on `(user_id, course_id)`, `(user_id, chapter_id)`
or the primary key, whatever the size of the course: the rows of several tables come back
together through UNION ALL, tagged with their kind, so a page costs one round trip. Solutions are
the bulk of the data, so reads that only need statuses leave them out. The statements are
written once (`driver_sql`) and run on the driver's connection, under a SQLAlchemy connection's
transaction or on the facade's pooled reading connection.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from sqlalchemy import Connection

from handyman_core.ids import ChapterId, CourseId, ProjectId, TaskId, course_of_chapter
from handyman_core.progress import ChapterView, ItemProgress, UserProgress
from handyman_core.status import Status, status_named
from handyman_store.driver_sql import Driver, Row, Sql, driver_of

Reader = Connection | Driver
"""What a read runs on: a SQLAlchemy connection (inside its transaction) or a `Driver`."""

COURSE, CHAPTER, TASK, PROJECT = "course", "chapter", "task", "project"


def _tagged(
    kind: str, table: str, key: str, where: str, *, items: bool, solutions: bool = False
) -> str:
    """One branch of a UNION ALL: (kind, id, status, attempts, solution) rows of a table."""
    attempts = "attempts_count" if items else "0"
    solution = "solution_text" if items and solutions else "''"
    return (
        f"SELECT '{kind}' AS kind, {key} AS item_id, status, {attempts} AS attempts, "
        f"{solution} AS solution FROM {table} WHERE {where}"
    )


def _union(*branches: str) -> Sql:
    return Sql.of(" UNION ALL ".join(branches))


_COURSE_OF_USER = "user_id = :user_id AND course_id = :course_id"
_CHAPTER_OF_USER = "user_id = :user_id AND chapter_id = :chapter_id"


def _course_rows(solutions: bool) -> Sql:
    return _union(
        _tagged(COURSE, "course_progress", "course_id", _COURSE_OF_USER, items=False),
        _tagged(CHAPTER, "chapter_progress", "chapter_id", _COURSE_OF_USER, items=False),
        _tagged(TASK, "task_progress", "task_id", _COURSE_OF_USER, items=True, solutions=solutions),
        _tagged(
            PROJECT,
            "practice_progress",
            "project_id",
            _COURSE_OF_USER,
            items=True,
            solutions=solutions,
        ),
    )


def _user_rows(solutions: bool) -> Sql:
    mine = "user_id = :user_id"
    return _union(
        _tagged(COURSE, "course_progress", "course_id", mine, items=False),
        _tagged(CHAPTER, "chapter_progress", "chapter_id", mine, items=False),
        _tagged(TASK, "task_progress", "task_id", mine, items=True, solutions=solutions),
        _tagged(PROJECT, "practice_progress", "project_id", mine, items=True, solutions=solutions),
    )


COURSE_ROWS = {solutions: _course_rows(solutions) for solutions in (True, False)}
USER_ROWS = {solutions: _user_rows(solutions) for solutions in (True, False)}
CHAPTER_ROWS = _union(
    _tagged(COURSE, "course_progress", "course_id", _COURSE_OF_USER, items=False),
    _tagged(CHAPTER, "chapter_progress", "chapter_id", _CHAPTER_OF_USER, items=False),
    _tagged(TASK, "task_progress", "task_id", _CHAPTER_OF_USER, items=True, solutions=True),
)
COURSE_AND_CHAPTER_STATUS = Sql.of(
    "SELECT (SELECT status FROM course_progress WHERE user_id = :user_id "
    "AND course_id = :course_id), (SELECT status FROM chapter_progress "
    "WHERE user_id = :user_id AND chapter_id = :chapter_id)"
)
COURSE_STATUSES = Sql.of("SELECT course_id, status FROM course_progress WHERE user_id = :user_id")
COURSE_STATUS = Sql.of(f"SELECT status FROM course_progress WHERE {_COURSE_OF_USER}")
CHAPTER_STATUSES_OF_COURSE = Sql.of(
    f"SELECT chapter_id, status FROM chapter_progress WHERE {_COURSE_OF_USER}"
)
TASK_STATUSES_OF_CHAPTER = Sql.of(
    f"SELECT task_id, status FROM task_progress WHERE {_CHAPTER_OF_USER}"
)
TASK_ITEM = Sql.of(
    "SELECT status, attempts_count, solution_text FROM task_progress "
    "WHERE user_id = :user_id AND task_id = :task_id"
)
PROJECT_ITEM = Sql.of(
    "SELECT status, attempts_count, solution_text FROM practice_progress "
    "WHERE user_id = :user_id AND project_id = :project_id"
)


def course_statuses(connection: Reader, user_id: int) -> dict[CourseId, Status]:
    rows = driver_of(connection).rows(COURSE_STATUSES, {"user_id": user_id})
    return {CourseId(course_id): status_named(status) for course_id, status in rows}


def course_progress(
    connection: Reader, user_id: int, course_id: CourseId, *, with_solutions: bool
) -> UserProgress:
    """The user's rows of one course only: its course row, chapters, tasks and projects."""
    rows = driver_of(connection).rows(
        COURSE_ROWS[with_solutions], {"user_id": user_id, "course_id": course_id}
    )
    return _progress(rows)


def chapter_progress(connection: Reader, user_id: int, chapter_id: ChapterId) -> ChapterView:
    rows = driver_of(connection).rows(
        CHAPTER_ROWS,
        {"user_id": user_id, "course_id": course_of_chapter(chapter_id), "chapter_id": chapter_id},
    )
    progress = _progress(rows)
    return ChapterView(
        course=next(iter(progress.courses.values()), None),
        chapter=progress.chapters.get(chapter_id),
        tasks=dict(progress.tasks),
    )


def course_and_chapter_status(
    connection: Reader, user_id: int, chapter_id: ChapterId
) -> tuple[Status | None, Status | None]:
    """The statuses of a chapter and of its course (None where there is no row), in one query."""
    row = driver_of(connection).first(
        COURSE_AND_CHAPTER_STATUS,
        {"user_id": user_id, "course_id": course_of_chapter(chapter_id), "chapter_id": chapter_id},
    )
    assert row is not None
    course, chapter = row
    return _status_or_none(course), _status_or_none(chapter)


def course_status(connection: Reader, user_id: int, course_id: CourseId) -> Status | None:
    row = driver_of(connection).first(COURSE_STATUS, {"user_id": user_id, "course_id": course_id})
    return None if row is None else status_named(row[0])


def chapter_statuses_of_course(
    connection: Reader, user_id: int, course_id: CourseId
) -> dict[ChapterId, Status]:
    rows = driver_of(connection).rows(
        CHAPTER_STATUSES_OF_COURSE, {"user_id": user_id, "course_id": course_id}
    )
    return {ChapterId(chapter_id): status_named(status) for chapter_id, status in rows}


def task_statuses_of_chapter(
    connection: Reader, user_id: int, chapter_id: ChapterId
) -> dict[TaskId, Status]:
    rows = driver_of(connection).rows(
        TASK_STATUSES_OF_CHAPTER, {"user_id": user_id, "chapter_id": chapter_id}
    )
    return {TaskId(task_id): status_named(status) for task_id, status in rows}


def user_progress(connection: Reader, user_id: int, *, with_solutions: bool = True) -> UserProgress:
    """Every row of the user, in one query."""
    return _progress(driver_of(connection).rows(USER_ROWS[with_solutions], {"user_id": user_id}))


def task_item(connection: Reader, user_id: int, task_id: TaskId) -> ItemProgress | None:
    row = driver_of(connection).first(TASK_ITEM, {"user_id": user_id, "task_id": task_id})
    return None if row is None else item_of(row)


def project_item(connection: Reader, user_id: int, project_id: ProjectId) -> ItemProgress | None:
    row = driver_of(connection).first(PROJECT_ITEM, {"user_id": user_id, "project_id": project_id})
    return None if row is None else item_of(row)


def item_of(row: Row) -> ItemProgress:
    """(status, attempts, solution) as a core value."""
    status, attempts, solution = row
    return _item(status, attempts, solution)


def _progress(rows: Iterable[Row]) -> UserProgress:
    courses: dict[CourseId, Status] = {}
    chapters: dict[ChapterId, Status] = {}
    tasks: dict[TaskId, ItemProgress] = {}
    projects: dict[ProjectId, ItemProgress] = {}
    for kind, item_id, status, attempts, solution in rows:
        if kind == TASK:
            tasks[item_id] = _item(status, attempts, solution)
        elif kind == CHAPTER:
            chapters[item_id] = status_named(status)
        elif kind == COURSE:
            courses[item_id] = status_named(status)
        else:
            projects[item_id] = _item(status, attempts, solution)
    return UserProgress(courses=courses, chapters=chapters, tasks=tasks, projects=projects)


def _item(status: str, attempts: int, solution: str) -> ItemProgress:
    if solution == "":
        return _bare_item(status, attempts)
    return ItemProgress(status=status_named(status), attempts=attempts, solution=solution)


@functools.lru_cache(maxsize=256)
def _bare_item(status: str, attempts: int) -> ItemProgress:
    """Rows read without their solutions differ only in status and attempts, and ItemProgress
    is immutable: one value per pair serves every page (a row costs a cache lookup, not an
    attrs instance). The cache keeps the most recent 256 pairs."""
    return ItemProgress(status=status_named(status), attempts=attempts)


def _status_or_none(value: str | None) -> Status | None:
    return None if value is None else status_named(value)
