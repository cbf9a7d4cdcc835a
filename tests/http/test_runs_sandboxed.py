"""Tracked runs of real programs in the local sandbox: stopped through the API within about a
second, and, in a real `handyman serve`, failed when their worker dies and given their grace
when the service is stopped."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import Engine, select

from handyman_core.run_lifecycle import INTERRUPTED, STOPPED_AT_SHUTDOWN
from handyman_store.database import DatabaseUrl, create_engine
from handyman_store.schema import runs
from tests.conftest import EXAMPLE_COURSES
from tests.http.conftest import ADMIN_TOKEN
from tests.http.live_server import LiveServer, running_server, serve_command, server_environment
from tests.http.run_fakes import Worker, build_worker
from tests.loopback import free_port
from tests.runner.sandbox_support import sandbox_runner

pytestmark = pytest.mark.sandbox

FOREVER = {
    "language": "bash",
    "source": "echo begun; while true; do sleep 1; done",
    "limits": {"wall_seconds": 60},
}
STOP_SECONDS = 1.0
SLACK_SECONDS = 0.5
"""What a loaded 2-core machine may add to a stop's second (a pulse, a kill, a commit)."""


def eventually(check: Callable[[], bool], within: float, what: str) -> float:
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < within, f"not {what} after {within} s"
        time.sleep(0.05)
    return time.monotonic() - started


@pytest.fixture
def sandboxed_workers(database_url: DatabaseUrl, tmp_path: Path) -> Iterator[tuple[Worker, Worker]]:
    runner = sandbox_runner(tmp_path / "slots")
    engines = [create_engine(database_url), create_engine(database_url)]
    workers = (
        build_worker(engines[0], runner, host_id="test-host:1"),
        build_worker(engines[1], runner, host_id="test-host:2"),
    )
    yield workers
    for worker, engine in zip(workers, engines, strict=True):
        worker.tracker.shutdown(grace_seconds=0.0)
        engine.dispose()


def test_a_sandboxed_script_stopped_through_another_worker_is_stopped_within_a_second(
    sandboxed_workers: tuple[Worker, Worker],
) -> None:
    running_it, asked = sandboxed_workers
    response = running_it.start(FOREVER, admin=True)
    assert response.status_code == 201, response.text
    run_id = response.json["run_id"]
    eventually(lambda: asked.get(run_id).json["user_code_output"] == "begun\n", 5.0, "printing")

    assert asked.stop(run_id).status_code == 200
    seconds = asked.wait_for_status(run_id, "stopped", within=5.0)

    assert seconds < STOP_SECONDS + SLACK_SECONDS
    run = asked.get(run_id).json
    assert (run["user_code_output"], run["detail"]) == ("begun\n", "stopped on request")


def test_a_sandboxed_script_run_with_wait_answers_its_output(
    sandboxed_workers: tuple[Worker, Worker],
) -> None:
    worker, _ = sandboxed_workers
    response = worker.start(
        {"language": "python", "source": "print(input()[::-1])", "stdin": "olleh\n"},
        wait="true",
    )
    assert response.status_code == 200, response.text
    assert (response.json["status"], response.json["user_code_output"]) == ("finished", "hello\n")


# --- a real service ---------------------------------------------------------------------------


RUN_GRACE_SECONDS = 3.0


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[LiveServer, Engine]]:
    sandbox_runner(tmp_path / "probe-slots")
    database = tmp_path / "handyman.sqlite3"
    command = serve_command(
        f"sqlite:///{database}", free_port(), EXAMPLE_COURSES, "--runner", "local"
    )
    environment = server_environment(tmp_path, ADMIN_TOKEN)
    environment["HANDYMAN_RUN_GRACE_SECONDS"] = str(RUN_GRACE_SECONDS)
    with contextlib.ExitStack() as stack:
        server = stack.enter_context(running_server(command, environment, tmp_path))
        engine = create_engine(DatabaseUrl.sqlite_file(database))
        stack.callback(engine.dispose)
        yield server, engine


def start(server: LiveServer, body: dict[str, Any]) -> str:
    """As an operator acting for user 7: these runs need more than a learner's wall limit."""
    response = requests.post(
        server.url + "/api/v1/runs",
        params={"user_id": "7"},
        json=body,
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    run_id: str = response.json()["run_id"]
    return run_id


def status_of(server: LiveServer, run_id: str) -> dict[str, Any]:
    response = requests.get(
        server.url + f"/api/v1/runs/{run_id}", params={"user_id": "7"}, timeout=30
    )
    assert response.status_code == 200, response.text
    run: dict[str, Any] = response.json()
    return run


def recorded(engine: Engine, run_id: str) -> Any:
    with engine.connect() as connection:
        return connection.execute(select(runs).where(runs.c.run_id == run_id)).one()


@pytest.mark.slow
def test_a_run_whose_worker_is_killed_is_failed_when_the_worker_is_replaced(
    service: tuple[LiveServer, Engine],
) -> None:
    server, engine = service
    run_id = start(server, FOREVER)
    eventually(lambda: status_of(server, run_id)["user_code_output"] == "begun\n", 10, "begun")
    pid = int(recorded(engine, run_id).host_id.rpartition(":")[2])

    os.kill(pid, signal.SIGKILL)

    eventually(lambda: status_of(server, run_id)["status"] == "failed", 20, "failed")
    assert status_of(server, run_id)["detail"] == INTERRUPTED


@pytest.mark.slow
def test_sigterm_lets_runs_finish_within_the_grace_then_stops_and_records_the_rest(
    service: tuple[LiveServer, Engine],
) -> None:
    server, engine = service
    short = start(
        server,
        {"language": "bash", "source": "sleep 1.5; echo done", "limits": {"wall_seconds": 30}},
    )
    endless = start(server, FOREVER)
    eventually(lambda: status_of(server, endless)["user_code_output"] == "begun\n", 10, "begun")
    assert status_of(server, short)["status"] == "running"

    code, seconds = server.stop()

    assert code == 0, server.log()
    assert RUN_GRACE_SECONDS <= seconds < RUN_GRACE_SECONDS + 5, server.log()
    finished = recorded(engine, short)
    assert (finished.status, finished.user_code_output) == ("finished", "done\n")
    stopped = recorded(engine, endless)
    assert (stopped.status, stopped.detail) == ("stopped", STOPPED_AT_SHUTDOWN)
    assert stopped.user_code_output == "begun\n"
