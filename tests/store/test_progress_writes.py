"""Progress writes on SQLite and PostgreSQL: each applies the core's rule to the rows it reads."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine

from handyman_core.attempt_types import AttemptType
from handyman_core.errors import InvalidInput
from handyman_core.ids import ChapterId, CourseId, ProjectId, TaskId
from handyman_core.lti_passback import PassbackParams
from handyman_core.progress import ItemProgress, UserProgress
from handyman_core.run_protocol import RunResult, Verdict
from handyman_core.status import Status
from handyman_core.transitions import Apply, NoAction, NotAllCompleted, Refused
from handyman_store import progress_reads, progress_writes
from handyman_store.attempt_log import Attempt, ItemKind, attempts_of
from handyman_store.playgrounds import playground_code, save_playground
from tests.store.progress_catalogue import NOW, seed_catalogue, write_progress

USER = 100
PYTHON = CourseId("python")
RUST = CourseId("rust")
CHAPTER = ChapterId("python_chapter_0010")
NEXT_CHAPTER = ChapterId("python_chapter_0020")
LAST_CHAPTER = ChapterId("python_chapter_0030")
PYTHON_CHAPTERS = (CHAPTER, NEXT_CHAPTER, LAST_CHAPTER)
TASK = TaskId("python_chapter_0010_task_0010")
OTHER_TASK = TaskId("python_chapter_0010_task_0020")
RETIRED_TASK = TaskId("python_chapter_0010_task_0030")
LIVE_TASKS = (TASK, OTHER_TASK)
PROJECT = ProjectId("python_calculator")

PASSED = RunResult(Verdict.PASSED, duration_ms=40)
FAILED = RunResult(Verdict.TESTS_FAILED, tests_output="nope", duration_ms=25)


@pytest.fixture
def db(engine: Engine) -> Engine:
    return seed_catalogue(engine)


def progress(engine: Engine) -> UserProgress:
    with engine.connect() as connection:
        return progress_reads.user_progress(connection, USER)


def logged(engine: Engine, user_id: int = USER) -> list[Attempt]:
    with engine.connect() as connection:
        return attempts_of(connection, user_id)


def run_task(engine: Engine, result: RunResult, code: str = "code", task: TaskId = TASK) -> None:
    progress_writes.record_task_run(engine, USER, task, code, result, now=NOW)


# record_task_run


def test_a_passing_first_run_completes_the_task(db: Engine) -> None:
    item = progress_writes.record_task_run(db, USER, TASK, "print(1)", PASSED, now=NOW)
    assert item == ItemProgress(Status.COMPLETED, 1, "print(1)")
    assert progress(db).tasks == {TASK: item}


def test_a_failing_first_run_leaves_the_task_in_progress(db: Engine) -> None:
    run_task(db, FAILED, "x")
    assert progress(db).tasks == {TASK: ItemProgress(Status.IN_PROGRESS, 1, "x")}


def test_a_failing_rerun_does_not_uncomplete_a_task(db: Engine) -> None:
    run_task(db, PASSED, "good")
    run_task(db, FAILED, "worse")
    assert progress(db).tasks[TASK] == ItemProgress(Status.COMPLETED, 2, "worse")


def test_a_failing_run_keeps_a_blocked_task_blocked_and_counts_the_attempt(db: Engine) -> None:
    write_progress(db, USER, UserProgress(tasks={TASK: ItemProgress(Status.BLOCKED, 5, "old")}))
    run_task(db, FAILED, "new")
    assert progress(db).tasks[TASK] == ItemProgress(Status.BLOCKED, 6, "new")


def test_a_run_with_no_course_row_starts_the_chapter_and_the_course(db: Engine) -> None:
    run_task(db, FAILED)
    assert progress(db).chapters == {CHAPTER: Status.IN_PROGRESS}
    assert progress(db).courses == {PYTHON: Status.IN_PROGRESS}


def test_a_run_does_not_reset_a_completed_chapter_or_a_blocked_course(db: Engine) -> None:
    write_progress(
        db,
        USER,
        UserProgress(courses={PYTHON: Status.BLOCKED}, chapters={CHAPTER: Status.COMPLETED}),
    )
    run_task(db, FAILED)
    assert progress(db).chapters == {CHAPTER: Status.COMPLETED}
    assert progress(db).courses == {PYTHON: Status.BLOCKED}


def test_a_run_logs_one_attempt_with_its_verdict_and_utc_time(db: Engine) -> None:
    moscow = timezone(timedelta(hours=3))
    progress_writes.record_task_run(
        db, USER, TASK, "x = 1", FAILED, now=datetime(2026, 5, 20, 15, 0, tzinfo=moscow)
    )
    [attempt] = logged(db)
    assert (
        attempt.user_id,
        attempt.original_user_id,
        attempt.item_kind,
        attempt.item_id,
        attempt.course_id,
        attempt.code,
        attempt.verdict,
        attempt.status_code,
        attempt.duration_ms,
        attempt.created_at,
    ) == (USER, USER, ItemKind.TASK, TASK, PYTHON, "x = 1", Verdict.TESTS_FAILED, 2, 25, NOW)
    assert attempt.created_at.utcoffset() == timedelta(0)


def test_a_run_at_a_naive_time_is_refused_and_writes_nothing(db: Engine) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        progress_writes.record_task_run(db, USER, TASK, "x", PASSED, now=datetime(2026, 5, 20))
    assert progress(db) == UserProgress()
    assert logged(db) == []


def test_code_with_a_nul_character_is_refused_and_writes_nothing(db: Engine) -> None:
    with pytest.raises(InvalidInput) as refused:
        run_task(db, PASSED, "a\x00b")
    assert "solution_text" in refused.value.fields
    assert progress(db) == UserProgress()


def test_attempts_are_listed_oldest_first(db: Engine) -> None:
    progress_writes.record_task_run(db, USER, TASK, "late", FAILED, now=NOW + timedelta(1))
    progress_writes.record_task_run(db, USER, TASK, "early", FAILED, now=NOW)
    assert [attempt.code for attempt in logged(db)] == ["early", "late"]


# save_task / save_project


def test_saving_a_new_task_opens_it_with_no_attempts_and_touches_nothing_else(db: Engine) -> None:
    item = progress_writes.save_task(db, USER, TASK, "draft")
    assert item == ItemProgress(Status.IN_PROGRESS, 0, "draft")
    assert progress(db) == UserProgress(tasks={TASK: item})
    assert logged(db) == []


def test_saving_keeps_the_status_and_the_attempts(db: Engine) -> None:
    run_task(db, PASSED, "solved")
    run_task(db, FAILED, "again")
    progress_writes.save_task(db, USER, TASK, "edited")
    assert progress(db).tasks[TASK] == ItemProgress(Status.COMPLETED, 2, "edited")


def test_saving_a_project_starts_the_course_if_it_has_no_row(db: Engine) -> None:
    progress_writes.save_project(db, USER, PROJECT, PYTHON, "{}")
    assert progress(db) == UserProgress(
        courses={PYTHON: Status.IN_PROGRESS},
        projects={PROJECT: ItemProgress(Status.IN_PROGRESS, 0, "{}")},
    )


def test_saving_a_project_leaves_a_completed_course_completed(db: Engine) -> None:
    write_progress(db, USER, UserProgress(courses={PYTHON: Status.COMPLETED}))
    progress_writes.save_project(db, USER, PROJECT, PYTHON, "{}")
    assert progress(db).courses == {PYTHON: Status.COMPLETED}


# record_project_run


def record_project_run(engine: Engine, code: str, *, solved: bool) -> ItemProgress:
    result = PASSED if solved else FAILED
    return progress_writes.record_project_run(
        engine,
        USER,
        PROJECT,
        PYTHON,
        code,
        result=result,
        solved=solved,
        attempt_type=AttemptType.SUBMIT,
        now=NOW,
    )


def test_a_solved_project_test_completes_the_project(db: Engine) -> None:
    assert record_project_run(db, "{}", solved=True) == ItemProgress(Status.COMPLETED, 1, "{}")


def test_a_project_run_never_downgrades_a_completed_project(db: Engine) -> None:
    record_project_run(db, "v1", solved=True)
    record_project_run(db, "v2", solved=False)
    assert progress(db).projects[PROJECT] == ItemProgress(Status.COMPLETED, 2, "v2")


def test_a_passing_practice_run_never_completes_a_project(db: Engine) -> None:
    item = progress_writes.record_project_run(
        db,
        USER,
        PROJECT,
        PYTHON,
        "{}",
        result=PASSED,
        solved=False,
        attempt_type=AttemptType.RUN,
        now=NOW,
    )

    assert item.status is Status.IN_PROGRESS
    [attempt] = logged(db)
    assert (attempt.attempt_type, attempt.is_correct) == (AttemptType.RUN, None)


def test_a_project_run_that_does_not_name_its_type_is_a_run_unless_solved(db: Engine) -> None:
    record_project_run(db, "{}", solved=True)
    progress_writes.record_project_run(
        db, USER, PROJECT, PYTHON, "{}", result=FAILED, solved=False, now=NOW
    )

    assert [(a.attempt_type, a.is_correct) for a in logged(db)] == [
        (AttemptType.SUBMIT, True),
        (AttemptType.RUN, None),
    ]


def test_a_run_cannot_solve_a_project(db: Engine) -> None:
    with pytest.raises(ValueError, match="passing submit"):
        progress_writes.record_project_run(
            db,
            USER,
            PROJECT,
            PYTHON,
            "{}",
            result=PASSED,
            solved=True,
            attempt_type=AttemptType.RUN,
            now=NOW,
        )

    assert logged(db) == []


def test_a_task_run_is_logged_as_a_judged_submit_with_its_passback_params(db: Engine) -> None:
    passback = PassbackParams("lms", "block-1", "https://lms.example/grade", "learner-1")
    progress_writes.record_task_run(db, USER, TASK, "x", FAILED, now=NOW, passback=passback)

    [attempt] = logged(db)
    assert (attempt.attempt_type, attempt.is_correct) == (AttemptType.SUBMIT, False)
    assert attempt.passback == passback


def test_a_playground_run_is_logged_as_a_run_of_no_course(db: Engine) -> None:
    progress_writes.record_playground_run(db, USER, "pg-1", "print(1)", result=PASSED, now=NOW)

    [attempt] = logged(db)
    assert (attempt.item_kind, attempt.item_id, attempt.course_id) == (
        ItemKind.PLAYGROUND,
        "pg-1",
        None,
    )
    assert (attempt.attempt_type, attempt.is_correct, attempt.passback) == (
        AttemptType.RUN,
        None,
        None,
    )
    assert progress(db) == UserProgress()


def test_a_project_run_starts_the_course_but_no_chapter(db: Engine) -> None:
    record_project_run(db, "{}", solved=False)
    assert progress(db).courses == {PYTHON: Status.IN_PROGRESS}
    assert progress(db).chapters == {}


def test_a_project_run_logs_a_project_attempt(db: Engine) -> None:
    record_project_run(db, "{}", solved=False)
    [attempt] = logged(db)
    assert (attempt.item_kind, attempt.item_id, attempt.course_id) == (
        ItemKind.PROJECT,
        PROJECT,
        PYTHON,
    )


# update_course_status


def update_course(engine: Engine, requested: str) -> object:
    return progress_writes.update_course_status(engine, USER, PYTHON, requested, PYTHON_CHAPTERS)


def test_starting_a_course_writes_its_row(db: Engine) -> None:
    assert update_course(db, "in_progress") == Apply(Status.IN_PROGRESS)
    assert progress(db).courses == {PYTHON: Status.IN_PROGRESS}


def test_starting_a_started_course_is_no_action(db: Engine) -> None:
    write_progress(db, USER, UserProgress(courses={PYTHON: Status.COMPLETED}))
    assert update_course(db, "in_progress") == NoAction()
    assert progress(db).courses == {PYTHON: Status.COMPLETED}


def test_leaving_a_blocked_course_is_refused_with_both_statuses(db: Engine) -> None:
    write_progress(db, USER, UserProgress(courses={PYTHON: Status.BLOCKED}))
    assert update_course(db, "in_progress") == Refused("blocked", "in_progress")
    assert progress(db).courses == {PYTHON: Status.BLOCKED}


def test_completing_a_course_is_refused_while_a_live_chapter_is_incomplete(db: Engine) -> None:
    chapters = {CHAPTER: Status.COMPLETED, NEXT_CHAPTER: Status.COMPLETED}
    write_progress(db, USER, UserProgress(courses={PYTHON: Status.IN_PROGRESS}, chapters=chapters))
    assert update_course(db, "completed") == NotAllCompleted()
    assert progress(db).courses == {PYTHON: Status.IN_PROGRESS}


def test_completing_a_course_counts_only_live_chapters(db: Engine) -> None:
    chapters = {CHAPTER: Status.COMPLETED, NEXT_CHAPTER: Status.COMPLETED}
    write_progress(db, USER, UserProgress(courses={PYTHON: Status.IN_PROGRESS}, chapters=chapters))
    decision = progress_writes.update_course_status(
        db, USER, PYTHON, "completed", (CHAPTER, NEXT_CHAPTER)
    )
    assert decision == Apply(Status.COMPLETED)
    assert progress(db).courses == {PYTHON: Status.COMPLETED}


# update_chapter_status


def update_chapter(
    engine: Engine, requested: str, chapter: ChapterId = CHAPTER
) -> progress_writes.ChapterUpdate:
    return progress_writes.update_chapter_status(
        engine,
        USER,
        chapter,
        requested,
        live_task_ids=LIVE_TASKS,
        course_chapter_ids_in_order=PYTHON_CHAPTERS,
    )


def test_starting_a_chapter_writes_it_and_starts_the_course(db: Engine) -> None:
    assert update_chapter(db, "in_progress") == progress_writes.ChapterUpdate(
        Apply(Status.IN_PROGRESS), CHAPTER
    )
    assert progress(db).chapters == {CHAPTER: Status.IN_PROGRESS}
    assert progress(db).courses == {PYTHON: Status.IN_PROGRESS}


def test_a_chapter_change_leaves_an_existing_course_row_alone(db: Engine) -> None:
    write_progress(db, USER, UserProgress(courses={PYTHON: Status.BLOCKED}))
    update_chapter(db, "in_progress")
    assert progress(db).courses == {PYTHON: Status.BLOCKED}


def test_completing_a_chapter_is_refused_while_a_live_task_is_incomplete(db: Engine) -> None:
    run_task(db, PASSED, task=TASK)
    run_task(db, FAILED, task=OTHER_TASK)
    assert update_chapter(db, "completed").decision == NotAllCompleted()
    assert progress(db).chapters == {CHAPTER: Status.IN_PROGRESS}


def test_completing_a_chapter_ignores_retired_tasks(db: Engine) -> None:
    run_task(db, PASSED, task=TASK)
    run_task(db, PASSED, task=OTHER_TASK)
    run_task(db, FAILED, task=RETIRED_TASK)
    assert update_chapter(db, "completed").decision == Apply(Status.COMPLETED)
    assert progress(db).chapters == {CHAPTER: Status.COMPLETED}


def test_starting_a_started_chapter_names_the_first_chapter_still_to_do(db: Engine) -> None:
    write_progress(
        db,
        USER,
        UserProgress(chapters={CHAPTER: Status.COMPLETED, NEXT_CHAPTER: Status.BLOCKED}),
    )
    assert update_chapter(db, "in_progress") == progress_writes.ChapterUpdate(
        NoAction(), LAST_CHAPTER
    )
    assert progress(db).chapters == {CHAPTER: Status.COMPLETED, NEXT_CHAPTER: Status.BLOCKED}


def test_a_refused_chapter_change_writes_nothing(db: Engine) -> None:
    write_progress(db, USER, UserProgress(chapters={CHAPTER: Status.COMPLETED}))
    assert update_chapter(db, "completed") == progress_writes.ChapterUpdate(
        Refused("completed", "completed"), CHAPTER
    )
    assert progress(db) == UserProgress(chapters={CHAPTER: Status.COMPLETED})


def _prepared_statements(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.exec_driver_sql("SELECT name FROM pg_prepared_statements").scalars())


@pytest.mark.postgres
def test_a_chapter_update_survives_the_connection_losing_its_prepared_statement(
    seeded_postgres: Engine,
) -> None:
    """psycopg sends DEALLOCATE ALL whenever it clears its own prepared statements, which
    drops the update's as well; the next update prepares it again and is applied once."""
    db = seeded_postgres
    update_chapter(db, "in_progress", chapter=NEXT_CHAPTER)
    assert "handyman_update_chapter" in _prepared_statements(db)
    with db.connect() as connection:
        connection.exec_driver_sql("DEALLOCATE ALL")
    assert _prepared_statements(db) == []
    assert update_chapter(db, "in_progress") == progress_writes.ChapterUpdate(
        Apply(Status.IN_PROGRESS), CHAPTER
    )
    assert progress(db).chapters == {
        CHAPTER: Status.IN_PROGRESS,
        NEXT_CHAPTER: Status.IN_PROGRESS,
    }
    assert "handyman_update_chapter" in _prepared_statements(db)


# playgrounds


def test_a_saved_playground_gives_back_its_code(db: Engine) -> None:
    save_playground(db, "pg1", "python", USER, "print(1)", now=NOW)
    with db.connect() as connection:
        assert playground_code(connection, "pg1") == "print(1)"


def test_saving_a_playground_again_replaces_its_code(db: Engine) -> None:
    save_playground(db, "pg1", "python", None, "v1", now=NOW)
    save_playground(db, "pg1", "python", None, "v2", now=NOW + timedelta(minutes=1))
    with db.connect() as connection:
        assert playground_code(connection, "pg1") == "v2"


def test_an_unknown_playground_has_no_code(db: Engine) -> None:
    with db.connect() as connection:
        assert playground_code(connection, "missing") is None
