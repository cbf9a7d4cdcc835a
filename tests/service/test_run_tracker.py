"""The run lifecycle (`RunTracker`) over an in-memory run log: what it records for each way a run
can end, and how it refuses runs."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection
from datetime import timedelta

import pytest

from handyman_core.errors import InvalidInput, RunnerUnavailable, TooManyRuns
from handyman_core.run_lifecycle import (
    STOPPED_AT_SHUTDOWN,
    NewRun,
    RunFilter,
    RunStatus,
    StopAnswer,
)
from handyman_core.run_protocol import Language, RunKind, RunRequest, RunResult, Verdict
from handyman_service.run_tracking import RunTracker
from tests.http.conftest import ScriptedRunner
from tests.http.run_fakes import WAIT_SECONDS, HeldRunner
from tests.service.conftest import NOW
from tests.service.fakes import InMemoryStore

SCRIPT = RunRequest(kind=RunKind.SCRIPT, language=Language.BASH, source_run="echo hi")


def tracker(runner: object, **options: object) -> tuple[RunTracker, InMemoryStore]:
    log = InMemoryStore()
    return RunTracker(log, runner, lambda: NOW, host_id="h:1", **options), log  # type: ignore[arg-type]


def only_run_status(log: InMemoryStore) -> RunStatus:
    (run,) = log.list_runs(RunFilter(), offset=0, limit=10).runs
    return run.status


def test_a_run_with_a_verdict_is_recorded_finished_with_its_output() -> None:
    runs, log = tracker(ScriptedRunner([RunResult(Verdict.PASSED, user_code_output="hi\n")]))
    result = runs.execute(SCRIPT, owner=7, item_id=None)

    assert result.user_code_output == "hi\n"
    (record,) = log.list_runs(RunFilter(), offset=0, limit=10).runs
    assert (record.status, record.verdict, record.owner) == (RunStatus.FINISHED, Verdict.PASSED, 7)


def test_a_runner_without_an_answer_leaves_a_failed_run_and_raises() -> None:
    runs, log = tracker(ScriptedRunner([RunnerUnavailable("down")]))
    with pytest.raises(RunnerUnavailable):
        runs.execute(SCRIPT, owner=7, item_id=None)
    assert only_run_status(log) is RunStatus.FAILED


def test_a_request_the_runner_refuses_at_start_is_failed_and_the_refusal_raised() -> None:
    runner = HeldRunner(refusal=InvalidInput.field("language", "not here"))
    runs, log = tracker(runner)
    with pytest.raises(InvalidInput):
        runs.submit(SCRIPT, owner=7)
    assert only_run_status(log) is RunStatus.FAILED


def test_a_timeout_verdict_is_recorded_timed_out() -> None:
    runs, log = tracker(ScriptedRunner([RunResult(Verdict.TIMEOUT)]))
    runs.execute(SCRIPT, owner=None, item_id=None)
    assert only_run_status(log) is RunStatus.TIMED_OUT


def test_a_submitted_run_goes_on_until_it_ends_and_can_be_waited_for() -> None:
    runner = HeldRunner()
    runs, log = tracker(runner)
    run_id = runs.submit(SCRIPT, owner=7)
    assert only_run_status(log) is RunStatus.RUNNING
    assert not runs.wait_for(run_id, 0.05)

    runner.nth_run(0).end()
    assert runs.wait_for(run_id, WAIT_SECONDS)
    assert only_run_status(log) is RunStatus.FINISHED


def test_a_run_the_runner_takes_at_once_is_recorded_running_from_the_start() -> None:
    runner = HeldRunner()
    runs, log = tracker(runner)
    run_id = runs.submit(SCRIPT, owner=7)
    record = log.get_run(run_id)
    assert record is not None
    assert (record.status, record.started_at) == (RunStatus.RUNNING, record.created_at)
    runner.nth_run(0).end()
    runs.shutdown(WAIT_SECONDS)


def waiting_start(
    runs: RunTracker, log: InMemoryStore, start: Callable[[], object] | None = None
) -> tuple[threading.Thread, str]:
    """Starts a run (`runs.submit` unless told) on a thread of its own and returns once it is
    on record (queued)."""
    thread = threading.Thread(target=start or (lambda: runs.submit(SCRIPT, owner=7)))
    thread.start()
    deadline = time.monotonic() + WAIT_SECONDS
    while not (found := log.list_runs(RunFilter(), offset=0, limit=1).runs):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    return thread, found[0].run_id


def test_a_run_that_must_wait_for_its_place_is_queued_until_it_gets_one() -> None:
    runner = HeldRunner()
    runner.gate.clear()
    runs, log = tracker(runner)
    thread, run_id = waiting_start(runs, log)
    assert only_run_status(log) is RunStatus.QUEUED

    runner.gate.set()
    thread.join(WAIT_SECONDS)
    assert only_run_status(log) is RunStatus.RUNNING
    runner.nth_run(0).end()
    assert runs.wait_for(run_id, WAIT_SECONDS)


def test_a_run_stopped_while_it_waited_gives_its_place_back_and_never_runs() -> None:
    runner = HeldRunner()
    runner.gate.clear()
    runs, log = tracker(runner)
    thread, run_id = waiting_start(runs, log)

    assert runs.stop(run_id) is StopAnswer.STOPPED_NOW
    runner.gate.set()
    thread.join(WAIT_SECONDS)

    assert (runner.runs, runner.released) == ([], 1)
    assert only_run_status(log) is RunStatus.STOPPED
    assert runs.active_run_ids == frozenset()


def test_a_task_run_stopped_while_it_waited_has_no_verdict() -> None:
    runner = HeldRunner()
    runner.gate.clear()
    runs, log = tracker(runner)
    raised: list[BaseException] = []

    def execute() -> None:
        try:
            runs.execute(SCRIPT, owner=7, item_id=None)
        except RunnerUnavailable as error:
            raised.append(error)

    thread, run_id = waiting_start(runs, log, execute)
    runs.stop(run_id)
    runner.gate.set()
    thread.join(WAIT_SECONDS)

    assert len(raised) == 1
    assert runner.runs == []


def test_stopping_a_run_this_worker_runs_stops_it_at_once() -> None:
    runner = HeldRunner()
    runs, log = tracker(runner)
    run_id = runs.submit(SCRIPT, owner=7)

    assert runs.stop(run_id) is StopAnswer.REQUESTED
    assert runs.wait_for(run_id, WAIT_SECONDS)
    assert only_run_status(log) is RunStatus.STOPPED


def test_a_worker_refuses_background_runs_beyond_its_bound_with_retry_after() -> None:
    runner = HeldRunner()
    runs, _ = tracker(runner, max_background_runs=1)
    runs.submit(SCRIPT, owner=7)
    with pytest.raises(RunnerUnavailable) as refused:
        runs.submit(SCRIPT, owner=7)
    assert refused.value.retry_after is not None
    runner.nth_run(0).end()
    runs.shutdown(WAIT_SECONDS)


def test_shutdown_stops_what_still_runs_and_refuses_new_runs() -> None:
    runner = HeldRunner()
    runs, log = tracker(runner)
    runs.submit(SCRIPT, owner=7)

    runs.shutdown(0.05)

    (record,) = log.list_runs(RunFilter(), offset=0, limit=10).runs
    assert (record.status, record.detail) == (RunStatus.STOPPED, STOPPED_AT_SHUTDOWN)
    with pytest.raises(RunnerUnavailable):
        runs.submit(SCRIPT, owner=7)


def test_without_a_runner_nothing_is_recorded() -> None:
    runs, log = tracker(None)
    assert not runs.has_runner
    with pytest.raises(RunnerUnavailable):
        runs.execute(SCRIPT, owner=7, item_id=None)
    assert log.list_runs(RunFilter(), offset=0, limit=10).total == 0


class FlakyPulses(InMemoryStore):
    """A run log whose progress writes fail while `down` is set, as during a database outage."""

    down = True

    def record_pulse(self, *args: object, **kwargs: object) -> object:
        if self.down:
            raise ConnectionError("the database is down")
        return super().record_pulse(*args, **kwargs)  # type: ignore[arg-type]


def test_progress_that_cannot_be_recorded_is_logged_once_until_it_can_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    runner = HeldRunner()
    log = FlakyPulses()
    runs = RunTracker(
        log, runner, lambda: NOW, host_id="h:1", pulse_seconds=0.01, first_pulse_seconds=0.01
    )
    caplog.set_level(logging.INFO, logger="handyman.runs")
    runs.submit(SCRIPT, owner=7)
    time.sleep(0.3)
    log.down = False
    time.sleep(0.1)
    runner.nth_run(0).end()
    runs.shutdown(grace_seconds=WAIT_SECONDS)

    messages = [record.getMessage() for record in caplog.records]
    failures = [message for message in messages if "could not record the progress" in message]
    assert len(failures) == 1
    assert "recording the progress of runs again" in messages


def test_a_run_beyond_the_workers_runs_in_flight_is_refused_at_once_and_not_recorded() -> None:
    runner = HeldRunner()
    runs, log = tracker(runner, max_runs_in_flight=1)
    runs.submit(SCRIPT, owner=7)

    with pytest.raises(RunnerUnavailable) as refused:
        runs.submit(SCRIPT, owner=8)

    assert refused.value.retry_after is not None
    assert log.list_runs(RunFilter(), offset=0, limit=10).total == 1


def test_a_worker_admits_runs_again_once_one_has_ended() -> None:
    runner = HeldRunner()
    runs, log = tracker(runner, max_runs_in_flight=1)
    first = runs.submit(SCRIPT, owner=7)
    runner.nth_run(0).end()
    assert runs.wait_for(first, WAIT_SECONDS)

    runs.submit(SCRIPT, owner=8)
    assert log.list_runs(RunFilter(), offset=0, limit=10).total == 2


def test_a_refused_start_frees_its_place_in_flight() -> None:
    runs, _ = tracker(ScriptedRunner([RunnerUnavailable("busy")]), max_runs_in_flight=1)
    with pytest.raises(RunnerUnavailable):
        runs.execute(SCRIPT, owner=7, item_id=None)
    assert runs.execute(SCRIPT, owner=7, item_id=None).verdict is Verdict.PASSED


def test_a_user_with_as_many_runs_going_as_allowed_gets_too_many_runs() -> None:
    runner = HeldRunner()
    runs, log = tracker(runner, max_runs_per_user=2)
    runs.submit(SCRIPT, owner=7)
    runs.submit(SCRIPT, owner=7)

    with pytest.raises(TooManyRuns) as refused:
        runs.submit(SCRIPT, owner=7)

    assert refused.value.retry_after > 0
    assert log.list_runs(RunFilter(owner=7), offset=0, limit=10).total == 2
    assert runner.released == 1
    runs.submit(SCRIPT, owner=8)


def test_the_admin_acting_for_nobody_is_not_bound_by_a_users_allowance() -> None:
    runner = HeldRunner()
    runs, _ = tracker(runner, max_runs_per_user=1)
    runs.submit(SCRIPT, owner=None)
    runs.submit(SCRIPT, owner=None)


def test_a_worker_whose_runs_all_end_at_once_still_fails_orphaned_runs() -> None:
    log = InMemoryStore()
    orphan = NewRun("f" * 32, 8, Language.BASH, RunKind.SCRIPT, None, "gone:1")
    log.create_run(orphan, now=NOW - timedelta(hours=1))
    runs = RunTracker(
        log,
        ScriptedRunner(),
        lambda: NOW,
        host_id="h:1",
        stale_after=timedelta(seconds=0.2),
        first_pulse_seconds=0.05,
    )
    time.sleep(0.25)
    runs.execute(SCRIPT, owner=7, item_id=None)

    deadline = time.monotonic() + WAIT_SECONDS
    while (record := log.get_run(orphan.run_id)) and record.status is RunStatus.QUEUED:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert record is not None and record.status is RunStatus.FAILED


def test_ended_runs_older_than_the_retention_are_pruned_at_start_up() -> None:
    log = InMemoryStore()
    earlier = RunTracker(log, ScriptedRunner(), lambda: NOW, host_id="h:1")
    earlier.execute(SCRIPT, owner=7, item_id=None)
    later = RunTracker(
        log,
        ScriptedRunner(),
        lambda: NOW + timedelta(days=31),
        host_id="h:2",
        retention=timedelta(days=30),
    )
    later.recover_interrupted()
    assert log.list_runs(RunFilter(), offset=0, limit=10).total == 0


def test_without_a_retention_runs_are_kept() -> None:
    log = InMemoryStore()
    RunTracker(log, ScriptedRunner(), lambda: NOW, host_id="h:1").execute(
        SCRIPT, owner=7, item_id=None
    )
    later = RunTracker(
        log, ScriptedRunner(), lambda: NOW + timedelta(days=400), host_id="h:2", retention=None
    )
    assert later.prune() == 0
    assert log.list_runs(RunFilter(), offset=0, limit=10).total == 1


class CountedPulses(InMemoryStore):
    """Remembers which runs each pulse was for."""

    def __init__(self) -> None:
        super().__init__()
        self.pulsed: list[str] = []

    def record_pulse(self, run_ids: Collection[str], *args: object, **kwargs: object) -> object:
        self.pulsed.extend(run_ids)
        return super().record_pulse(run_ids, *args, **kwargs)  # type: ignore[arg-type]


def test_a_run_due_before_the_pulse_thread_wakes_gets_its_first_pulse_on_time() -> None:
    """The pulse thread sleeps until the next pulse it knows of; a run whose first pulse comes
    sooner wakes it (and only such a run: the usual one is due later and leaves it asleep)."""
    runner = HeldRunner()
    log = CountedPulses()
    runs = RunTracker(
        log, runner, lambda: NOW, host_id="h:1", pulse_seconds=60, first_pulse_seconds=0.05
    )
    first = runs.submit(SCRIPT, owner=7)
    deadline = time.monotonic() + WAIT_SECONDS
    while first not in log.pulsed:
        assert time.monotonic() < deadline
        time.sleep(0.01)

    second = runs.submit(SCRIPT, owner=8)
    deadline = time.monotonic() + WAIT_SECONDS
    while second not in log.pulsed:
        assert time.monotonic() < deadline
        time.sleep(0.01)

    runner.nth_run(0).end()
    runner.nth_run(1).end()
    runs.shutdown(grace_seconds=WAIT_SECONDS)
