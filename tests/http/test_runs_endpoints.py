"""/api/v1/runs: starting, following, stopping and listing runs, on both databases, and the
record every other execution (run_task, handle_practice_code, run_code) leaves there."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from handyman_core.errors import RunnerUnavailable
from handyman_core.run_lifecycle import INTERRUPTED, STOPPED_AT_SHUTDOWN, NewRun
from handyman_core.run_protocol import Language, RunKind, RunLimits, RunResult, Verdict
from handyman_service.run_tracking import DEFAULT_FIRST_PULSE_SECONDS, default_host_id
from handyman_store import run_log
from handyman_store.database import DatabaseUrl, create_engine
from tests.http.conftest import COURSE, PROJECT, TASK, Api, encoded
from tests.http.run_fakes import (
    SCRIPT,
    BlockingRunner,
    Clock,
    HeldRunner,
    Worker,
    build_worker,
)

USER = 7
OTHER_USER = 8
FIRST_SECOND = DEFAULT_FIRST_PULSE_SECONDS
"""Nothing of a run is written while it runs until its first pulse, a second after it began."""
SLACK_SECONDS = 0.5
"""What a loaded 2-core machine may add to a pulse (a write, a commit, a reader's poll)."""


@pytest.fixture
def runner() -> HeldRunner:
    return HeldRunner()


@pytest.fixture
def worker(engine: Engine, runner: HeldRunner) -> Iterator[Worker]:
    built = build_worker(engine, runner)
    yield built
    for run in runner.runs:
        run.end()
    built.tracker.shutdown(grace_seconds=5.0)


def started(worker: Worker, body: dict[str, Any] = SCRIPT, **options: Any) -> str:
    response = worker.start(body, **options)
    assert response.status_code == 201, response.text
    run_id: str = response.json["run_id"]
    return run_id


def ended(worker: Worker, runner: HeldRunner, index: int = 0, **options: Any) -> str:
    run_id = started(worker, **options)
    runner.nth_run(index).end()
    worker.wait_for_status(run_id, "finished")
    return run_id


# --- starting ---------------------------------------------------------------------------------


def test_starting_a_run_answers_201_with_the_run_and_its_location(worker: Worker) -> None:
    response = worker.start(SCRIPT)
    assert response.status_code == 201
    body = response.json
    assert response.headers["Location"] == f"/api/v1/runs/{body['run_id']}"
    assert body["status"] == "running"
    assert (body["owner"], body["language"], body["kind"], body["item_id"]) == (
        USER,
        "bash",
        "script",
        None,
    )
    assert body["created_at"].endswith("Z") and body["started_at"].endswith("Z")
    assert body["finished_at"] is None


def test_the_script_goes_to_the_runner_with_its_stdin_and_limits(
    worker: Worker, runner: HeldRunner
) -> None:
    started(
        worker,
        {
            "language": "python",
            "source": "print(input())",
            "stdin": "42\n",
            "limits": {"wall_seconds": 2.5, "memory_bytes": 128 * 1024 * 1024},
        },
    )
    request = runner.nth_run(0).request
    assert (request.kind, request.language, request.source_run, request.stdin) == (
        RunKind.SCRIPT,
        Language.PYTHON,
        "print(input())",
        "42\n",
    )
    assert request.limits == RunLimits(wall_seconds=2.5, memory_bytes=128 * 1024 * 1024)


@pytest.mark.parametrize(
    "limits",
    [
        {"wall_seconds": 60},
        {"cpu_seconds": 30.5},
        {"memory_bytes": 1024**3},
        {"processes": 256, "output_bytes": 8 * 1024**2},
    ],
)
def test_a_learner_cannot_ask_for_more_than_the_default_limits(
    worker: Worker, runner: HeldRunner, limits: dict[str, float]
) -> None:
    response = worker.start({**SCRIPT, "limits": limits})
    assert response.status_code == 400
    assert set(response.json["fields"]) == {f"limits.{name}" for name in limits}
    assert all("admin token" in problem for problem in response.json["fields"].values())
    assert runner.runs == []


def test_an_operator_may_ask_for_more_up_to_the_runners_maxima(
    worker: Worker, runner: HeldRunner
) -> None:
    started(worker, {**SCRIPT, "limits": {"wall_seconds": 60}}, admin=True)
    assert runner.nth_run(0).request.limits.wall_seconds == 60


def test_a_learner_may_lower_any_limit(worker: Worker, runner: HeldRunner) -> None:
    started(worker, {**SCRIPT, "limits": {"wall_seconds": 1, "memory_bytes": 64 * 1024**2}})
    assert runner.nth_run(0).request.limits.wall_seconds == 1


def test_a_user_beyond_their_allowance_of_runs_gets_429_with_retry_after(engine: Engine) -> None:
    runner = HeldRunner()
    worker = build_worker(engine, runner, max_runs_per_user=2)
    try:
        started(worker)
        started(worker)
        response = worker.start(SCRIPT)
        assert response.status_code == 429
        assert int(response.headers["Retry-After"]) > 0
        assert worker.start(SCRIPT, user_id=8).status_code == 201
    finally:
        for run in runner.runs:
            run.end()
        worker.tracker.shutdown(grace_seconds=5.0)


def test_a_worker_with_every_run_place_taken_answers_503_at_once(engine: Engine) -> None:
    runner = HeldRunner()
    worker = build_worker(engine, runner, max_runs_in_flight=1)
    try:
        started(worker)
        begun = time.monotonic()
        response = worker.start(SCRIPT, user_id=8)
        assert response.status_code == 503
        assert int(response.headers["Retry-After"]) > 0
        assert time.monotonic() - begun < 1.0
    finally:
        for run in runner.runs:
            run.end()
        worker.tracker.shutdown(grace_seconds=5.0)


def test_with_wait_the_answer_is_the_ended_run(worker: Worker, runner: HeldRunner) -> None:
    def print_then_end() -> None:
        run = runner.nth_run(0)
        run.print("hi\n")
        time.sleep(0.2)
        run.end(tests_output="ok")

    threading.Thread(target=print_then_end).start()
    response = worker.start(SCRIPT, wait="true")
    assert response.status_code == 200
    assert (response.json["status"], response.json["verdict"], response.json["status_code"]) == (
        "finished",
        "passed",
        0,
    )
    assert (response.json["user_code_output"], response.json["tests_output"]) == ("hi\n", "ok")
    assert response.json["finished_at"].endswith("Z")


def test_with_wait_a_run_still_going_after_its_wall_limit_and_the_margin_answers_201(
    worker: Worker,
) -> None:
    response = worker.start({**SCRIPT, "limits": {"wall_seconds": 0.01}}, wait="true")
    assert response.status_code == 201
    assert response.json["status"] == "running"


def test_a_timeout_verdict_makes_the_run_timed_out(worker: Worker, runner: HeldRunner) -> None:
    run_id = started(worker)
    runner.nth_run(0).end(Verdict.TIMEOUT)
    worker.wait_for_status(run_id, "timed_out")
    assert worker.get(run_id).json["status_code"] == 124


def test_the_admin_may_start_a_run_for_nobody(worker: Worker) -> None:
    response = worker.start(SCRIPT, user_id=None, admin=True)
    assert response.status_code == 201
    assert response.json["owner"] is None


def test_starting_without_a_user_or_the_admin_token_is_refused(
    worker: Worker, runner: HeldRunner
) -> None:
    response = worker.start(SCRIPT, user_id=None)
    assert response.status_code == 400
    assert "user_id" in response.json["fields"]
    assert runner.runs == []


@pytest.mark.parametrize(
    ("body", "query", "bad_fields"),
    [
        ({}, {}, {"language", "source"}),
        ({"language": "cobol", "source": ""}, {}, {"language"}),
        ({"language": 3, "source": "x"}, {}, {"language"}),
        ({"language": "bash", "source": "x", "stdin": 5}, {}, {"stdin"}),
        ({"language": "bash", "source": "x", "limits": 5}, {}, {"limits"}),
        (
            {
                "language": "bash",
                "source": "x",
                "limits": {
                    "wall_seconds": 0,
                    "cpu_seconds": "1",
                    "processes": 1.5,
                    "memory_bytes": True,
                    "disk": 1,
                },
            },
            {},
            {
                "limits.wall_seconds",
                "limits.cpu_seconds",
                "limits.processes",
                "limits.memory_bytes",
                "limits.disk",
            },
        ),
        (
            {"language": "bash", "source": "x", "limits": {"wall_seconds": float("inf")}},
            {},
            {"limits.wall_seconds"},
        ),
        (SCRIPT, {"wait": "maybe"}, {"wait"}),
        (SCRIPT, {"user_id": "0"}, {"user_id"}),
        ({"language": "cobol", "source": "x"}, {"user_id": "x", "wait": "2"}, None),
    ],
)
def test_a_bad_request_names_every_bad_field_and_runs_nothing(
    worker: Worker,
    runner: HeldRunner,
    body: dict[str, Any],
    query: dict[str, str],
    bad_fields: set[str] | None,
) -> None:
    params = {"user_id": str(USER), **query}
    response = worker.client.simulate_post("/api/v1/runs", json=body, params=params)
    assert response.status_code == 400, response.text
    expected = bad_fields or {"language", "user_id", "wait"}
    assert set(response.json["fields"]) == expected
    assert runner.runs == []
    assert worker.list(admin=True, user_id=None).json["total"] == 0


def test_a_body_over_the_limit_is_refused_with_413(worker: Worker) -> None:
    response = worker.start({**SCRIPT, "source": "x" * (1024 * 1024)})
    assert response.status_code == 413


def test_a_busy_runner_answers_503_with_retry_after_and_the_run_is_failed(
    worker: Worker, runner: HeldRunner
) -> None:
    runner.refusal = RunnerUnavailable("all 2 sandboxes of this host are busy", retry_after=5)
    response = worker.start(SCRIPT)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    (run,) = worker.list().json["runs"]
    assert (run["status"], run["detail"]) == ("failed", "all 2 sandboxes of this host are busy")


def test_a_busy_runners_answer_is_the_one_the_document_declares(
    worker: Worker, runner: HeldRunner
) -> None:
    from tests.http.test_openapi import assert_documented

    runner.refusal = RunnerUnavailable(retry_after=5)
    assert_documented(worker.start(SCRIPT), "/api/v1/runs", "post")


def test_without_a_runner_starting_answers_503_and_records_nothing(engine: Engine) -> None:
    worker = build_worker(engine, None)
    assert worker.start(SCRIPT).status_code == 503
    assert worker.list().json["total"] == 0


def test_a_worker_refuses_more_background_runs_than_it_may_follow(
    engine: Engine, runner: HeldRunner
) -> None:
    worker = build_worker(engine, runner, max_background_runs=1)
    try:
        started(worker)
        response = worker.start(SCRIPT)
        assert response.status_code == 503
        assert "Retry-After" in response.headers
    finally:
        runner.nth_run(0).end()
        worker.tracker.shutdown(grace_seconds=5.0)


# --- following --------------------------------------------------------------------------------


def test_a_running_run_shows_its_output_so_far_within_a_second(
    worker: Worker, runner: HeldRunner
) -> None:
    run_id = started(worker)
    time.sleep(FIRST_SECOND)
    runner.nth_run(0).print("step 1\n")
    printed = time.monotonic()
    while worker.get(run_id).json["user_code_output"] != "step 1\n":
        assert time.monotonic() - printed < 1.0
        time.sleep(0.02)
    assert worker.get(run_id).json["status"] == "running"


def test_what_a_run_prints_in_its_first_second_is_shown_once_that_second_is_over(
    worker: Worker, runner: HeldRunner
) -> None:
    begun = time.monotonic()
    run_id = started(worker)
    runner.nth_run(0).print("at once\n")
    while worker.get(run_id).json["user_code_output"] != "at once\n":
        assert time.monotonic() - begun < FIRST_SECOND + SLACK_SECONDS
        time.sleep(0.02)


def test_an_unknown_run_is_not_found(worker: Worker) -> None:
    response = worker.get("0" * 32)
    assert response.status_code == 404
    assert response.json == {"error": f"Unknown run: {'0' * 32}"}


@pytest.mark.parametrize("run_id", ["abc", "0" * 31 + "G", "A" * 32])
def test_a_malformed_run_id_is_a_client_error(worker: Worker, run_id: str) -> None:
    response = worker.get(run_id)
    assert response.status_code == 400
    assert "run_id" in response.json["fields"]


def test_another_users_run_needs_the_admin_token(worker: Worker) -> None:
    run_id = started(worker, user_id=OTHER_USER)
    refused = worker.get(run_id, user_id=USER)
    assert refused.status_code == 403
    assert "admin token" in refused.json["error"]
    assert worker.get(run_id, user_id=None, admin=True).status_code == 200
    assert worker.get(run_id, user_id=USER, admin=True).status_code == 200


def test_a_run_made_for_nobody_is_the_admins_alone(worker: Worker) -> None:
    run_id = started(worker, user_id=None, admin=True)
    assert worker.get(run_id, user_id=USER).status_code == 403
    assert worker.get(run_id, user_id=None).status_code == 400
    assert worker.get(run_id, user_id=None, admin=True).status_code == 200


def test_without_an_admin_token_configured_other_users_runs_stay_closed(
    engine: Engine, runner: HeldRunner
) -> None:
    from handyman_http.settings import Settings

    worker = build_worker(engine, runner, settings=Settings())
    try:
        run_id = started(worker, user_id=OTHER_USER)
        assert worker.get(run_id, user_id=USER, admin=True).status_code == 403
        assert worker.get(run_id, user_id=OTHER_USER).status_code == 200
    finally:
        runner.nth_run(0).end()
        worker.tracker.shutdown(grace_seconds=5.0)


# --- stopping ---------------------------------------------------------------------------------


def test_stopping_a_running_run_stops_it_within_a_second(
    worker: Worker, runner: HeldRunner
) -> None:
    run_id = started(worker)
    runner.nth_run(0).print("before the stop\n")
    response = worker.stop(run_id)
    assert response.status_code == 200
    assert response.json["stop_requested"] is True
    assert worker.wait_for_status(run_id, "stopped") < 1.0
    assert runner.nth_run(0).stopped
    run = worker.get(run_id).json
    assert (run["verdict"], run["detail"], run["user_code_output"]) == (
        None,
        "stopped on request",
        "before the stop\n",
    )
    assert run["finished_at"] is not None


def test_stopping_an_ended_run_is_a_conflict(worker: Worker, runner: HeldRunner) -> None:
    run_id = ended(worker, runner)
    response = worker.stop(run_id)
    assert response.status_code == 409
    assert response.json == {"error": "The run has already ended: finished"}
    assert worker.status_of(run_id) == "finished"


def test_stopping_another_users_run_is_forbidden_and_leaves_it_running(
    worker: Worker, runner: HeldRunner
) -> None:
    run_id = started(worker, user_id=OTHER_USER)
    assert worker.stop(run_id, user_id=USER).status_code == 403
    time.sleep(0.6)
    assert worker.status_of(run_id) == "running"
    assert not runner.nth_run(0).stopped


def test_stopping_an_unknown_run_is_not_found(worker: Worker) -> None:
    assert worker.stop("0" * 32).status_code == 404


def test_a_run_that_must_wait_for_a_place_is_queued_until_it_gets_one(
    worker: Worker, runner: HeldRunner
) -> None:
    runner.gate.clear()
    thread = threading.Thread(target=worker.start, args=(SCRIPT,))
    thread.start()
    deadline = time.monotonic() + 5
    while not (runs := worker.list().json["runs"]):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert (runs[0]["status"], runs[0]["started_at"]) == ("queued", None)

    runner.gate.set()
    thread.join(5)
    assert worker.wait_for_status(runs[0]["run_id"], "running") < 1.0


def test_a_queued_run_is_stopped_at_once_and_never_runs(worker: Worker, runner: HeldRunner) -> None:
    runner.gate.clear()
    answers: list[Any] = []
    thread = threading.Thread(target=lambda: answers.append(worker.start(SCRIPT)))
    thread.start()
    deadline = time.monotonic() + 5
    while not (runs := worker.list().json["runs"]):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    run_id = runs[0]["run_id"]
    assert runs[0]["status"] == "queued"

    stopped = worker.stop(run_id)
    assert stopped.json["status"] == "stopped"
    runner.gate.set()
    thread.join(5)

    assert answers[0].json["status"] == "stopped"
    assert (runner.runs, runner.released) == ([], 1)
    assert worker.get(run_id).json["started_at"] is None


def test_a_run_of_a_runner_without_start_is_abandoned_when_stopped(engine: Engine) -> None:
    runner = BlockingRunner()
    worker = build_worker(engine, runner)
    try:
        run_id = started(worker)
        worker.stop(run_id)
        assert worker.wait_for_status(run_id, "stopped") < 1.0
        runner.answer.set()
        time.sleep(0.1)
        assert worker.get(run_id).json["user_code_output"] == ""
    finally:
        runner.answer.set()
        worker.tracker.shutdown(grace_seconds=5.0)


@pytest.fixture
def two_workers(database_url: DatabaseUrl, runner: HeldRunner) -> Iterator[tuple[Worker, Worker]]:
    """Two workers (two apps, two engines) over one database, as gunicorn would run them; both
    use the same runner, so the test can reach the runs either one started."""
    engines = [create_engine(database_url), create_engine(database_url)]
    workers = (
        build_worker(engines[0], runner, host_id="test-host:1"),
        build_worker(engines[1], runner, host_id="test-host:2"),
    )
    yield workers
    for run in runner.runs:
        run.end()
    for built, engine in zip(workers, engines, strict=True):
        built.tracker.shutdown(grace_seconds=5.0)
        engine.dispose()


def test_a_stop_asked_of_one_worker_stops_a_run_of_another_within_a_second(
    two_workers: tuple[Worker, Worker], runner: HeldRunner
) -> None:
    running_it, asked = two_workers
    run_id = started(running_it)
    runner.nth_run(0).print("working\n")
    time.sleep(FIRST_SECOND)

    assert asked.stop(run_id).status_code == 200
    assert asked.wait_for_status(run_id, "stopped", within=5.0) < 1.0
    assert runner.nth_run(0).stopped
    assert asked.get(run_id).json["user_code_output"] == "working\n"


def test_a_stop_asked_of_another_worker_in_a_runs_first_second_stops_it_when_it_is_over(
    two_workers: tuple[Worker, Worker], runner: HeldRunner
) -> None:
    running_it, asked = two_workers
    begun = time.monotonic()
    run_id = started(running_it)

    assert asked.stop(run_id).status_code == 200
    asked.wait_for_status(run_id, "stopped", within=5.0)
    assert time.monotonic() - begun < FIRST_SECOND + SLACK_SECONDS
    assert runner.nth_run(0).stopped


def test_every_worker_shows_the_output_of_a_run_another_one_runs(
    two_workers: tuple[Worker, Worker], runner: HeldRunner
) -> None:
    running_it, asked = two_workers
    run_id = started(running_it)
    time.sleep(FIRST_SECOND)
    runner.nth_run(0).print("visible everywhere\n")
    printed = time.monotonic()
    while asked.get(run_id).json["user_code_output"] != "visible everywhere\n":
        assert time.monotonic() - printed < 1.0
        time.sleep(0.02)


def test_every_worker_shows_what_a_run_of_another_printed_in_its_first_second_after_it(
    two_workers: tuple[Worker, Worker], runner: HeldRunner
) -> None:
    running_it, asked = two_workers
    begun = time.monotonic()
    run_id = started(running_it)
    runner.nth_run(0).print("visible everywhere\n")
    while asked.get(run_id).json["user_code_output"] != "visible everywhere\n":
        assert time.monotonic() - begun < FIRST_SECOND + SLACK_SECONDS
        time.sleep(0.02)


# --- listing ----------------------------------------------------------------------------------


def test_a_user_lists_only_their_own_runs_newest_first(worker: Worker, runner: HeldRunner) -> None:
    first = started(worker)
    started(worker, user_id=OTHER_USER)
    second = started(worker)
    response = worker.list()
    assert response.status_code == 200
    assert [run["run_id"] for run in response.json["runs"]] == [second, first]
    assert (response.json["total"], response.json["offset"], response.json["limit"]) == (
        2,
        0,
        20,
    )


def test_the_admin_lists_every_users_runs_or_one_users(worker: Worker) -> None:
    mine, theirs = started(worker), started(worker, user_id=OTHER_USER)
    everyone = worker.list(user_id=None, admin=True).json["runs"]
    assert {run["run_id"] for run in everyone} == {mine, theirs}
    theirs_only = worker.list(user_id=OTHER_USER, admin=True).json["runs"]
    assert [run["run_id"] for run in theirs_only] == [theirs]


def test_listing_needs_a_user_without_the_admin_token(worker: Worker) -> None:
    response = worker.list(user_id=None)
    assert response.status_code == 400
    assert "user_id" in response.json["fields"]


def test_runs_are_listed_by_status_language_and_kind(worker: Worker, runner: HeldRunner) -> None:
    finished = ended(worker, runner)
    python = started(worker, {"language": "python", "source": "pass"})

    def listed(**query: str) -> list[str]:
        return [run["run_id"] for run in worker.list_with(query).json["runs"]]

    assert listed(status="finished") == [finished]
    assert listed(status="running") == [python]
    assert listed(language="python") == [python]
    assert set(listed(kind="script")) == {finished, python}
    assert listed(kind="task") == []


def test_runs_are_paged_with_offset_and_limit(worker: Worker, runner: HeldRunner) -> None:
    made = [started(worker) for _ in range(5)]
    pages = [worker.list(offset=str(offset), limit="2").json for offset in (0, 2, 4)]
    assert [run["run_id"] for page in pages for run in page["runs"]] == made[::-1]
    assert {page["total"] for page in pages} == {5}


def test_a_listing_shows_output_previews_and_a_run_all_of_its_output(
    worker: Worker, runner: HeldRunner
) -> None:
    run_id = started(worker)
    runner.nth_run(0).print("x" * 5000)
    runner.nth_run(0).end()
    worker.wait_for_status(run_id, "finished")

    (listed,) = worker.list().json["runs"]
    assert (len(listed["user_code_output"]), listed["output_preview"]) == (1024, True)
    alone = worker.get(run_id).json
    assert (len(alone["user_code_output"]), alone["output_preview"]) == (5000, False)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"offset": "١"}, "offset"),
        ({"status": "done"}, "status"),
        ({"language": "cobol"}, "language"),
        ({"kind": "job"}, "kind"),
    ],
)
def test_a_bad_listing_parameter_is_a_client_error(
    worker: Worker, query: dict[str, str], field: str
) -> None:
    response = worker.list_with(query)
    assert response.status_code == 400
    assert set(response.json["fields"]) == {field}


