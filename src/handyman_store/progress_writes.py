"""Progress writes: each one a single transaction that locks the user, reads the rows the core
rule needs, applies the rule and upserts the outcome.

The decision is made by `handyman_core` on rows read under the user's write lock, so a
concurrent run, save or merge of the same user can neither slip in between the check and the
write nor lose an attempt; the upserts make the write itself independent of whether a row exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from attrs import frozen
from sqlalchemy import Connection, Engine, Table

from handyman_core.completion import all_chapters_completed, all_tasks_completed
from handyman_core.ids import (
    ChapterId,
    CourseId,
    ProjectId,
    TaskId,
    chapter_of_task,
    course_of_chapter,
    course_of_task,
)
from handyman_core.progress import ItemProgress
from handyman_core.run_protocol import RunResult
from handyman_core.run_rules import apply_run, apply_save, chapter_after_run, course_after_run
from handyman_core.status import Status
from handyman_core.transitions import (
    Apply,
    Decision,
    NoAction,
    decide_chapter_update,
    decide_course_update,
    no_action_chapter,
)
from handyman_core.unicode_text import check_storable_text
from handyman_store.attempt_log import ItemKind, log_attempt
from handyman_store.database import user_write_lock
from handyman_store.progress_reads import (
    chapter_statuses_of_course,
    course_and_chapter_status,
    course_status,
    project_item,
    task_item,
    task_statuses_of_chapter,
)
from handyman_store.schema import chapter_progress as chapter_rows
from handyman_store.schema import course_progress as course_rows
from handyman_store.schema import practice_progress as project_rows
from handyman_store.schema import task_progress as task_rows
from handyman_store.upsert import conflict_insert, primary_key


@frozen
class ChapterUpdate:
    """The decision on a chapter status change and the chapter the answer names: the requested
    one, except for `NoAction`, which sends the user to the first chapter still to do."""

    decision: Decision
    chapter_id: ChapterId


def record_task_run(
    engine: Engine,
    user_id: int,
    task_id: TaskId,
    code: str,
    result: RunResult,
    *,
    now: datetime,
) -> ItemProgress:
    """A task run that produced a verdict: the task, its chapter and course, and the log.
    Returns the task's progress after the run."""
    _check_storable(code)
    chapter_id = chapter_of_task(task_id)
    course_id = course_of_task(task_id)
    with engine.begin() as connection:
        user_write_lock(connection, [user_id])
        item = apply_run(task_item(connection, user_id, task_id), result.verdict.solves, code)
        _write_task(connection, user_id, task_id, item)
        course, chapter = course_and_chapter_status(connection, user_id, chapter_id)
        _write_chapter_status(connection, user_id, chapter_id, chapter_after_run(chapter))
        _write_course_status(connection, user_id, course_id, course_after_run(course))
        log_attempt(
            connection,
            user_id,
            ItemKind.TASK,
            task_id,
            course_id,
            code=code,
            result=result,
            now=now,
        )
    return item


def record_project_run(
    engine: Engine,
    user_id: int,
    project_id: ProjectId,
    course_id: CourseId,
    code: str,
    *,
    result: RunResult,
    solved: bool,
    now: datetime,
) -> ItemProgress:
    """A practice run or test that produced a verdict. `solved` is the caller's call: only a
    passing `test` action completes a project, a `run` never does."""
    _check_storable(code)
    with engine.begin() as connection:
        user_write_lock(connection, [user_id])
        item = apply_run(project_item(connection, user_id, project_id), solved, code)
        _write_project(connection, user_id, project_id, course_id, item)
        _start_course(connection, user_id, course_id)
        log_attempt(
            connection,
            user_id,
            ItemKind.PROJECT,
            project_id,
            course_id,
            code=code,
            result=result,
            now=now,
        )
    return item


def save_task(engine: Engine, user_id: int, task_id: TaskId, code: str) -> ItemProgress:
    """Store the code only; chapter and course stay as they are."""
    _check_storable(code)
    with engine.begin() as connection:
        user_write_lock(connection, [user_id])
        item = apply_save(task_item(connection, user_id, task_id), code)
        _write_task(connection, user_id, task_id, item)
    return item


def save_project(
    engine: Engine, user_id: int, project_id: ProjectId, course_id: CourseId, code: str
) -> ItemProgress:
    """Store the project and, as the original does, start the course if it has no row."""
    _check_storable(code)
    with engine.begin() as connection:
        user_write_lock(connection, [user_id])
        item = apply_save(project_item(connection, user_id, project_id), code)
        _write_project(connection, user_id, project_id, course_id, item)
        _start_course(connection, user_id, course_id)
    return item


