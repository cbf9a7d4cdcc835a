"""Progress writes: each one a single transaction that locks the user, reads the rows the core
rule needs, applies the rule and upserts the outcome.

The decision is made by `handyman_core` on rows read under the user's write lock, so a
concurrent run, save or merge of the same user can neither slip in between the check and the
write nor lose an attempt; the upserts make the write itself independent of whether a row exists.

The three writes the site makes all the time cost one round trip each on PostgreSQL:

- **save_task** and **a task run** are one statement in autocommit. Their rules need no read:
  the upserts apply them to whatever row is there when the write happens (`ON CONFLICT DO
  UPDATE` sees the latest committed row, never a stale snapshot): a save replaces the code only,
  a run raises the status to the higher one (ranks from `handyman_core.status`), adds an
  attempt and starts chapter and course if they have no row. The user's advisory lock is the
  statement's first step (a CTE every write selects from), so the statement still waits for a
  merge of the same user to commit instead of slipping between its copy and its delete.
- **update_chapter_progress** is BEGIN, the lock, one statement and COMMIT sent together as
  one simple-query string (`driver_sql.one_round_trip`; the statement PREPAREd once per
  connection). The statement reads the chapter and its tasks (after the lock, so it
  sees any merge that committed first) and applies the core's decision from a table of the
  core's own answers for the requested status (`decide_chapter_update` over every current
  status and task state), then returns what it read; Python decides again on the same values
  with the same function for the answer.

SQLite runs the same rules as separate statements in one `BEGIN IMMEDIATE` transaction: there
is no network to save round trips on, and one writer at a time by construction.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, Engine, Table

from handyman_core.attempt_types import AttemptItem, AttemptType, is_correct
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
from handyman_core.lti_passback import PassbackParams
from handyman_core.progress import ItemProgress
from handyman_core.run_protocol import RunResult
from handyman_core.run_rules import apply_run, apply_save, course_after_run
from handyman_core.status import Status
from handyman_core.transitions import (
    Apply,
    ChapterUpdate,
    Decision,
    NoAction,
    decide_chapter_update,
    decide_course_update,
    no_action_chapter,
)
from handyman_core.unicode_text import check_storable_text
from handyman_store.attempt_log import attempt_instant, log_attempt, passback_columns
from handyman_store.database import user_write_lock
from handyman_store.driver_sql import (
    Prepared,
    Sql,
    autocommit,
    driver_kind,
    driver_of,
    one_round_trip,
    stored_timestamp,
)
from handyman_store.progress_reads import (
    chapter_statuses_of_course,
    course_status,
    item_of,
    project_item,
    task_statuses_of_chapter,
)
from handyman_store.schema import chapter_progress as chapter_rows
from handyman_store.schema import course_progress as course_rows
from handyman_store.schema import practice_progress as project_rows
from handyman_store.upsert import conflict_insert, primary_key

_TASK_COLUMNS = "user_id, task_id, chapter_id, course_id, status, solution_text, attempts_count"
_ATTEMPT_COLUMNS = (
    "user_id, original_user_id, item_kind, item_id, course_id, code, verdict, status_code, "
    "duration_ms, created_at, attempt_type, is_correct, lti_consumer_key, lti_result_sourcedid, "
    "lti_outcome_service_url, lms_user_id"
)
_ITEM_RETURNED = "RETURNING status, attempts_count, solution_text"


def _rank(column: str) -> str:
    """A status's rank in SQL, from the core's ranks."""
    cases = " ".join(f"WHEN '{status.value}' THEN {status.rank}" for status in Status)
    return f"(CASE {column} {cases} ELSE 0 END)"


_SAVED = "ON CONFLICT (user_id, task_id) DO UPDATE SET solution_text = excluded.solution_text"
_RAN = (
    "ON CONFLICT (user_id, task_id) DO UPDATE SET "
    f"status = CASE WHEN {_rank('task_progress.status')} >= {_rank('excluded.status')} "
    "THEN task_progress.status ELSE excluded.status END, "
    "attempts_count = task_progress.attempts_count + 1, solution_text = excluded.solution_text"
)
_NOT_STARTED = Status.NOT_STARTED.value
_IN_PROGRESS = Status.IN_PROGRESS.value
_CHAPTER_STARTED = (
    "ON CONFLICT (user_id, chapter_id) DO UPDATE SET status = excluded.status "
    f"WHERE chapter_progress.status = '{_NOT_STARTED}'"
)
_COURSE_STARTED = (
    "ON CONFLICT (user_id, course_id) DO UPDATE SET status = excluded.status "
    f"WHERE course_progress.status = '{_NOT_STARTED}'"
)
_RUN_VALUES = ":user_id, :task_id, :chapter_id, :course_id, :reached, :code, 1"
_CHAPTER_VALUES = f":user_id, :chapter_id, :course_id, '{_IN_PROGRESS}'"
_COURSE_VALUES = f":user_id, :course_id, '{_IN_PROGRESS}'"
_ATTEMPT_VALUES = (
    ":user_id, :user_id, 'task', :task_id, :course_id, :code, :verdict, :status_code, "
    f":duration_ms, :created_at, '{AttemptType.SUBMIT.value}', :is_correct, :lti_consumer_key, "
    ":lti_result_sourcedid, :lti_outcome_service_url, :lms_user_id"
)
_LOCKED = "locked AS (SELECT pg_advisory_xact_lock(CAST(:user_id AS BIGINT)))"

LOCK_USER = Sql.of("SELECT pg_advisory_xact_lock(CAST(:user_id AS BIGINT))")
SAVE_TASK = Sql(
    sqlite=Sql.of(
        f"INSERT INTO task_progress ({_TASK_COLUMNS}) VALUES (:user_id, :task_id, :chapter_id, "
        f":course_id, '{_IN_PROGRESS}', :code, 0) {_SAVED} {_ITEM_RETURNED}"
    ).sqlite,
    postgresql=Sql.of(
        f"WITH {_LOCKED} INSERT INTO task_progress ({_TASK_COLUMNS}) SELECT :user_id, :task_id, "
        f":chapter_id, :course_id, '{_IN_PROGRESS}', :code, 0 FROM locked {_SAVED} "
        f"{_ITEM_RETURNED}"
    ).postgresql,
)
RUN_POSTGRESQL = Sql.of(
    f"WITH {_LOCKED}, "
    f"task AS (INSERT INTO task_progress ({_TASK_COLUMNS}) SELECT {_RUN_VALUES} FROM locked "
    f"{_RAN} {_ITEM_RETURNED}), "
    "chapter AS (INSERT INTO chapter_progress (user_id, chapter_id, course_id, status) "
    f"SELECT {_CHAPTER_VALUES} FROM locked {_CHAPTER_STARTED}), "
    "course AS (INSERT INTO course_progress (user_id, course_id, status) "
    f"SELECT {_COURSE_VALUES} FROM locked {_COURSE_STARTED}), "
    f"attempt AS (INSERT INTO attempts ({_ATTEMPT_COLUMNS}) SELECT {_ATTEMPT_VALUES} FROM locked) "
    "SELECT status, attempts_count, solution_text FROM task"
)
RUN_TASK_SQLITE = Sql.of(
    f"INSERT INTO task_progress ({_TASK_COLUMNS}) VALUES ({_RUN_VALUES}) {_RAN} {_ITEM_RETURNED}"
)
START_CHAPTER_SQLITE = Sql.of(
    "INSERT INTO chapter_progress (user_id, chapter_id, course_id, status) "
    f"VALUES ({_CHAPTER_VALUES}) {_CHAPTER_STARTED}"
)
START_COURSE_SQLITE = Sql.of(
    f"INSERT INTO course_progress (user_id, course_id, status) VALUES ({_COURSE_VALUES}) "
    f"{_COURSE_STARTED}"
)
LOG_TASK_ATTEMPT_SQLITE = Sql.of(
    f"INSERT INTO attempts ({_ATTEMPT_COLUMNS}) VALUES ({_ATTEMPT_VALUES})"
)
UPDATE_CHAPTER_TEXT = (
    "WITH state AS (SELECT "
    "coalesce((SELECT status FROM chapter_progress WHERE user_id = :user_id "
    "AND chapter_id = :chapter_id), '') AS current, "
    "(SELECT count(*) FROM task_progress WHERE user_id = :user_id AND chapter_id = :chapter_id "
    f"AND status = '{Status.COMPLETED.value}' AND task_id = ANY(CAST(:live_task_ids AS text[]))) "
    "= :live_task_count AS done), "
    "decision AS (SELECT rule.status FROM state JOIN unnest(CAST(:rule_current AS text[]), "
    "CAST(:rule_done AS boolean[]), CAST(:rule_status AS text[])) AS rule(current, done, status) "
    "ON rule.current = state.current AND rule.done = state.done), "
    "chapter_written AS (INSERT INTO chapter_progress (user_id, chapter_id, course_id, status) "
    "SELECT :user_id, :chapter_id, :course_id, status FROM decision "
    "ON CONFLICT (user_id, chapter_id) DO UPDATE SET status = excluded.status), "
    "course_written AS (INSERT INTO course_progress (user_id, course_id, status) "
    f"SELECT {_COURSE_VALUES} FROM decision {_COURSE_STARTED}) "
    "SELECT state.current, state.done, chapter.chapter_id, chapter.status FROM state "
    "LEFT JOIN chapter_progress AS chapter ON chapter.user_id = :user_id "
    "AND chapter.course_id = :course_id"
)
UPDATE_CHAPTER = Prepared.of(
    "handyman_update_chapter",
    UPDATE_CHAPTER_TEXT,
    [
        ("user_id", "bigint"),
        ("chapter_id", "text"),
        ("course_id", "text"),
        ("live_task_ids", "text[]"),
        ("live_task_count", "bigint"),
        ("rule_current", "text[]"),
        ("rule_done", "boolean[]"),
        ("rule_status", "text[]"),
    ],
)
"""Run after LOCK_USER in the same transaction, so its snapshot comes after the lock."""


def record_task_run(
    engine: Engine,
    user_id: int,
    task_id: TaskId,
    code: str,
    result: RunResult,
    *,
    now: datetime,
    passback: PassbackParams | None = None,
) -> ItemProgress:
    """A task run that produced a verdict: the task, its chapter and course, and the log (a
    submit: run_task always checks). Returns the task's progress after the run."""
    _check_storable(code)
    parameters = {
        **passback_columns(passback),
        "is_correct": is_correct(AttemptType.SUBMIT, result.verdict),
        "user_id": user_id,
        "task_id": task_id,
        "chapter_id": chapter_of_task(task_id),
        "course_id": course_of_task(task_id),
        "code": code,
        "reached": (Status.COMPLETED if result.verdict.solves else Status.IN_PROGRESS).value,
        "verdict": result.verdict.value,
        "status_code": result.status_code,
        "duration_ms": result.duration_ms,
        "created_at": attempt_instant(now),
    }
    if driver_kind(engine) == "postgresql":
        row = autocommit(
            engine, lambda driver: driver.first(RUN_POSTGRESQL, parameters), idempotent=False
        )
    else:
        with engine.begin() as connection:
            driver = driver_of(connection)
            row = driver.first(RUN_TASK_SQLITE, parameters)
            driver.execute(START_CHAPTER_SQLITE, parameters)
            driver.execute(START_COURSE_SQLITE, parameters)
            driver.execute(
                LOG_TASK_ATTEMPT_SQLITE,
                {**parameters, "created_at": stored_timestamp("sqlite", attempt_instant(now))},
            )
    assert row is not None
    return item_of(row)


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
    attempt_type: AttemptType | None = None,
    passback: PassbackParams | None = None,
) -> ItemProgress:
    """A practice run or test that produced a verdict. `solved` is the caller's call: only a
    passing `test` action completes a project, a `run` never does. `attempt_type` is the action
    as analytics counts it (`test`: submit, `run`: run); a caller that does not say gets a
    submit for a solved run and a run otherwise (a failed test then counts as a run)."""
    _check_storable(code)
    if attempt_type is None:
        attempt_type = AttemptType.SUBMIT if solved else AttemptType.RUN
    if solved and is_correct(attempt_type, result.verdict) is not True:
        raise ValueError("only a passing submit solves a project")
    with engine.begin() as connection:
        user_write_lock(connection, [user_id])
        item = apply_run(project_item(connection, user_id, project_id), solved, code)
        _write_project(connection, user_id, project_id, course_id, item)
        _start_course(connection, user_id, course_id)
        log_attempt(
            connection,
            user_id,
            AttemptItem.PROJECT,
            project_id,
            course_id,
            code=code,
            result=result,
            now=now,
            attempt_type=attempt_type,
            passback=passback,
        )
    return item