# --- every execution is a run -----------------------------------------------------------------


def runs_of(api: Api, user_id: int | None = USER) -> list[dict[str, Any]]:
    params = {} if user_id is None else {"user_id": str(user_id)}
    headers = {} if user_id is not None else {"Authorization": "Bearer test-admin-token"}
    response = api.client.simulate_get("/api/v1/runs", params=params, headers=headers)
    assert response.status_code == 200, response.text
    runs: list[dict[str, Any]] = response.json["runs"]
    return runs


def run_task(api: Api, code: str = "x") -> Any:
    return api.post("/run_task", {"task_id": TASK, "solution_text": encoded(code)}, user_id=USER)


def test_run_task_is_recorded_as_a_run_of_the_user_on_the_task(api: Api) -> None:
    api.runner.answer(RunResult(Verdict.TESTS_FAILED, user_code_output="1\n", tests_output="no"))
    assert run_task(api).json["status_code"] == 2
    (run,) = runs_of(api)
    assert (run["kind"], run["item_id"], run["owner"], run["language"]) == (
        "task",
        TASK,
        USER,
        "python",
    )
    assert (run["status"], run["verdict"], run["status_code"]) == (
        "finished",
        "tests_failed",
        2,
    )
    assert (run["user_code_output"], run["tests_output"]) == ("1\n", "no")


