"""The rules of a tracked run's life: which moves exist, that nothing leaves a terminal status,
that racing writes leave exactly one winner, and what a runner's answer makes of a run."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handyman_core.errors import InvalidInput
from handyman_core.run_lifecycle import (
    ACTIVE_STATUSES,
    ALLOWED_MOVES,
    OutputWrite,
    RunRecord,
    RunStatus,
    StopAnswer,
    can_move,
    ending_of_result,
    ending_without_verdict,
    move,
    output_write,
    parse_run_id,
    sources_of,
    stop_answer,
)
from handyman_core.run_protocol import Language, RunKind, RunResult, Verdict

statuses = st.sampled_from(RunStatus)
verdicts = st.sampled_from(Verdict)
terminal_statuses = st.sampled_from([status for status in RunStatus if status.terminal])
results = st.builds(
    RunResult,
    verdict=verdicts,
    user_code_output=st.text(max_size=20),
    tests_output=st.text(max_size=20),
    output_truncated=st.booleans(),
)


@given(terminal_statuses, statuses)
def test_nothing_moves_out_of_a_terminal_status(current: RunStatus, target: RunStatus) -> None:
    assert not can_move(current, target)
    assert move(current, target) is current


@given(st.lists(statuses, max_size=12))
def test_any_sequence_of_writes_ends_in_a_terminal_status_at_most_once(
    attempts: list[RunStatus],
) -> None:
    status = RunStatus.QUEUED
    changes = 0
    for target in attempts:
        moved = move(status, target)
        if moved is not status:
            changes += 1
            assert status in ACTIVE_STATUSES
        status = moved
    assert changes <= 2, "queued -> running -> an end is the longest life"


@given(results)
def test_a_stop_and_a_finish_racing_leave_exactly_one_winner(result: RunResult) -> None:
    finish = ending_of_result(result).status
    for first, second in ((RunStatus.STOPPED, finish), (finish, RunStatus.STOPPED)):
        after_first = move(RunStatus.RUNNING, first)
        after_second = move(after_first, second)
        assert after_first is first
        assert after_second is first


def test_a_queued_run_can_start_be_stopped_or_fail_but_not_finish() -> None:
    assert ALLOWED_MOVES[RunStatus.QUEUED] == {
        RunStatus.RUNNING,
        RunStatus.STOPPED,
        RunStatus.FAILED,
    }
    assert not can_move(RunStatus.QUEUED, RunStatus.FINISHED)
    assert not can_move(RunStatus.QUEUED, RunStatus.TIMED_OUT)


def test_a_running_run_can_reach_every_end() -> None:
    assert ALLOWED_MOVES[RunStatus.RUNNING] == {
        RunStatus.FINISHED,
        RunStatus.STOPPED,
        RunStatus.TIMED_OUT,
        RunStatus.FAILED,
    }


@given(statuses, statuses)
def test_the_sources_of_a_status_are_exactly_those_that_may_move_to_it(
    source: RunStatus, target: RunStatus
) -> None:
    assert (source in sources_of(target)) == can_move(source, target)


@given(statuses)
def test_only_queued_and_running_are_active(status: RunStatus) -> None:
    assert status.terminal == (status not in {RunStatus.QUEUED, RunStatus.RUNNING})


@given(statuses)
def test_a_stop_stops_queued_runs_now_asks_running_ones_and_refuses_ended_ones(
    status: RunStatus,
) -> None:
    answer = stop_answer(status)
    if status.terminal:
        assert answer is StopAnswer.ALREADY_ENDED
    elif status is RunStatus.QUEUED:
        assert answer is StopAnswer.STOPPED_NOW
        assert can_move(status, RunStatus.STOPPED)
    else:
        assert answer is StopAnswer.REQUESTED


@given(results, st.text(min_size=1, max_size=10))
def test_a_stopped_run_is_stopped_whatever_the_killed_program_got(
    result: RunResult, reason: str
) -> None:
    ending = ending_of_result(result, stopped_because=reason)
    assert ending.status is RunStatus.STOPPED
    assert ending.verdict is None
    assert ending.detail == reason
    assert ending.user_code_output == result.user_code_output


@given(results)
def test_a_runners_answer_ends_a_running_run(result: RunResult) -> None:
    ending = ending_of_result(result)
    assert ending.status.terminal
    assert can_move(RunStatus.RUNNING, ending.status)
    assert ending.status_code == result.verdict.status_code


@pytest.mark.parametrize(
    ("verdict", "status"),
    [
        (Verdict.PASSED, RunStatus.FINISHED),
        (Verdict.TESTS_FAILED, RunStatus.FINISHED),
        (Verdict.RUN_FAILED, RunStatus.FINISHED),
        (Verdict.MEMORY_LIMIT, RunStatus.FINISHED),
        (Verdict.OUTPUT_LIMIT, RunStatus.FINISHED),
        (Verdict.TIMEOUT, RunStatus.TIMED_OUT),
        (Verdict.INTERNAL_ERROR, RunStatus.FAILED),
    ],
)
def test_the_verdict_decides_how_a_run_ended(verdict: Verdict, status: RunStatus) -> None:
    assert ending_of_result(RunResult(verdict)).status is status


def test_a_run_without_a_verdict_failed_and_says_why() -> None:
    ending = ending_without_verdict("connection refused")
    assert (ending.status, ending.verdict, ending.status_code) == (RunStatus.FAILED, None, None)
    assert ending.detail == "connection refused"


NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def record(status: RunStatus, heartbeat_at: datetime) -> RunRecord:
    return RunRecord(
        run_id="0" * 32,
        owner=7,
        language=Language.BASH,
        kind=RunKind.SCRIPT,
        item_id=None,
        status=status,
        verdict=None,
        user_code_output="",
        tests_output="",
        output_truncated=False,
        stop_requested=False,
        detail=None,
        host_id="host:1",
        created_at=heartbeat_at,
        started_at=None,
        finished_at=None,
        heartbeat_at=heartbeat_at,
    )


@given(statuses, st.integers(min_value=0, max_value=120))
def test_a_run_is_orphaned_when_active_and_unheard_of_for_longer_than_allowed(
    status: RunStatus, seconds_ago: int
) -> None:
    run = record(status, NOW - timedelta(seconds=seconds_ago))
    orphaned = run.is_orphaned(NOW, timedelta(seconds=30))
    assert orphaned == (status in ACTIVE_STATUSES and seconds_ago > 30)


@given(st.uuids(version=4))
def test_uuid4_hex_strings_are_run_ids(value: uuid.UUID) -> None:
    text = value.hex
    assert parse_run_id(text) == text


@pytest.mark.parametrize(
    "value",
    ["", "x" * 32, "0" * 31, "0" * 33, "A" * 32, "../" + "0" * 29, "0" * 31 + "\n"],
)
def test_anything_else_is_not_a_run_id(value: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_run_id(value)
    assert "run_id" in raised.value.fields


@given(st.text(max_size=30), st.text(max_size=30))
def test_an_output_write_applied_to_what_is_written_gives_the_output_now(
    written: str, now: str
) -> None:
    write = output_write(written, now)
    if write is None:
        assert now == written
    elif write.replaces:
        assert write.text == now
    else:
        assert written + write.text == now


@given(st.text(max_size=30), st.text(min_size=1, max_size=30))
def test_output_that_only_grew_is_appended(written: str, more: str) -> None:
    assert output_write(written, written + more) == OutputWrite(more)