def record_playground_run(
    engine: Engine,
    user_id: int,
    playground_id: str,
    code: str,
    *,
    result: RunResult,
    now: datetime,
    passback: PassbackParams | None = None,
) -> None:
    """A playground run: a `run` attempt of no course, logged for the user's statistics;
    progress is untouched."""
    _check_storable(code)
    with engine.begin() as connection:
        log_attempt(
            connection,
            user_id,
            AttemptItem.PLAYGROUND,
            playground_id,
            None,
            code=code,
            result=result,
            now=now,
            attempt_type=AttemptType.RUN,
            passback=passback,
        )


def save_task(engine: Engine, user_id: int, task_id: TaskId, code: str) -> ItemProgress:
    """Store the code only; chapter and course stay as they are. Idempotent, so a broken
    connection is retried."""
    _check_storable(code)
    parameters = {
        "user_id": user_id,
        "task_id": task_id,
        "chapter_id": chapter_of_task(task_id),
        "course_id": course_of_task(task_id),
        "code": code,
    }
    row = autocommit(engine, lambda driver: driver.first(SAVE_TASK, parameters), idempotent=True)
    assert row is not None
    return item_of(row)


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
    if driver_kind(engine) == "postgresql":
        chapters, current, tasks_done = _update_chapter_postgresql(
            engine, user_id, chapter_id, requested, live_task_ids
        )
        decision = decide_chapter_update(current, requested, tasks_done)
    else:
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