def test_practice_runs_and_tests_are_recorded_as_runs_of_the_project(api: Api) -> None:
    tree = (
        '{"name": "project", "children": [{"name": "word_count.py", "contents": "x", '
        '"is_main_file": true}]}'
    )
    for action in ("run", "test"):
        body = {
            "project_contents": tree,
            "project_id": PROJECT,
            "course_id": COURSE,
            "action": action,
        }
        assert api.post("/handle_practice_code", body, user_id=USER).status_code == 200
    assert {(run["kind"], run["item_id"]) for run in runs_of(api)} == {
        ("practice_run", PROJECT),
        ("practice_test", PROJECT),
    }


def test_an_anonymous_playground_run_is_a_run_of_nobody(api: Api) -> None:
    tree = (
        '{"name": "project", "children": [{"name": "main.py", "contents": "print(1)", '
        '"is_main_file": true}]}'
    )
    response = api.post("/run_code", {"lang_id": "python", "project": tree, "playground_id": "p1"})
    assert response.status_code == 200
    (run,) = runs_of(api, user_id=None)
    assert (run["kind"], run["owner"], run["item_id"]) == ("playground", None, "p1")


def test_a_run_task_without_a_verdict_is_recorded_failed_with_the_reason(api: Api) -> None:
    api.runner.answer(RunnerUnavailable("connection refused"))
    assert run_task(api).status_code == 503
    (run,) = runs_of(api)
    assert (run["status"], run["verdict"], run["detail"]) == (
        "failed",
        None,
        "connection refused",
    )


