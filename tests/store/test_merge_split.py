"""merge_users and split_users on SQLite and PostgreSQL (contract §4)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from handyman_core.errors import Conflict, InvalidInput
from handyman_core.ids import ChapterId, CourseId, ProjectId, TaskId
from handyman_core.progress import ItemProgress, UserProgress
from handyman_core.run_protocol import RunResult, Verdict
from handyman_core.status import Status
from handyman_store import progress_reads, progress_writes
from handyman_store.attempt_log import attempts_of
from handyman_store.merge_split import merge_users, split_users
from tests.store.progress_catalogue import NOW, seed_catalogue, write_progress

CUR = 200
OLD = 300
NEW = 400

PYTHON = CourseId("python")
RUST = CourseId("rust")
CHAPTER = ChapterId("python_chapter_0010")
TASK_10 = TaskId("python_chapter_0010_task_0010")
TASK_20 = TaskId("python_chapter_0010_task_0020")
TASK_30 = TaskId("python_chapter_0010_task_0030")
PROJECT = ProjectId("python_calculator")

CUR_PROGRESS = UserProgress(
    courses={PYTHON: Status.IN_PROGRESS, RUST: Status.BLOCKED},
    chapters={CHAPTER: Status.IN_PROGRESS},
    tasks={
        TASK_10: ItemProgress(Status.IN_PROGRESS, 3, "cur_code"),
        TASK_20: ItemProgress(Status.COMPLETED, 1, "cur_done"),
        TASK_30: ItemProgress(Status.IN_PROGRESS, 1, ""),
    },
    projects={PROJECT: ItemProgress(Status.IN_PROGRESS, 2, "cur_project")},
)
OLD_PROGRESS = UserProgress(
    courses={PYTHON: Status.COMPLETED, RUST: Status.IN_PROGRESS},
    chapters={CHAPTER: Status.COMPLETED},
    tasks={
        TASK_10: ItemProgress(Status.COMPLETED, 2, "old_code"),
        TASK_20: ItemProgress(Status.IN_PROGRESS, 4, "old_wip"),
        TASK_30: ItemProgress(Status.IN_PROGRESS, 1, "old_nonempty"),
    },
    projects={PROJECT: ItemProgress(Status.COMPLETED, 5, "old_project")},
)


@pytest.fixture
def db(engine: Engine) -> Engine:
    seed_catalogue(engine)
    write_progress(engine, CUR, CUR_PROGRESS)
    write_progress(engine, OLD, OLD_PROGRESS)
    return engine


def progress_of(engine: Engine, user_id: int) -> UserProgress:
    with engine.connect() as connection:
        return progress_reads.user_progress(connection, user_id)


def test_merge_keeps_the_higher_status_of_each_row(db: Engine) -> None:
    merge_users(db, CUR, OLD, now=NOW)
    merged = progress_of(db, CUR)
    assert merged.courses == {PYTHON: Status.COMPLETED, RUST: Status.BLOCKED}
    assert merged.chapters == {CHAPTER: Status.COMPLETED}


def test_merge_adds_attempts_and_picks_the_best_solution(db: Engine) -> None:
    merge_users(db, CUR, OLD, now=NOW)
    assert progress_of(db, CUR).tasks == {
        TASK_10: ItemProgress(Status.COMPLETED, 5, "old_code"),
        TASK_20: ItemProgress(Status.COMPLETED, 5, "cur_done"),
        TASK_30: ItemProgress(Status.IN_PROGRESS, 2, "old_nonempty"),
    }


def test_merge_includes_practice_projects(db: Engine) -> None:
    merge_users(db, CUR, OLD, now=NOW)
    assert progress_of(db, CUR).projects == {
        PROJECT: ItemProgress(Status.COMPLETED, 7, "old_project")
    }


def test_merge_copies_rows_cur_lacks(engine: Engine) -> None:
    seed_catalogue(engine)
    write_progress(engine, OLD, OLD_PROGRESS)
    merge_users(engine, CUR, OLD, now=NOW)
    assert progress_of(engine, CUR) == OLD_PROGRESS


def test_merge_deletes_every_row_of_the_old_user(db: Engine) -> None:
    merge_users(db, CUR, OLD, now=NOW)
    assert progress_of(db, OLD) == UserProgress()


def test_merge_moves_the_attempt_log_and_keeps_the_original_user(db: Engine) -> None:
    progress_writes.record_task_run(db, OLD, TASK_10, "x", RunResult(Verdict.PASSED), now=NOW)
    merge_users(db, CUR, OLD, now=NOW)
    with db.connect() as connection:
        [attempt] = attempts_of(connection, CUR)
        assert attempts_of(connection, OLD) == []
    assert (attempt.user_id, attempt.original_user_id) == (CUR, OLD)


def test_merging_a_user_into_itself_is_refused_and_writes_nothing(db: Engine) -> None:
    with pytest.raises(Conflict) as refused:
        merge_users(db, CUR, CUR, now=NOW)
    assert "old_user_id" in refused.value.message
    assert progress_of(db, CUR) == CUR_PROGRESS


@pytest.mark.parametrize(("cur", "old"), [(0, OLD), (CUR, -1), (CUR, 2**63)])
def test_merge_with_an_invalid_user_id_is_invalid_and_writes_nothing(
    db: Engine, cur: int, old: int
) -> None:
    with pytest.raises(InvalidInput):
        merge_users(db, cur, old, now=NOW)
    assert progress_of(db, CUR) == CUR_PROGRESS
    assert progress_of(db, OLD) == OLD_PROGRESS


def test_split_copies_every_row_and_cur_keeps_its_own(db: Engine) -> None:
    split_users(db, CUR, NEW, now=NOW)
    assert progress_of(db, NEW) == CUR_PROGRESS
    assert progress_of(db, CUR) == CUR_PROGRESS


def test_split_leaves_the_attempt_log_with_cur(db: Engine) -> None:
    progress_writes.record_task_run(db, CUR, TASK_10, "x", RunResult(Verdict.PASSED), now=NOW)
    split_users(db, CUR, NEW, now=NOW)
    with db.connect() as connection:
        assert len(attempts_of(connection, CUR)) == 1
        assert attempts_of(connection, NEW) == []


def test_split_into_a_user_with_progress_is_a_conflict_and_writes_nothing(db: Engine) -> None:
    only_a_project = UserProgress(projects={PROJECT: ItemProgress(Status.IN_PROGRESS)})
    write_progress(db, NEW, only_a_project)
    with pytest.raises(Conflict):
        split_users(db, CUR, NEW, now=NOW)
    assert progress_of(db, NEW) == only_a_project


def test_splitting_a_user_into_itself_is_refused_and_writes_nothing(db: Engine) -> None:
    with pytest.raises(Conflict):
        split_users(db, CUR, CUR, now=NOW)
    assert progress_of(db, CUR) == CUR_PROGRESS