def _update_chapter_postgresql(
    engine: Engine,
    user_id: int,
    chapter_id: ChapterId,
    requested: str,
    live_task_ids: Sequence[TaskId],
) -> tuple[dict[ChapterId, Status], Status | None, bool]:
    """One round trip: the chapter statuses of the course, the chapter's status and whether
    its live tasks are all completed, as read under the lock; written as the core decides."""
    rules = _chapter_rules(requested)
    parameters = {
        "user_id": user_id,
        "chapter_id": chapter_id,
        "course_id": course_of_chapter(chapter_id),
        "live_task_ids": list(live_task_ids),
        "live_task_count": len(live_task_ids),
        "rule_current": [current for current, _, _ in rules],
        "rule_done": [done for _, done, _ in rules],
        "rule_status": [status for _, _, status in rules],
    }
    rows = one_round_trip(engine, [LOCK_USER, UPDATE_CHAPTER], parameters)
    current_text, tasks_done = rows[0][0], rows[0][1]
    chapters = {
        ChapterId(chapter): Status(status) for _, _, chapter, status in rows if chapter is not None
    }
    current = None if current_text == "" else Status(current_text)
    return chapters, current, bool(tasks_done)


@functools.lru_cache(maxsize=32)
def _chapter_rules(requested: str) -> tuple[tuple[str, bool, str], ...]:
    """(current status, all tasks completed, status to write) for every state in which the
    core applies `requested`: the core's own answers, which the statement looks up. `requested`
    is whatever the client sent, so the cache is bounded."""
    rules = []
    for current in (None, *Status):
        for done in (False, True):
            decision = decide_chapter_update(current, requested, done)
            if isinstance(decision, Apply):
                rules.append(("" if current is None else current.value, done, decision.status))
    return tuple(rules)


def _check_storable(code: str) -> None:
    """Refusing what a database cannot store keeps both databases alike and turns a driver
    error into the client's mistake it is."""
    check_storable_text(code, "solution_text")


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