def test_an_internal_error_of_the_runner_is_recorded_failed_with_its_verdict(api: Api) -> None:
    api.runner.answer(RunResult(Verdict.INTERNAL_ERROR, user_code_output="Internal error"))
    assert run_task(api).status_code == 503
    (run,) = runs_of(api)
    assert (run["status"], run["verdict"], run["status_code"]) == ("failed", "internal_error", 3)


def test_a_run_task_stopped_through_the_api_answers_503_and_records_no_attempt(
    engine: Engine, runner: HeldRunner
) -> None:
    from tests.http.conftest import build_api

    api = build_api(engine)
    worker = build_worker(engine, runner)
    try:
        answers: list[Any] = []
        body = {"task_id": TASK, "solution_text": encoded("x")}
        thread = threading.Thread(
            target=lambda: answers.append(
                worker.client.simulate_post("/run_task", json=body, params={"user_id": str(USER)})
            )
        )
        thread.start()
        held = runner.nth_run(0)
        (run,) = worker.list().json["runs"]
        worker.stop(run["run_id"])
        thread.join(5)
        assert held.stopped
        assert answers[0].status_code == 503
        assert api.store.task_item(USER, TASK) is None
        assert api.store.attempts_of(USER) == []
    finally:
        worker.tracker.shutdown(grace_seconds=5.0)


