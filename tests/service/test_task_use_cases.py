"""get_task, run_task and save_task over in-memory ports."""

from __future__ import annotations

import pytest

from handyman_core.errors import NotFound, RunnerUnavailable
from handyman_core.progress import ItemProgress
from handyman_core.run_lifecycle import RunFilter, RunStatus
from handyman_core.run_protocol import RunKind, RunResult, Verdict
from handyman_core.status import Status
from handyman_service.tasks import (
    RunTask,
    SaveTask,
    TaskProgressView,
    TaskQuery,
    get_task,
    run_task,
    save_task,
)
from tests.service.conftest import COURSE, TASK
from tests.service.use_case_context import world

USER = 7
UNKNOWN_TASK = "pythonstart_chapter_0010_task_9990"


def test_a_passing_run_completes_the_task_and_is_answered_with_the_verdict() -> None:
    w = world()
    result = run_task(w.context, RunTask(USER, TASK, "print(1)"))

    assert result.verdict is Verdict.PASSED
    assert w.store.task_item(USER, TASK) == ItemProgress(Status.COMPLETED, 1, "print(1)")
    assert w.store.course_statuses(USER) == {COURSE: Status.IN_PROGRESS}


def test_the_runner_gets_the_code_injected_into_the_tasks_wrappers() -> None:
    w = world()
    run_task(w.context, RunTask(USER, TASK, "print('mine')"))

    (request,) = w.runner.requests
    assert request.kind is RunKind.TASK
    assert "print('mine')" in request.source_run


def test_every_run_is_on_record_as_the_users_run_of_the_task() -> None:
    w = world()
    run_task(w.context, RunTask(USER, TASK, "x"))

    page = w.store.list_runs(RunFilter(owner=USER), offset=0, limit=10)
    assert [(run.item_id, run.status) for run in page.runs] == [(TASK, RunStatus.FINISHED)]


def test_an_internal_error_of_the_runner_is_no_verdict_and_nothing_is_recorded() -> None:
    w = world()
    w.runner.answer(RunResult(Verdict.INTERNAL_ERROR, user_code_output="broken"))

    with pytest.raises(RunnerUnavailable):
        run_task(w.context, RunTask(USER, TASK, "x"))
    assert w.store.user_progress(USER).is_empty()
    assert w.store.attempts == []


def test_a_runner_that_gives_no_answer_leaves_progress_untouched() -> None:
    w = world()
    w.runner.answer(RunnerUnavailable("down"))

    with pytest.raises(RunnerUnavailable):
        run_task(w.context, RunTask(USER, TASK, "x"))
    assert w.store.user_progress(USER).is_empty()


def test_without_a_runner_a_run_is_unavailable() -> None:
    w = world(with_runner=False)
    with pytest.raises(RunnerUnavailable):
        run_task(w.context, RunTask(USER, TASK, "x"))


def test_a_task_not_in_the_catalogue_is_not_found_and_never_runs() -> None:
    w = world()
    with pytest.raises(NotFound):
        run_task(w.context, RunTask(USER, UNKNOWN_TASK, "x"))
    assert w.runner.requests == []


def test_an_untouched_task_reads_as_not_started_with_no_code() -> None:
    w = world()
    assert get_task(w.context, TaskQuery(USER, TASK)) == TaskProgressView(
        TASK, "", Status.NOT_STARTED
    )


def test_saving_keeps_the_code_without_an_attempt() -> None:
    w = world()
    save_task(w.context, SaveTask(USER, TASK, "draft"))
    assert get_task(w.context, TaskQuery(USER, TASK)) == TaskProgressView(
        TASK, "draft", Status.IN_PROGRESS
    )
    assert w.store.task_item(USER, TASK) == ItemProgress(Status.IN_PROGRESS, 0, "draft")


def test_saving_a_task_not_in_the_catalogue_is_not_found() -> None:
    w = world()
    with pytest.raises(NotFound):
        save_task(w.context, SaveTask(USER, UNKNOWN_TASK, "x"))
