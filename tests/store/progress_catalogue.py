"""A small hand-built catalogue for the progress tests, and direct row writes to arrange a
user's progress without going through the rules under test.

It covers every id of `tests.core.strategies`' pools, so randomly drawn progress satisfies the
foreign keys: 2 courses x 3 chapters x 3 tasks, and practice projects in both courses.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, Table, insert

from handyman_core.catalogue import Catalogue, Chapter, Course, PracticeProject, Task, Wrappers
from handyman_core.ids import (
    ChapterId,
    CourseId,
    ProjectId,
    TaskId,
    chapter_of_task,
    course_of_chapter,
    course_of_task,
)
from handyman_core.progress import UserProgress
from handyman_store import schema
from handyman_store.catalogue_import import import_catalogue

COURSE_IDS = (CourseId("python"), CourseId("rust"))
CHAPTER_NUMBERS = (10, 20, 30)
TASK_NUMBERS = (10, 20, 30)
PROJECTS = {
    ProjectId("python_calculator"): ChapterId("python_chapter_0010"),
    ProjectId("python_tree_util"): ChapterId("python_chapter_0020"),
    ProjectId("rust_calculator"): ChapterId("rust_chapter_0020"),
}
NOW = datetime(2026, 5, 20, 12, 0, tzinfo=UTC)

CATALOGUE = Catalogue(
    courses=[Course(id=c, title=c.title(), tags="{}", description="") for c in COURSE_IDS],
    chapters=[
        Chapter(id=ChapterId(f"{c}_chapter_{n:04d}"), course_id=c, title=f"{c} {n}", text="")
        for c in COURSE_IDS
        for n in CHAPTER_NUMBERS
    ],
    tasks=[
        Task(
            id=TaskId(f"{c}_chapter_{n:04d}_task_{t:04d}"),
            chapter_id=ChapterId(f"{c}_chapter_{n:04d}"),
            wrappers=Wrappers(test="#INJECT-b585472fa"),
        )
        for c in COURSE_IDS
        for n in CHAPTER_NUMBERS
        for t in TASK_NUMBERS
    ],
    projects=[
        PracticeProject(
            id=project_id,
            course_id=CourseId(project_id.split("_", 1)[0]),
            title=project_id,
            chapter_id=chapter_id,
            main_file="main",
            default_cmd_line_args="",
            text="",
            hint="",
        )
        for project_id, chapter_id in PROJECTS.items()
    ],
)


def seed_catalogue(engine: Engine) -> Engine:
    """Import CATALOGUE, so progress rows can reference it; returns the engine."""
    import_catalogue(engine, CATALOGUE, "tests/store")
    return engine


def write_progress(engine: Engine, user_id: int, progress: UserProgress) -> None:
    """Store `progress` as the user's rows, as imported or legacy data would hold them."""
    with engine.begin() as connection:
        _insert(
            connection,
            schema.course_progress,
            [
                {"user_id": user_id, "course_id": course_id, "status": status.value}
                for course_id, status in progress.courses.items()
            ],
        )
        _insert(
            connection,
            schema.chapter_progress,
            [
                {
                    "user_id": user_id,
                    "chapter_id": chapter_id,
                    "course_id": course_of_chapter(chapter_id),
                    "status": status.value,
                }
                for chapter_id, status in progress.chapters.items()
            ],
        )
        _insert(
            connection,
            schema.task_progress,
            [
                {
                    "user_id": user_id,
                    "task_id": task_id,
                    "chapter_id": chapter_of_task(task_id),
                    "course_id": course_of_task(task_id),
                    "status": item.status.value,
                    "attempts_count": item.attempts,
                    "solution_text": item.solution,
                }
                for task_id, item in progress.tasks.items()
            ],
        )
        _insert(
            connection,
            schema.practice_progress,
            [
                {
                    "user_id": user_id,
                    "project_id": project_id,
                    "course_id": _course_of_project(project_id),
                    "status": item.status.value,
                    "attempts_count": item.attempts,
                    "solution_text": item.solution,
                }
                for project_id, item in progress.projects.items()
            ],
        )


def _course_of_project(project_id: ProjectId) -> CourseId:
    project = CATALOGUE.project(project_id)
    assert project is not None, project_id
    return project.course_id


def _insert(connection: Connection, table: Table, rows: list[dict[str, object]]) -> None:
    if rows:
        connection.execute(insert(table), rows)
