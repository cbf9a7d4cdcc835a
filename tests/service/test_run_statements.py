"""What keeping a run on record costs the database, counted at the driver on SQLite and
PostgreSQL (`tests/statement_trace.py`, BEGIN and COMMIT included): a run that ends within its
first second is two statements, the INSERT that admits it and the UPDATE that records its end;
its output is written once, with the end; pulses come only to runs that last longer."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from handyman_core.errors import RunnerUnavailable
from handyman_core.run_lifecycle import RunStatus
from handyman_core.run_protocol import Language, RunKind, RunRequest, Verdict
from handyman_service.context import utc_now
from handyman_service.run_tracking import DEFAULT_FIRST_PULSE_SECONDS, RunTracker
from handyman_store.store import Store
from tests.http.conftest import ScriptedRunner
from tests.http.run_fakes import WAIT_SECONDS, HeldRunner
from tests.statement_trace import statements_sent

TASK_RUN = RunRequest(
    kind=RunKind.TASK, language=Language.PYTHON, source_run="print(1)", source_test="pass"
)
SCRIPT = RunRequest(kind=RunKind.SCRIPT, language=Language.BASH, source_run="echo hi")
WELL_WITHIN_A_SECOND = 0.6
"""How long the held runs below last: a second less what a loaded machine may add."""


@pytest.fixture
def store(engine: Engine) -> Store:
    return Store(engine)


@pytest.fixture
def trackers() -> Iterator[list[RunTracker]]:
    made: list[RunTracker] = []
    yield made
    for tracker in made:
        tracker.shutdown(grace_seconds=WAIT_SECONDS)


def tracker(made: list[RunTracker], store: Store, runner: object) -> RunTracker:
    runs = RunTracker(store, runner, utc_now, host_id="test-host:1")  # type: ignore[arg-type]
    made.append(runs)
    return runs


def kinds(statements: list[str]) -> Counter[str]:
    """`INSERT INTO runs`, `UPDATE runs`...: what each statement does, and to what."""
    return Counter(" ".join(statement.split()[:3]).removesuffix(" SET") for statement in statements)


def test_a_task_run_that_answers_at_once_is_two_statements(
    engine: Engine, store: Store, trackers: list[RunTracker]
) -> None:
    runs = tracker(trackers, store, ScriptedRunner())
    with statements_sent(engine) as sent:
        result = runs.execute(TASK_RUN, owner=7, item_id="pythonstart_chapter_0010_task_0010")

    assert result.verdict is Verdict.PASSED
    assert kinds(sent) == {"INSERT INTO runs": 1, "UPDATE runs": 1}, sent


def test_a_run_of_nobody_is_two_statements_too(
    engine: Engine, store: Store, trackers: list[RunTracker]
) -> None:
    runs = tracker(trackers, store, ScriptedRunner())
    with statements_sent(engine) as sent:
        runs.execute(TASK_RUN, owner=None, item_id=None)
    assert kinds(sent) == {"INSERT INTO runs": 1, "UPDATE runs": 1}, sent


def test_a_run_printing_for_most_of_a_second_is_two_statements_with_its_output(
    engine: Engine, store: Store, trackers: list[RunTracker]
) -> None:
    runner = HeldRunner()
    runs = tracker(trackers, store, runner)
    with statements_sent(engine) as sent:
        run_id = runs.submit(SCRIPT, owner=7)
        held = runner.nth_run(0)
        held.print("first\n")
        threading.Timer(WELL_WITHIN_A_SECOND, held.end).start()
        assert runs.wait_for(run_id, WAIT_SECONDS)

    assert kinds(sent) == {"INSERT INTO runs": 1, "UPDATE runs": 1}, sent
    record = store.get_run(run_id)
    assert record is not None
    assert (record.status, record.user_code_output) == (RunStatus.FINISHED, "first\n")


def test_a_run_refused_by_the_runner_is_two_statements(
    engine: Engine, store: Store, trackers: list[RunTracker]
) -> None:
    runs = tracker(trackers, store, HeldRunner(refusal=RunnerUnavailable("busy", retry_after=5)))
    with statements_sent(engine) as sent, pytest.raises(RunnerUnavailable):
        runs.execute(SCRIPT, owner=7, item_id=None)
    assert kinds(sent) == {"INSERT INTO runs": 1, "UPDATE runs": 1}, sent


def test_a_run_that_waits_for_its_place_costs_the_write_that_starts_it(
    engine: Engine, store: Store, trackers: list[RunTracker]
) -> None:
    runner = HeldRunner()
    runner.gate.clear()
    runs = tracker(trackers, store, runner)
    with statements_sent(engine) as sent:
        threading.Timer(0.1, runner.gate.set).start()
        run_id = runs.submit(SCRIPT, owner=7)
        runner.nth_run(0).end()
        assert runs.wait_for(run_id, WAIT_SECONDS)
    assert kinds(sent) == {"INSERT INTO runs": 1, "UPDATE runs": 2}, sent


def test_a_run_that_outlasts_its_first_second_is_pulsed(
    engine: Engine, store: Store, trackers: list[RunTracker]
) -> None:
    runner = HeldRunner()
    runs = tracker(trackers, store, runner)
    with statements_sent(engine) as sent:
        run_id = runs.submit(SCRIPT, owner=7)
        held = runner.nth_run(0)
        held.print("first\n")
        threading.Timer(DEFAULT_FIRST_PULSE_SECONDS + 0.3, held.end).start()
        assert runs.wait_for(run_id, WAIT_SECONDS)

    pulses = [statement for statement in sent if "heartbeat_at" in statement]
    assert len(sent) > 2
    assert any(statement.startswith("UPDATE runs SET heartbeat_at") for statement in pulses), sent
