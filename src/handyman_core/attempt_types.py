"""What kind of attempt a run was, as learning analytics counts it.

A `submit` is a checked solution: the tests ran and said whether it was right, so it has an
`is_correct`. A `run` only ran the learner's program (a playground, a practice project's run
button) and says nothing about correctness, so `is_correct` is null. The site's runs map as:
run_task and a practice `test` are submits; a practice `run` and run_code are runs.
"""

from __future__ import annotations

import enum

from handyman_core.run_protocol import Verdict


class AttemptType(enum.StrEnum):
    SUBMIT = "submit"
    RUN = "run"


class AttemptItem(enum.StrEnum):
    """What an attempt was made on; playground runs belong to no course."""

    TASK = "task"
    PROJECT = "project"
    PLAYGROUND = "playground"


def is_correct(attempt_type: AttemptType, verdict: Verdict) -> bool | None:
    """Only a submit is judged; a run's verdict is about the program, not the solution."""
    if attempt_type is AttemptType.RUN:
        return None
    return verdict.solves


def practice_attempt_type(action: str) -> AttemptType:
    """handle_practice_code's `test` checks the project; its `run` only runs the main file."""
    return AttemptType.SUBMIT if action == "test" else AttemptType.RUN