# --- restarts and shutdown --------------------------------------------------------------------


NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def recorded_run(
    engine: Engine, host_id: str, *, heartbeat: datetime = NOW, running: bool = True
) -> str:
    run_id = os.urandom(16).hex()
    new = NewRun(run_id, USER, Language.BASH, RunKind.SCRIPT, None, host_id)
    run_log.create_run(engine, new, now=heartbeat)
    if running:
        run_log.mark_running(engine, run_id, now=heartbeat)
    return run_id


def a_dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_at_start_up_runs_not_heard_of_for_too_long_are_failed(engine: Engine) -> None:
    clock = Clock(NOW)
    stale = recorded_run(engine, "elsewhere:1", heartbeat=NOW - timedelta(seconds=31))
    queued = recorded_run(
        engine, "elsewhere:1", heartbeat=NOW - timedelta(seconds=31), running=False
    )
    fresh = recorded_run(engine, "elsewhere:2", heartbeat=NOW - timedelta(seconds=5))
    worker = build_worker(engine, HeldRunner(), clock=clock, stale_after=timedelta(seconds=30))

    assert worker.tracker.recover_interrupted() == 2

    assert worker.get(stale, admin=True).json["status"] == "failed"
    assert worker.get(stale, admin=True).json["detail"] == INTERRUPTED
    assert worker.get(queued, admin=True).json["status"] == "failed"
    assert worker.get(fresh, admin=True).json["status"] == "running"


