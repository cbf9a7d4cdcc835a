"""Runners whose runs the test controls: a run goes on, printing what the test makes it print,
until the test ends it or someone stops it; and an app over them, as one worker would build it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from attrs import define, field
from falcon import testing
from sqlalchemy import Engine

from handyman_cli.composition import build_services
from handyman_core.ports import RunLog
from handyman_core.run_protocol import Runner, RunRequest, RunResult, Verdict
from handyman_http.app import create_app
from handyman_http.services import Services
from handyman_http.settings import Settings
from handyman_service.context import Clock as ClockFunction
from handyman_service.context import utc_now
from handyman_service.run_tracking import RunTracker
from tests.http.conftest import ADMIN_TOKEN

WAIT_SECONDS = 5.0
"""How long a test waits for something that should take milliseconds."""


class HeldRun:
    """A run in progress, as `LocalSandboxRunner.start` hands it back (`RunControl`)."""

    def __init__(self, request: RunRequest) -> None:
        self.request = request
        self._lock = threading.Lock()
        self._printed: list[str] = []
        self._settled = threading.Event()
        self._result: RunResult | None = None
        self._stopped = False

    def print(self, text: str) -> None:
        with self._lock:
            self._printed.append(text)

    def end(self, verdict: Verdict = Verdict.PASSED, tests_output: str = "") -> None:
        with self._lock:
            if not self._settled.is_set():
                self._result = RunResult(
                    verdict, user_code_output="".join(self._printed), tests_output=tests_output
                )
                self._settled.set()

    def wait(self, timeout: float | None = None) -> RunResult:
        if not self._settled.wait(timeout):
            raise TimeoutError("the run has not finished")
        assert self._result is not None
        return self._result

    def stop(self) -> None:
        with self._lock:
            if not self._settled.is_set():
                self._stopped = True
                self._result = RunResult(
                    Verdict.RUN_FAILED, user_code_output="".join(self._printed)
                )
                self._settled.set()

    def output_so_far(self) -> str:
        with self._lock:
            return "".join(self._printed)

    @property
    def done(self) -> bool:
        return self._settled.is_set()

    @property
    def stopped(self) -> bool:
        return self._stopped


@define
class HeldRunner:
    """Starts every run as a `HeldRun`, taking a place for it first as the sandbox takes a slot.
    While `gate` is closed no place is free: `reserve` answers None at once, or waits with
    `wait`; `refusal`, when set, is what taking a place raises. `released` counts the places
    given back unused."""

    runs: list[HeldRun] = field(factory=list)
    gate: threading.Event = field(factory=threading.Event)
    refusal: Exception | None = None
    released: int = 0
    _started: threading.Condition = field(factory=threading.Condition)

    def __attrs_post_init__(self) -> None:
        self.gate.set()

    def reserve(self, request: RunRequest, *, wait: bool) -> HeldPlace | None:
        if not wait and not self.gate.is_set():
            return None
        self.gate.wait()
        if self.refusal is not None:
            raise self.refusal
        return HeldPlace(self, request)

    def start(self, request: RunRequest) -> HeldRun:
        place = self.reserve(request, wait=True)
        assert place is not None
        return place.start()

    def run(self, request: RunRequest) -> RunResult:
        return self.start(request).wait()

    def nth_run(self, index: int) -> HeldRun:
        """The run started `index`-th, once it has started."""
        with self._started:
            assert self._started.wait_for(lambda: len(self.runs) > index, WAIT_SECONDS)
            return self.runs[index]

    def _begin(self, request: RunRequest) -> HeldRun:
        run = HeldRun(request)
        with self._started:
            self.runs.append(run)
            self._started.notify_all()
        return run


@define
class HeldPlace:
    runner: HeldRunner
    request: RunRequest

    def start(self) -> HeldRun:
        return self.runner._begin(self.request)

    def release(self) -> None:
        self.runner.released += 1


@define
class BlockingRunner:
    """A runner with only `run`, like the remote client: it answers when the test says."""

    answer: threading.Event = field(factory=threading.Event)
    requests: list[RunRequest] = field(factory=list)

    def run(self, request: RunRequest) -> RunResult:
        self.requests.append(request)
        self.answer.wait(WAIT_SECONDS)
        return RunResult(Verdict.PASSED, user_code_output="late answer\n")


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@define
class Worker:
    """One worker's app, and the calls a client of /api/v1/runs makes."""

    client: testing.TestClient
    tracker: RunTracker
    services: Services

    def start(
        self,
        body: dict[str, Any],
        *,
        user_id: int | str | None = 7,
        wait: str | None = None,
        admin: bool = False,
    ) -> testing.Result:
        params = _params(user_id, wait=wait)
        return self.client.simulate_post(
            "/api/v1/runs", json=body, params=params, headers=_headers(admin)
        )

    def get(
        self, run_id: str, *, user_id: int | str | None = 7, admin: bool = False
    ) -> testing.Result:
        return self.client.simulate_get(
            f"/api/v1/runs/{run_id}", params=_params(user_id), headers=_headers(admin)
        )

    def stop(
        self, run_id: str, *, user_id: int | str | None = 7, admin: bool = False
    ) -> testing.Result:
        return self.client.simulate_post(
            f"/api/v1/runs/{run_id}/stop", params=_params(user_id), headers=_headers(admin)
        )

    def list(
        self, *, user_id: int | str | None = 7, admin: bool = False, **query: str
    ) -> testing.Result:
        return self.list_with(query, user_id=user_id, admin=admin)

    def list_with(
        self, query: dict[str, str], *, user_id: int | str | None = 7, admin: bool = False
    ) -> testing.Result:
        return self.client.simulate_get(
            "/api/v1/runs", params=_params(user_id, **query), headers=_headers(admin)
        )

    def status_of(self, run_id: str) -> str:
        status: str = self.get(run_id, admin=True, user_id=None).json["status"]
        return status

    def wait_for_status(self, run_id: str, wanted: str, within: float = WAIT_SECONDS) -> float:
        """Seconds until the run shows `wanted`; fails after `within`."""
        started = time.monotonic()
        while (status := self.status_of(run_id)) != wanted:
            assert time.monotonic() - started < within, f"still {status} after {within} s"
            time.sleep(0.02)
        return time.monotonic() - started


def _params(user_id: int | str | None, **query: str | None) -> dict[str, str]:
    params = {name: value for name, value in query.items() if value is not None}
    if user_id is not None:
        params["user_id"] = str(user_id)
    return params


def _headers(admin: bool) -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_TOKEN}"} if admin else {}


def build_worker(
    engine: Engine,
    runner: Runner | None,
    *,
    clock: Callable[[], datetime] = utc_now,
    host_id: str = "test-host:worker-a",
    settings: Settings | None = None,
    **tracker_options: Any,
) -> Worker:
    options = {"max_runs_per_user": 1000, **tracker_options}
    """A user's allowance is tested on its own; other tests start as many runs as they like."""

    def tracker(log: RunLog, runner: Runner | None, clock: ClockFunction) -> RunTracker:
        return RunTracker(log, runner, clock, host_id=host_id, **options)

    services = build_services(
        engine,
        settings or Settings(admin_token=ADMIN_TOKEN),
        runner,
        clock=clock,
        catalogue_refresh_seconds=0.0,
        run_tracker=tracker,
    )
    return Worker(testing.TestClient(create_app(services)), services.context.runs, services)


SCRIPT = {"language": "bash", "source": "echo hi"}
