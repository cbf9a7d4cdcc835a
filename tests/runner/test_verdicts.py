"""How the end of a stage becomes a verdict."""

from __future__ import annotations

import signal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handyman_core.run_protocol import Verdict
from handyman_runner.run_plan import StageRole
from handyman_runner.sandbox_stage import StageEnd, StageOutcome
from handyman_runner.verdicts import judge_stage

CPU_LIMIT = 5


def judge(
    outcome: StageOutcome, output: str = "", role: StageRole = StageRole.RUN
) -> Verdict | None:
    return judge_stage(role, outcome, output, CPU_LIMIT).verdict


def exited(code: int, cpu_seconds: float = 0.1) -> StageOutcome:
    return StageOutcome(StageEnd.EXITED, code, cpu_seconds)


@pytest.mark.parametrize("role", list(StageRole))
def test_a_clean_exit_lets_the_run_go_on(role: StageRole) -> None:
    assert judge(exited(0), role=role) is None


@given(st.integers(min_value=1, max_value=128), st.sampled_from(list(StageRole)))
def test_a_plain_failure_is_the_stages_failure(code: int, role: StageRole) -> None:
    tests = (StageRole.TEST_BUILD, StageRole.TEST)
    expected = Verdict.TESTS_FAILED if role in tests else Verdict.RUN_FAILED
    assert judge(exited(code), "AssertionError: wrong\n", role) is expected


@pytest.mark.parametrize(
    "end, verdict",
    [
        (StageEnd.WALL_LIMIT, Verdict.TIMEOUT),
        (StageEnd.OUTPUT_LIMIT, Verdict.OUTPUT_LIMIT),
        (StageEnd.STOPPED, Verdict.RUN_FAILED),
        (StageEnd.SETUP_FAILED, Verdict.INTERNAL_ERROR),
    ],
)
def test_an_end_the_runner_chose_has_its_own_verdict(end: StageEnd, verdict: Verdict) -> None:
    assert judge(StageOutcome(end)) is verdict


def test_a_runner_kill_reports_sigkill_and_no_exit_code() -> None:
    judged = judge_stage(StageRole.RUN, StageOutcome(StageEnd.WALL_LIMIT), "", CPU_LIMIT)
    assert (judged.exit_code, judged.signal) == (None, signal.SIGKILL)


def test_the_cpu_soft_limit_signal_is_a_timeout() -> None:
    judged = judge_stage(StageRole.RUN, exited(128 + signal.SIGXCPU), "", CPU_LIMIT)
    assert judged.verdict is Verdict.TIMEOUT
    assert judged.signal == signal.SIGXCPU


def test_sigkill_after_the_cpu_limit_is_a_timeout() -> None:
    assert judge(exited(128 + signal.SIGKILL, cpu_seconds=CPU_LIMIT + 1.0)) is Verdict.TIMEOUT


def test_sigkill_well_before_the_cpu_limit_is_a_memory_limit() -> None:
    assert judge(exited(128 + signal.SIGKILL, cpu_seconds=0.5)) is Verdict.MEMORY_LIMIT


@pytest.mark.parametrize(
    "output",
    [
        'Traceback (most recent call last):\n  File "task", line 1\nMemoryError\n',
        "bash: xmalloc: cannot allocate 1073741824 bytes\n",
        "OSError: [Errno 12] Cannot allocate memory\n",
        "terminate called after throwing an instance of 'std::bad_alloc'\n",
    ],
)
@pytest.mark.parametrize("role", list(StageRole))
def test_an_allocation_failure_message_is_a_memory_limit(output: str, role: StageRole) -> None:
    assert judge(exited(1), output, role) is Verdict.MEMORY_LIMIT


def test_an_old_memory_message_far_above_the_end_does_not_count() -> None:
    output = "MemoryError\n" + "x" * 10_000 + "\nAssertionError\n"
    assert judge(exited(1), output) is Verdict.RUN_FAILED