def test_at_start_up_the_runs_of_dead_processes_of_this_host_are_failed_at_once(
    engine: Engine,
) -> None:
    hostname = default_host_id().rpartition(":")[0]
    dead = recorded_run(engine, f"{hostname}:{a_dead_pid()}")
    alive = recorded_run(engine, f"{hostname}:{os.getppid()}")
    other_host = recorded_run(engine, f"not-{hostname}:{a_dead_pid()}")
    worker = build_worker(engine, HeldRunner(), clock=Clock(NOW), host_id=default_host_id())

    assert worker.tracker.recover_interrupted() == 1

    assert worker.status_of(dead) == "failed"
    assert worker.status_of(alive) == "running"
    assert worker.status_of(other_host) == "running"


def test_a_reader_fails_a_run_whose_worker_went_silent(engine: Engine) -> None:
    clock = Clock(NOW)
    run_id = recorded_run(engine, "elsewhere:1", heartbeat=NOW)
    worker = build_worker(engine, HeldRunner(), clock=clock, stale_after=timedelta(seconds=30))
    assert worker.status_of(run_id) == "running"
    clock.advance(31)
    assert worker.status_of(run_id) == "failed"
    listed = worker.list(user_id=None, admin=True).json["runs"]
    assert [run["status"] for run in listed] == ["failed"]