def update_course_status(
    engine: Engine,
    user_id: int,
    course_id: CourseId,
    requested: str,
    live_chapter_ids: Sequence[ChapterId],
) -> Decision:
    """Check the transition (and, for `completed`, the live chapters) and write on Apply."""
    with engine.begin() as connection:
        user_write_lock(connection, [user_id])
        chapters = chapter_statuses_of_course(connection, user_id, course_id)
        decision = decide_course_update(
            course_status(connection, user_id, course_id),
            requested,
            all_chapters_completed(live_chapter_ids, chapters),
        )
        if isinstance(decision, Apply):
            _upsert_status(connection, course_rows, decision.status, user_id, course_id=course_id)
    return decision


def update_chapter_status(
    engine: Engine,
    user_id: int,
    chapter_id: ChapterId,
    requested: str,
    *,
    live_task_ids: Sequence[TaskId],
    course_chapter_ids_in_order: Sequence[ChapterId],
) -> ChapterUpdate:
    """Check the transition (and, for `completed`, the chapter's live tasks) and write on
    Apply, starting the course too if it has no row."""
    course_id = course_of_chapter(chapter_id)
    with engine.begin() as connection:
        user_write_lock(connection, [user_id])
        chapters = chapter_statuses_of_course(connection, user_id, course_id)
        decision = decide_chapter_update(
            chapters.get(chapter_id),
            requested,
            all_tasks_completed(
                live_task_ids, task_statuses_of_chapter(connection, user_id, chapter_id)
            ),
        )
        if isinstance(decision, Apply):
            _upsert_status(
                connection,
                chapter_rows,
                decision.status,
                user_id,
                chapter_id=chapter_id,
                course_id=course_id,
            )
            _start_course(connection, user_id, course_id)
    if isinstance(decision, NoAction):
        return ChapterUpdate(
            decision, no_action_chapter(course_chapter_ids_in_order, chapters, chapter_id)
        )
    return ChapterUpdate(decision, chapter_id)


def _check_storable(code: str) -> None:
    """Refusing what a database cannot store keeps both databases alike and turns a driver
    error into the client's mistake it is."""
    check_storable_text(code, "solution_text")


def _write_task(connection: Connection, user_id: int, task_id: TaskId, item: ItemProgress) -> None:
    _upsert_item(
        connection,
        task_rows,
        item,
        user_id,
        task_id=task_id,
        chapter_id=chapter_of_task(task_id),
        course_id=course_of_task(task_id),
    )


def _write_project(
    connection: Connection,
    user_id: int,
    project_id: ProjectId,
    course_id: CourseId,
    item: ItemProgress,
) -> None:
    _upsert_item(
        connection, project_rows, item, user_id, project_id=project_id, course_id=course_id
    )


def _write_chapter_status(
    connection: Connection, user_id: int, chapter_id: ChapterId, status: Status | None
) -> None:
    if status is not None:
        _upsert_status(
            connection,
            chapter_rows,
            status,
            user_id,
            chapter_id=chapter_id,
            course_id=course_of_chapter(chapter_id),
        )


def _write_course_status(
    connection: Connection, user_id: int, course_id: CourseId, status: Status | None
) -> None:
    if status is not None:
        _upsert_status(connection, course_rows, status, user_id, course_id=course_id)


def _start_course(connection: Connection, user_id: int, course_id: CourseId) -> None:
    """The original's TryStartCourse: a course with no row becomes in_progress."""
    current = course_status(connection, user_id, course_id)
    _write_course_status(connection, user_id, course_id, course_after_run(current))


def _upsert_status(
    connection: Connection, table: Table, status: Status, user_id: int, **keys: str
) -> None:
    statement = conflict_insert(connection, table).values(
        user_id=user_id, status=status.value, **keys
    )
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=primary_key(table), set_={"status": statement.excluded.status}
        )
    )


def _upsert_item(
    connection: Connection, table: Table, item: ItemProgress, user_id: int, **keys: str
) -> None:
    statement = conflict_insert(connection, table).values(
        user_id=user_id,
        status=item.status.value,
        attempts_count=item.attempts,
        solution_text=item.solution,
        **keys,
    )
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=primary_key(table),
            set_={
                "status": statement.excluded.status,
                "attempts_count": statement.excluded.attempts_count,
                "solution_text": statement.excluded.solution_text,
            },
        )
    )
