"""The run log on both databases: every status change is a conditional write, so racing writers
(a stop and a start, a finish and a sweep of orphaned runs) leave exactly one winner, and
admissions racing for a user's last places admit no more runs than the user may have."""

from __future__ import annotations

import functools
import itertools
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine

from handyman_core.run_lifecycle import (
    NewRun,
    OutputWrite,
    RunAllowance,
    RunEnding,
    RunRecord,
    RunStatus,
    StopAnswer,
    ending_of_result,
)
from handyman_core.run_protocol import Language, RunKind, RunResult, Verdict
from handyman_store import run_log
from handyman_store.database import read_connection
from handyman_store.run_log import RunFilter

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(seconds=5)
HOST = "web-1:4242"
_ids = (f"{number:032x}" for number in itertools.count(1))


def new_run(
    engine: Engine,
    *,
    owner: int | None = 7,
    language: Language = Language.BASH,
    kind: RunKind = RunKind.SCRIPT,
    item_id: str | None = None,
    host_id: str = HOST,
    now: datetime = NOW,
) -> str:
    run_id = next(_ids)
    run_log.create_run(engine, NewRun(run_id, owner, language, kind, item_id, host_id), now=now)
    return run_id


def running_run(engine: Engine, *, owner: int | None = 7, host_id: str = HOST) -> str:
    run_id = new_run(engine, owner=owner, host_id=host_id)
    assert run_log.mark_running(engine, run_id, now=NOW)
    return run_id


def read(engine: Engine, run_id: str) -> RunRecord:
    with read_connection(engine) as connection:
        record = run_log.get_run(connection, run_id)
    assert record is not None
    return record


def stop(engine: Engine, run_id: str) -> tuple[StopAnswer, RunStatus] | None:
    return run_log.request_stop(engine, run_id, now=LATER, reason="stopped on request")


PASSED = ending_of_result(RunResult(Verdict.PASSED, user_code_output="hi\n", tests_output="ok"))


def test_a_new_run_is_queued_with_everything_the_caller_said(engine: Engine) -> None:
    run_id = new_run(engine, owner=None, language=Language.PYTHON, kind=RunKind.TASK, item_id="t")
    record = read(engine, run_id)
    assert (record.status, record.owner, record.language, record.kind, record.item_id) == (
        RunStatus.QUEUED,
        None,
        Language.PYTHON,
        RunKind.TASK,
        "t",
    )
    assert (record.host_id, record.created_at, record.heartbeat_at) == (HOST, NOW, NOW)
    assert (record.started_at, record.finished_at, record.verdict) == (None, None, None)
    assert record.user_code_output == record.tests_output == ""
    assert not record.stop_requested


def test_a_run_the_runner_took_at_once_is_recorded_running_since_its_admission(
    engine: Engine,
) -> None:
    run_id = next(_ids)
    run = NewRun(run_id, 7, Language.BASH, RunKind.SCRIPT, None, HOST, status=RunStatus.RUNNING)
    assert run_log.create_run(engine, run, now=NOW)
    record = read(engine, run_id)
    assert (record.status, record.started_at, record.heartbeat_at) == (RunStatus.RUNNING, NOW, NOW)
    assert not run_log.mark_running(engine, run_id, now=LATER)


def test_times_come_back_timezone_aware_in_utc(engine: Engine) -> None:
    run_id = new_run(engine, now=NOW.astimezone(timezone(timedelta(hours=3))))
    assert read(engine, run_id).created_at.utcoffset() == timedelta(0)
    assert read(engine, run_id).created_at == NOW


def test_a_naive_time_is_refused(engine: Engine) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        new_run(engine, now=NOW.replace(tzinfo=None))


def test_starting_a_queued_run_records_when(engine: Engine) -> None:
    run_id = new_run(engine)
    assert run_log.mark_running(engine, run_id, now=LATER)
    record = read(engine, run_id)
    assert (record.status, record.started_at, record.heartbeat_at) == (
        RunStatus.RUNNING,
        LATER,
        LATER,
    )


