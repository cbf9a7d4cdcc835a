"""Running learners' code for a verdict: the step run_task, handle_practice_code and run_code
share."""

from __future__ import annotations

from handyman_core.errors import RunnerUnavailable
from handyman_core.run_protocol import RunRequest, RunResult, Verdict
from handyman_service.run_tracking import RunTracker


def run_for_verdict(
    runs: RunTracker, request: RunRequest, *, owner: int | None, item_id: str | None
) -> RunResult:
    """The run, tracked; RunnerUnavailable when it gave no verdict. An internal error of the
    runner is no verdict on the learner's code: nothing may be recorded, and the site is told
    the runner failed (the original recorded such runs as solved)."""
    result = runs.execute(request, owner=owner, item_id=item_id)
    if result.verdict is Verdict.INTERNAL_ERROR:
        raise RunnerUnavailable("the runner failed internally: " + result.user_code_output[:200])
    return result
