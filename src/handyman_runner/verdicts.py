"""What the end of a stage means for the run.

The sandbox only knows how a stage ended, so some causes are inferred:
- CPU: the soft RLIMIT_CPU sends SIGXCPU (exit 152); a program that catches it is SIGKILLed a
  second later, so a SIGKILL (137) after at least the soft limit of CPU time is a timeout too.
- Memory: with a cgroup (`run_cgroups`), a failing stage in whose group the kernel's OOM killer
  killed a process ran out of memory: that count decides, not the exit status. RLIMIT_AS also
  makes allocations fail inside the program, which then dies with its own message (Python's
  `MemoryError`, `Cannot allocate memory`, `std::bad_alloc`, "out of memory"); those messages
  near the end of a failing stage's output mean MEMORY_LIMIT too. Without a cgroup, a SIGKILL
  that is not the CPU limit and not the runner's is taken as the OOM killer, as the original
  read exit code 137; with one, it is the program's own failure (it killed itself).
- CPU of the whole stage: with a cgroup the runner ends a stage whose processes together used
  its CPU time (CPU_LIMIT), a TIMEOUT.
- Exit codes above 128 are reported as the signal 128 + n, as shells do.
- Completion: a stage with a completion harness that exited 0 without handing back its nonce
  stopped before its checks finished (`completion`); that is a failed test, not a pass.
"""

from __future__ import annotations

import re
import signal

from attrs import frozen

from handyman_core.run_protocol import Verdict
from handyman_runner.run_plan import StageRole
from handyman_runner.sandbox_stage import StageEnd, StageOutcome

MEMORY_MESSAGE = re.compile(
    r"^MemoryError\b|cannot allocate memory|xmalloc: .*cannot allocate|std::bad_alloc"
    r"|out of memory",
    re.IGNORECASE | re.MULTILINE,
)
OUTPUT_TAIL_CHARACTERS = 4096
_SIGNAL_EXIT_BASE = 128
_CPU_TIME_TOLERANCE_SECONDS = 0.05


@frozen
class StageVerdict:
    verdict: Verdict | None
    """None: the stage succeeded and the run goes on."""
    exit_code: int | None
    signal: int | None
    cut_short: bool = False
    """The stage exited 0 before its checks ran to the end."""


def judge_stage(
    role: StageRole,
    outcome: StageOutcome,
    output_tail: str,
    cpu_soft_limit: int,
    completed: bool | None = None,
) -> StageVerdict:
    """`completed`: whether the stage's completion harness handed back its nonce (None for a
    stage without one)."""
    if outcome.end is StageEnd.SETUP_FAILED:
        return StageVerdict(Verdict.INTERNAL_ERROR, None, None)
    if outcome.end.killed_by_runner:
        return StageVerdict(_KILLED_VERDICTS[outcome.end], None, int(signal.SIGKILL))
    code = outcome.exit_code if outcome.exit_code is not None else 1
    received = _signal_of(code)
    if code == 0 and completed is False:
        return StageVerdict(Verdict.TESTS_FAILED, 0, None, cut_short=True)
    if code == 0:
        return StageVerdict(None, 0, None)
    if outcome.oom_kills:
        return StageVerdict(Verdict.MEMORY_LIMIT, code, received)
    if received == signal.SIGXCPU:
        return StageVerdict(Verdict.TIMEOUT, code, received)
    if received == signal.SIGKILL:
        if outcome.cpu_seconds >= cpu_soft_limit - _CPU_TIME_TOLERANCE_SECONDS:
            return StageVerdict(Verdict.TIMEOUT, code, received)
        if outcome.oom_kills is None:
            return StageVerdict(Verdict.MEMORY_LIMIT, code, received)
        return StageVerdict(role.failure, code, received)
    if MEMORY_MESSAGE.search(output_tail[-OUTPUT_TAIL_CHARACTERS:]):
        return StageVerdict(Verdict.MEMORY_LIMIT, code, received)
    return StageVerdict(role.failure, code, received)


_KILLED_VERDICTS = {
    StageEnd.WALL_LIMIT: Verdict.TIMEOUT,
    StageEnd.CPU_LIMIT: Verdict.TIMEOUT,
    StageEnd.OUTPUT_LIMIT: Verdict.OUTPUT_LIMIT,
    StageEnd.STOPPED: Verdict.RUN_FAILED,
}
"""A stopped run has no verdict of its own; RUN_FAILED (the program did not finish) stands in,
and `RunHandle.stopped` tells the caller why."""


def _signal_of(exit_code: int) -> int | None:
    number = exit_code - _SIGNAL_EXIT_BASE
    return number if 0 < number < signal.NSIG else None