def test_a_run_starts_only_once(engine: Engine) -> None:
    run_id = running_run(engine)
    assert not run_log.mark_running(engine, run_id, now=LATER)


def test_finishing_records_the_verdict_and_the_output(engine: Engine) -> None:
    run_id = running_run(engine)
    assert run_log.finish_run(engine, run_id, PASSED, now=LATER)
    record = read(engine, run_id)
    assert (record.status, record.verdict, record.status_code) == (
        RunStatus.FINISHED,
        Verdict.PASSED,
        0,
    )
    assert (record.user_code_output, record.tests_output, record.finished_at) == (
        "hi\n",
        "ok",
        LATER,
    )


def test_an_ended_run_is_never_written_again(engine: Engine) -> None:
    run_id = running_run(engine)
    assert run_log.finish_run(engine, run_id, PASSED, now=LATER)
    failed = RunEnding(RunStatus.FAILED, detail="late")
    assert not run_log.finish_run(engine, run_id, failed, now=LATER + timedelta(seconds=1))
    assert read(engine, run_id).status is RunStatus.FINISHED
    assert read(engine, run_id).finished_at == LATER


def test_a_queued_run_cannot_finish_with_a_verdict(engine: Engine) -> None:
    run_id = new_run(engine)
    assert not run_log.finish_run(engine, run_id, PASSED, now=LATER)
    assert read(engine, run_id).status is RunStatus.QUEUED


def test_output_with_nul_characters_is_kept_with_replacement_characters(engine: Engine) -> None:
    run_id = running_run(engine)
    ending = ending_of_result(RunResult(Verdict.PASSED, user_code_output="a\x00b"))
    run_log.finish_run(engine, run_id, ending, now=LATER)
    assert read(engine, run_id).user_code_output == "a\ufffdb"


def test_stopping_a_queued_run_stops_it_at_once(engine: Engine) -> None:
    run_id = new_run(engine)
    assert stop(engine, run_id) == (StopAnswer.STOPPED_NOW, RunStatus.QUEUED)
    record = read(engine, run_id)
    assert (record.status, record.detail, record.finished_at) == (
        RunStatus.STOPPED,
        "stopped on request",
        LATER,
    )


def test_a_run_stopped_while_queued_never_starts(engine: Engine) -> None:
    run_id = new_run(engine)
    stop(engine, run_id)
    assert not run_log.mark_running(engine, run_id, now=LATER)
    assert read(engine, run_id).status is RunStatus.STOPPED


def test_stopping_a_running_run_asks_its_worker_and_leaves_it_running(engine: Engine) -> None:
    run_id = running_run(engine)
    assert stop(engine, run_id) == (StopAnswer.REQUESTED, RunStatus.RUNNING)
    record = read(engine, run_id)
    assert (record.status, record.stop_requested) == (RunStatus.RUNNING, True)


def test_stopping_an_ended_run_changes_nothing_and_says_how_it_ended(engine: Engine) -> None:
    run_id = running_run(engine)
    run_log.finish_run(engine, run_id, PASSED, now=NOW)
    assert stop(engine, run_id) == (StopAnswer.ALREADY_ENDED, RunStatus.FINISHED)
    assert not read(engine, run_id).stop_requested


def test_stopping_an_unknown_run_answers_nothing(engine: Engine) -> None:
    assert stop(engine, "f" * 32) is None


def test_a_pulse_writes_the_output_so_far_and_a_heartbeat(engine: Engine) -> None:
    run_id = running_run(engine)
    answers = run_log.record_pulse(engine, [run_id], {run_id: OutputWrite("1\n2\n")}, now=LATER)
    assert answers == {run_id: run_log.PulseAnswer(RunStatus.RUNNING, stop_requested=False)}
    record = read(engine, run_id)
    assert (record.user_code_output, record.heartbeat_at) == ("1\n2\n", LATER)


def test_a_pulse_tells_the_worker_which_runs_to_stop(engine: Engine) -> None:
    asked, ended, going = running_run(engine), running_run(engine), running_run(engine)
    stop(engine, asked)
    run_log.finish_run(engine, ended, PASSED, now=NOW)
    answers = run_log.record_pulse(engine, [asked, ended, going, "e" * 32], {}, now=LATER)
    assert {run_id for run_id, answer in answers.items() if answer.should_stop} == {asked, ended}
    assert "e" * 32 not in answers


