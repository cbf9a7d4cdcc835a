"""A run the configured runner cannot execute (a script on the original runner's API, `--runner
remote`) is refused when it is asked for, with a clear 409, and nothing is recorded."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from attrs import define
from sqlalchemy import Engine

from handyman_core.run_protocol import RunKind, runner_accepts
from handyman_core.watchman_protocol import WATCHMAN_RUN_KINDS
from tests.http.conftest import TASK, Api, ScriptedRunner, build_api, encoded


@define
class WatchmanOnlyRunner(ScriptedRunner):
    """Declares what the original runner's API can run, as RemoteRunner does."""

    @property
    def run_kinds(self) -> frozenset[RunKind]:
        return WATCHMAN_RUN_KINDS


@pytest.fixture
def remote_api(engine: Engine) -> Iterator[Api]:
    api = build_api(engine, runner=WatchmanOnlyRunner())
    yield api
    api.finish_runs()


def test_a_script_run_is_refused_up_front_with_409(remote_api: Api) -> None:
    response = remote_api.post(
        "/api/v1/runs", {"language": "python", "source": "print(1)"}, user_id=4
    )

    assert response.status_code == 409
    assert "cannot execute script runs" in response.json["error"]
    assert remote_api.runner.requests == []


def test_a_refused_script_run_leaves_no_run_on_record(remote_api: Api) -> None:
    remote_api.post("/api/v1/runs", {"language": "python", "source": "print(1)"}, user_id=4)

    listed = remote_api.client.simulate_get("/api/v1/runs", params={"user_id": "4"})

    assert listed.json["total"] == 0


def test_the_runs_the_runner_can_serve_still_run(remote_api: Api) -> None:
    response = remote_api.post(
        "/run_task", {"task_id": TASK, "solution_text": encoded("print(1)")}, user_id=4
    )

    assert response.status_code == 200


def test_a_runner_that_declares_no_kinds_accepts_every_kind() -> None:
    assert all(runner_accepts(ScriptedRunner(), kind) for kind in RunKind)


def test_the_original_runners_api_has_no_script_runs() -> None:
    assert not runner_accepts(WatchmanOnlyRunner(), RunKind.SCRIPT)
    assert all(runner_accepts(WatchmanOnlyRunner(), kind) for kind in WATCHMAN_RUN_KINDS)
