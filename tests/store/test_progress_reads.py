"""Reading a user's progress rows back as core values, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Connection, Engine, event

from handyman_core.ids import ChapterId, CourseId, ProjectId, TaskId
from handyman_core.progress import ItemProgress, UserProgress
from handyman_core.status import Status
from handyman_store import progress_reads
from tests.store.progress_catalogue import CATALOGUE, seed_catalogue, write_progress

USER = 100
OTHER_USER = 200

PY_0010 = ChapterId("python_chapter_0010")
PY_0020 = ChapterId("python_chapter_0020")
RUST_0010 = ChapterId("rust_chapter_0010")
PY_0010_T10 = TaskId("python_chapter_0010_task_0010")
PY_0010_T20 = TaskId("python_chapter_0010_task_0020")
PY_0020_T10 = TaskId("python_chapter_0020_task_0010")
RUST_0010_T10 = TaskId("rust_chapter_0010_task_0010")
PY_CALC = ProjectId("python_calculator")
RUST_CALC = ProjectId("rust_calculator")

BOTH_COURSES = UserProgress(
    courses={CourseId("python"): Status.IN_PROGRESS, CourseId("rust"): Status.COMPLETED},
    chapters={PY_0010: Status.COMPLETED, PY_0020: Status.IN_PROGRESS, RUST_0010: Status.BLOCKED},
    tasks={
        PY_0010_T10: ItemProgress(Status.COMPLETED, 3, "print(1)"),
        PY_0010_T20: ItemProgress(Status.IN_PROGRESS, 1, "x ="),
        PY_0020_T10: ItemProgress(Status.BLOCKED, 0, ""),
        RUST_0010_T10: ItemProgress(Status.COMPLETED, 2, "fn main() {}"),
    },
    projects={
        PY_CALC: ItemProgress(Status.IN_PROGRESS, 4, '{"name": "project"}'),
        RUST_CALC: ItemProgress(Status.COMPLETED, 1, "{}"),
    },
)


@pytest.fixture
def db(engine: Engine) -> Engine:
    return seed_catalogue(engine)


@pytest.fixture
def with_progress(db: Engine) -> Engine:
    write_progress(db, USER, BOTH_COURSES)
    write_progress(
        db,
        OTHER_USER,
        UserProgress(
            courses={CourseId("python"): Status.BLOCKED},
            chapters={PY_0010: Status.IN_PROGRESS},
            tasks={PY_0010_T10: ItemProgress(Status.IN_PROGRESS, 9, "other")},
            projects={PY_CALC: ItemProgress(Status.COMPLETED, 9, "other")},
        ),
    )
    return db


def test_a_user_without_rows_has_empty_progress(db: Engine) -> None:
    with db.connect() as connection:
        assert progress_reads.user_progress(connection, USER) == UserProgress()
        assert progress_reads.course_statuses(connection, USER) == {}


def test_user_progress_returns_every_row_of_the_user_and_none_of_others(
    with_progress: Engine,
) -> None:
    with with_progress.connect() as connection:
        assert progress_reads.user_progress(connection, USER) == BOTH_COURSES


def test_user_progress_without_solutions_keeps_statuses_and_attempts(
    with_progress: Engine,
) -> None:
    with with_progress.connect() as connection:
        progress = progress_reads.user_progress(connection, USER, with_solutions=False)
    assert progress.tasks[PY_0010_T10] == ItemProgress(Status.COMPLETED, 3, "")
    assert progress.projects[PY_CALC] == ItemProgress(Status.IN_PROGRESS, 4, "")


def test_course_statuses_maps_each_course_row_of_the_user(with_progress: Engine) -> None:
    with with_progress.connect() as connection:
        assert progress_reads.course_statuses(connection, USER) == {
            "python": Status.IN_PROGRESS,
            "rust": Status.COMPLETED,
        }


def test_course_progress_holds_only_that_courses_rows(with_progress: Engine) -> None:
    with with_progress.connect() as connection:
        progress = progress_reads.course_progress(
            connection, USER, CourseId("rust"), with_solutions=True
        )
    assert progress == UserProgress(
        courses={CourseId("rust"): Status.COMPLETED},
        chapters={RUST_0010: Status.BLOCKED},
        tasks={RUST_0010_T10: ItemProgress(Status.COMPLETED, 2, "fn main() {}")},
        projects={RUST_CALC: ItemProgress(Status.COMPLETED, 1, "{}")},
    )


def test_course_progress_without_solutions_leaves_solutions_empty(with_progress: Engine) -> None:
    with with_progress.connect() as connection:
        progress = progress_reads.course_progress(
            connection, USER, CourseId("python"), with_solutions=False
        )
    assert {item.solution for item in progress.tasks.values()} == {""}
    assert progress.tasks[PY_0010_T20] == ItemProgress(Status.IN_PROGRESS, 1, "")


def test_course_progress_of_an_unstarted_course_is_empty(db: Engine) -> None:
    with db.connect() as connection:
        progress = progress_reads.course_progress(
            connection, USER, CourseId("python"), with_solutions=True
        )
    assert progress == UserProgress()


def test_chapter_progress_gives_both_statuses_and_the_chapters_tasks(
    with_progress: Engine,
) -> None:
    with with_progress.connect() as connection:
        view = progress_reads.chapter_progress(connection, USER, PY_0010)
    assert view == (
        Status.IN_PROGRESS,
        Status.COMPLETED,
        {
            PY_0010_T10: ItemProgress(Status.COMPLETED, 3, "print(1)"),
            PY_0010_T20: ItemProgress(Status.IN_PROGRESS, 1, "x ="),
        },
    )


def test_chapter_progress_of_an_untouched_chapter_has_no_rows(db: Engine) -> None:
    with db.connect() as connection:
        view = progress_reads.chapter_progress(connection, USER, PY_0010)
    assert view == (None, None, {})


def test_task_item_is_the_users_row_or_none(with_progress: Engine) -> None:
    with with_progress.connect() as connection:
        assert progress_reads.task_item(connection, USER, PY_0010_T10) == ItemProgress(
            Status.COMPLETED, 3, "print(1)"
        )
        assert (
            progress_reads.task_item(connection, USER, TaskId("rust_chapter_0030_task_0010"))
            is None
        )


def test_project_item_is_the_users_row_or_none(with_progress: Engine) -> None:
    with with_progress.connect() as connection:
        assert progress_reads.project_item(connection, OTHER_USER, PY_CALC) == ItemProgress(
            Status.COMPLETED, 9, "other"
        )
        assert progress_reads.project_item(connection, OTHER_USER, RUST_CALC) is None


@pytest.mark.parametrize(
    "read",
    [
        pytest.param(lambda c: progress_reads.user_progress(c, USER), id="user_progress"),
        pytest.param(
            lambda c: progress_reads.course_progress(
                c, USER, CourseId("python"), with_solutions=True
            ),
            id="course_progress",
        ),
        pytest.param(
            lambda c: progress_reads.chapter_progress(c, USER, PY_0010), id="chapter_progress"
        ),
    ],
)
def test_reads_take_the_same_few_queries_however_many_rows_there_are(
    db: Engine, read: Callable[[Connection], object]
) -> None:
    with _counted_statements(db) as on_empty:
        _read_once(db, read)
    write_progress(db, USER, _everything_started())
    with _counted_statements(db) as on_full:
        _read_once(db, read)
    assert len(on_full) == len(on_empty) <= 4


def _read_once(engine: Engine, read: Callable[[Connection], object]) -> None:
    with engine.connect() as connection:
        read(connection)


def _everything_started() -> UserProgress:
    item = ItemProgress(Status.IN_PROGRESS, 1, "code")
    return UserProgress(
        courses={course.id: Status.IN_PROGRESS for course in CATALOGUE.courses},
        chapters={chapter.id: Status.IN_PROGRESS for chapter in CATALOGUE.chapters},
        tasks={task.id: item for task in CATALOGUE.tasks},
        projects={project.id: item for project in CATALOGUE.projects},
    )


@contextmanager
def _counted_statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements the engine sends while the block runs (transaction control aside)."""
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        if not statement.lstrip().upper().startswith("BEGIN"):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