def test_a_pulse_never_touches_an_ended_run(engine: Engine) -> None:
    run_id = running_run(engine)
    run_log.finish_run(engine, run_id, PASSED, now=NOW)
    run_log.record_pulse(engine, [run_id], {run_id: OutputWrite("later output")}, now=LATER)
    record = read(engine, run_id)
    assert (record.user_code_output, record.heartbeat_at) == ("hi\n", NOW)


def test_runs_unheard_of_for_too_long_are_failed_with_the_reason(engine: Engine) -> None:
    stale_queued = new_run(engine, now=NOW)
    stale_running = running_run(engine)
    fresh = new_run(engine, now=LATER)
    ended = running_run(engine)
    run_log.finish_run(engine, ended, PASSED, now=NOW)
    failed = run_log.fail_orphaned(
        engine, heartbeat_before=NOW + timedelta(seconds=1), reason="lost", now=LATER
    )
    assert failed == 2
    assert [read(engine, run_id).status for run_id in (stale_queued, stale_running)] == [
        RunStatus.FAILED,
        RunStatus.FAILED,
    ]
    assert read(engine, stale_running).detail == "lost"
    assert read(engine, fresh).status is RunStatus.QUEUED
    assert read(engine, ended).status is RunStatus.FINISHED


def test_the_runs_of_named_workers_are_failed_however_fresh(engine: Engine) -> None:
    gone = running_run(engine, host_id="web-1:1")
    alive = running_run(engine, host_id="web-1:2")
    assert run_log.fail_orphaned(engine, host_ids={"web-1:1"}, reason="lost", now=LATER) == 1
    assert read(engine, gone).status is RunStatus.FAILED
    assert read(engine, alive).status is RunStatus.RUNNING


def test_failing_orphans_without_a_criterion_fails_nothing(engine: Engine) -> None:
    running_run(engine)
    assert run_log.fail_orphaned(engine, reason="lost", now=LATER) == 0


def test_the_workers_with_active_runs_are_found_by_host(engine: Engine) -> None:
    running_run(engine, host_id="web_1:10")
    new_run(engine, host_id="web_1:11")
    ended = running_run(engine, host_id="web_1:12")
    run_log.finish_run(engine, ended, PASSED, now=NOW)
    running_run(engine, host_id="webx1:13")
    with read_connection(engine) as connection:
        assert run_log.active_host_ids(connection, "web_1:") == {"web_1:10", "web_1:11"}


EVERY_RUN = RunFilter()


def listing(engine: Engine, where: RunFilter = EVERY_RUN, **page: int) -> list[str]:
    with read_connection(engine) as connection:
        found = run_log.list_runs(
            connection, where, offset=page.get("offset", 0), limit=page.get("limit", 100)
        )
    return [record.run_id for record in found.runs]


def test_runs_are_listed_newest_first(engine: Engine) -> None:
    first = new_run(engine, now=NOW)
    second = new_run(engine, now=NOW + timedelta(seconds=1))
    third = new_run(engine, now=NOW + timedelta(seconds=2))
    assert listing(engine) == [third, second, first]


def test_pages_follow_each_other_without_overlap_and_count_every_match(engine: Engine) -> None:
    made = [new_run(engine, now=NOW) for _ in range(5)]
    pages = [listing(engine, offset=offset, limit=2) for offset in (0, 2, 4)]
    assert sorted(itertools.chain(*pages)) == sorted(made)
    with read_connection(engine) as connection:
        assert run_log.list_runs(connection, RunFilter(), offset=4, limit=2).total == 5


