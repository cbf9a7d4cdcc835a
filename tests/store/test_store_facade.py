"""The Store facade hands each call to the store function of the same name, with the engine."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from handyman_core.attempt_types import AttemptType
from handyman_core.ids import ChapterId, CourseId, ProjectId, TaskId
from handyman_core.progress import ItemProgress
from handyman_core.run_protocol import RunResult, Verdict
from handyman_core.status import Status
from handyman_core.transitions import Apply
from handyman_store.store import Store
from tests.store.progress_catalogue import NOW, seed_catalogue

USER = 7
OTHER = 8
PYTHON = CourseId("python")
CHAPTER = ChapterId("python_chapter_0010")
TASK = TaskId("python_chapter_0010_task_0010")
PROJECT = ProjectId("python_calculator")


@pytest.fixture
def store(engine: Engine) -> Store:
    return Store(seed_catalogue(engine))


def test_what_the_store_writes_for_a_user_it_reads_back(store: Store) -> None:
    store.record_task_run(USER, TASK, "ok", RunResult(Verdict.PASSED), now=NOW)
    store.save_project(USER, PROJECT, PYTHON, "{}")
    store.record_project_run(
        USER,
        PROJECT,
        PYTHON,
        "{}",
        result=RunResult(Verdict.PASSED),
        solved=True,
        attempt_type=AttemptType.SUBMIT,
        now=NOW,
    )
    assert store.task_item(USER, TASK) == ItemProgress(Status.COMPLETED, 1, "ok")
    assert store.project_item(USER, PROJECT) == ItemProgress(Status.COMPLETED, 1, "{}")
    assert store.course_statuses(USER) == {PYTHON: Status.IN_PROGRESS}
    assert store.chapter_progress(USER, CHAPTER).chapter == Status.IN_PROGRESS
    assert store.course_progress(USER, PYTHON, with_solutions=False).tasks[TASK].solution == ""
    assert len(store.attempts_of(USER)) == 2


def test_the_store_decides_and_writes_status_updates(store: Store) -> None:
    store.save_task(USER, TASK, "draft")
    update = store.update_chapter_status(
        USER, CHAPTER, "in_progress", live_task_ids=[TASK], course_chapter_ids_in_order=[CHAPTER]
    )
    assert update.decision == Apply(Status.IN_PROGRESS)
    assert store.update_course_status(USER, PYTHON, "blocked", [CHAPTER]) == Apply(Status.BLOCKED)
    assert store.user_progress(USER).courses == {PYTHON: Status.BLOCKED}


def test_the_store_splits_and_merges_users(store: Store) -> None:
    store.save_task(USER, TASK, "mine")
    store.split_users(USER, OTHER, now=NOW)
    store.merge_users(OTHER, USER, now=NOW)
    assert store.user_progress(OTHER).tasks == {TASK: ItemProgress(Status.IN_PROGRESS, 0, "mine")}
    assert store.user_progress(USER).is_empty()


def test_the_store_keeps_playground_code(store: Store) -> None:
    store.save_playground("pg", "rust", USER, "fn main() {}", now=NOW)
    assert store.playground_code("pg") == "fn main() {}"