def test_shutdown_lets_runs_that_end_within_the_grace_finish(
    worker: Worker, runner: HeldRunner
) -> None:
    run_id = started(worker)
    threading.Timer(0.3, runner.nth_run(0).end).start()
    worker.tracker.shutdown(grace_seconds=5.0)
    assert worker.status_of(run_id) == "finished"


def test_shutdown_stops_and_records_the_runs_left_at_the_deadline(
    worker: Worker, runner: HeldRunner
) -> None:
    run_id = started(worker)
    began = time.monotonic()
    worker.tracker.shutdown(grace_seconds=0.3)
    assert 0.3 <= time.monotonic() - began < 2.0
    run = worker.get(run_id).json
    assert (run["status"], run["detail"]) == ("stopped", STOPPED_AT_SHUTDOWN)
    assert runner.nth_run(0).stopped


def test_after_shutdown_new_runs_are_refused(worker: Worker, runner: HeldRunner) -> None:
    worker.tracker.shutdown(grace_seconds=0.0)
    response = worker.start(SCRIPT)
    assert response.status_code == 503
    assert runner.runs == []


def test_a_run_a_shutdown_stopped_while_it_waited_to_start_never_runs(
    worker: Worker, runner: HeldRunner
) -> None:
    runner.gate.clear()
    thread = threading.Thread(target=worker.start, args=(SCRIPT,))
    thread.start()
    while not worker.tracker.active_run_ids:
        time.sleep(0.01)
    (run_id,) = worker.tracker.active_run_ids
    shutdown = threading.Thread(target=worker.tracker.shutdown, args=(0.0,))
    shutdown.start()
    time.sleep(0.2)
    runner.gate.set()
    shutdown.join(10)
    thread.join(5)
    assert worker.status_of(run_id) == "stopped"
    assert (runner.runs, runner.released) == ([], 1)