@pytest.mark.parametrize(
    ("where", "wanted"),
    [
        (RunFilter(owner=8), "other owner"),
        (RunFilter(status=RunStatus.RUNNING), "running"),
        (RunFilter(language=Language.PYTHON), "python"),
        (RunFilter(kind=RunKind.TASK), "task"),
        (RunFilter(owner=7, language=Language.PYTHON, kind=RunKind.TASK), "task"),
    ],
)
def test_runs_are_filtered(engine: Engine, where: RunFilter, wanted: str) -> None:
    made = {
        "plain": new_run(engine),
        "other owner": new_run(engine, owner=8),
        "running": running_run(engine, owner=9),
        "python": new_run(engine, owner=9, language=Language.PYTHON),
        "task": new_run(engine, language=Language.PYTHON, kind=RunKind.TASK),
    }
    expected = {made[wanted]}
    if wanted == "python":
        expected.add(made["task"])
    assert set(listing(engine, where)) == expected


def race(*writers: Callable[[], object]) -> list[object]:
    """Runs the writers at the same moment, each on its own thread; their answers in order."""
    barrier = threading.Barrier(len(writers))
    answers: list[object] = [None] * len(writers)

    def write(index: int) -> None:
        barrier.wait()
        answers[index] = writers[index]()

    threads = [threading.Thread(target=write, args=(index,)) for index in range(len(writers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_a_start_and_a_stop_racing_leave_exactly_one_winner(engine: Engine) -> None:
    for _ in range(10):
        run_id = new_run(engine)
        started, stopped = race(
            functools.partial(run_log.mark_running, engine, run_id, now=LATER),
            functools.partial(stop, engine, run_id),
        )
        assert isinstance(stopped, tuple)
        stopped_now = stopped[0] is StopAnswer.STOPPED_NOW
        assert started != stopped_now
        assert read(engine, run_id).status is (
            RunStatus.STOPPED if stopped_now else RunStatus.RUNNING
        )


def test_a_finish_and_a_sweep_of_orphans_racing_leave_exactly_one_winner(engine: Engine) -> None:
    for _ in range(10):
        run_id = running_run(engine)
        finished, swept = race(
            functools.partial(run_log.finish_run, engine, run_id, PASSED, now=LATER),
            functools.partial(
                run_log.fail_orphaned, engine, host_ids={HOST}, reason="lost", now=LATER
            ),
        )
        assert finished != (swept == 1)
        assert read(engine, run_id).status is (RunStatus.FINISHED if finished else RunStatus.FAILED)


ALLOWANCE = RunAllowance(2, heard_since=NOW - timedelta(seconds=30))


def admit(engine: Engine, owner: int, allowance: RunAllowance = ALLOWANCE) -> bool:
    run = NewRun(next(_ids), owner, Language.BASH, RunKind.SCRIPT, None, HOST)
    return run_log.create_run(engine, run, now=NOW, allowance=allowance)


def slow_inserts(engine: Engine) -> None:
    """On PostgreSQL, makes every row inserted into `runs` take a fifth of a second after the
    INSERT's condition was evaluated, so admissions racing overlap for certain. (SQLite runs
    one write at a time by construction: there is nothing to slow down.)"""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE FUNCTION slow_insert() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN PERFORM pg_sleep(0.2); RETURN NEW; END $$"
        )
        connection.exec_driver_sql(
            "CREATE TRIGGER slow_insert BEFORE INSERT ON runs "
            "FOR EACH ROW EXECUTE FUNCTION slow_insert()"
        )


def test_admissions_racing_for_a_users_last_places_admit_no_more_than_allowed(
    engine: Engine,
) -> None:
    slow_inserts(engine)
    admitted = race(*[functools.partial(admit, engine, 7) for _ in range(5)])
    assert admitted.count(True) == ALLOWANCE.runs
    assert len(listing(engine, RunFilter(owner=7))) == ALLOWANCE.runs


def test_runs_of_other_users_ended_or_not_heard_of_leave_a_users_places_free(
    engine: Engine,
) -> None:
    running_run(engine, owner=8)
    running_run(engine, owner=8)
    ended = running_run(engine)
    assert run_log.finish_run(engine, ended, PASSED, now=NOW)
    silent = new_run(engine, now=NOW - timedelta(seconds=31))
    assert read(engine, silent).status is RunStatus.QUEUED

    assert admit(engine, 7)
    assert admit(engine, 7)
    assert not admit(engine, 7)
