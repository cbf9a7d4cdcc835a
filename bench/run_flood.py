"""Reads under a flood of runs (part of `python -m bench.runner`).

`clients` threads loop `POST /run_task` (each as its own user, each answer checked) for
`duration` seconds against `handyman serve --runner local` (waiting as Retry-After says when
refused), while one reader sends
`POST /get_courses` back to back and times each answer. Before the flood the reader times
get_courses on the idle server. Targets: under the flood get_courses' p99 < 100 ms and its
median within 2x of idle; no run lost: once the clients stop and the runs drain, every run on
record has reached an end state, and every run answered with a verdict is on record.
"""

from __future__ import annotations

import threading
import time

import requests
from attrs import frozen
from sqlalchemy import func, select

from bench.errors import BenchmarkError
from bench.handyman_server import RunningServer
from bench.measure import Timings
from handyman_store.database import DatabaseUrl, create_engine
from handyman_store.schema import runs

FIRST_FLOOD_USER = 5001
IDLE_PROBES = 200
DRAIN_SECONDS = 60.0
REQUEST_TIMEOUT_S = 60.0
ACTIVE_STATUSES = ("queued", "running")
P99_TARGET_S = 0.100
MEDIAN_FACTOR_TARGET = 2.0


@frozen
class FloodResult:
    clients: int
    duration_s: float
    idle: Timings
    flooded: Timings
    verdicts: int
    """run_task answers with a verdict (HTTP 200)."""
    refused: dict[int, int]
    """HTTP status -> how many run_task answers were refusals (429, 503)."""
    failures: tuple[str, ...]
    """Answers that were neither a verdict nor a refusal with Retry-After."""
    runs_on_record: int
    runs_still_active: int

    @property
    def meets_targets(self) -> bool:
        return (
            self.flooded.p99 < P99_TARGET_S
            and self.flooded.median <= MEDIAN_FACTOR_TARGET * self.idle.median
            and self.runs_still_active == 0
            and self.runs_on_record >= self.verdicts
            and not self.failures
        )


class Flood:
    def __init__(
        self,
        server: RunningServer,
        database_url: str,
        solution_text: str,
        task_id: str,
        *,
        clients: int,
        duration_s: float,
    ) -> None:
        self._server = server
        self._database_url = database_url
        self._body = {"task_id": task_id, "solution_text": solution_text}
        self._clients = clients
        self._duration_s = duration_s
        self._stop_at = 0.0
        self._lock = threading.Lock()
        self._verdicts = 0
        self._refused: dict[int, int] = {}
        self._failures: list[str] = []

    def run(self) -> FloodResult:
        with requests.Session() as reader:
            idle = Timings(tuple(self._read(reader) for _ in range(IDLE_PROBES)))
            self._stop_at = time.monotonic() + self._duration_s
            threads = [
                threading.Thread(target=self._client, args=(FIRST_FLOOD_USER + n,), daemon=True)
                for n in range(self._clients)
            ]
            for thread in threads:
                thread.start()
            flooded: list[float] = []
            while time.monotonic() < self._stop_at:
                flooded.append(self._read(reader))
            for thread in threads:
                thread.join(REQUEST_TIMEOUT_S)
        on_record, active = self._drained_runs()
        return FloodResult(
            self._clients,
            self._duration_s,
            idle,
            Timings(tuple(flooded)),
            self._verdicts,
            dict(self._refused),
            tuple(self._failures),
            on_record,
            active,
        )

    def _read(self, session: requests.Session) -> float:
        started = time.perf_counter()
        answer = session.post(
            f"{self._server.base_url}/get_courses",
            params={"user_id": 1},
            json={},
            timeout=REQUEST_TIMEOUT_S,
        )
        seconds = time.perf_counter() - started
        if answer.status_code != 200:
            raise BenchmarkError(f"get_courses answered {answer.status_code}: {answer.text[:500]}")
        return seconds

    def _client(self, user_id: int) -> None:
        """Loops run_task; after a refusal it waits as Retry-After says (or until the flood
        ends), as the course site's client does, instead of hammering the server."""
        url = f"{self._server.base_url}/run_task"
        with requests.Session() as session:
            while time.monotonic() < self._stop_at:
                try:
                    answer = session.post(
                        url, params={"user_id": user_id}, json=self._body, timeout=REQUEST_TIMEOUT_S
                    )
                except requests.RequestException as error:
                    self._note_failure(f"no answer: {error}")
                    continue
                self._note(answer)
                retry_after = answer.headers.get("Retry-After")
                if answer.status_code in (429, 503) and retry_after and retry_after.isdigit():
                    time.sleep(max(0.0, min(int(retry_after), self._stop_at - time.monotonic())))

    def _note(self, answer: requests.Response) -> None:
        with self._lock:
            if answer.status_code == 200 and answer.json().get("status_code") == 0:
                self._verdicts += 1
            elif answer.status_code in (429, 503) and answer.headers.get("Retry-After"):
                self._refused[answer.status_code] = self._refused.get(answer.status_code, 0) + 1
            else:
                self._failures.append(f"{answer.status_code}: {answer.text[:300]}")

    def _note_failure(self, problem: str) -> None:
        with self._lock:
            self._failures.append(problem)

    def _drained_runs(self) -> tuple[int, int]:
        """Runs of the flood's users on record, and how many are still active once they had
        `DRAIN_SECONDS` to end."""
        engine = create_engine(DatabaseUrl.parse(self._database_url))
        try:
            deadline = time.monotonic() + DRAIN_SECONDS
            while True:
                with engine.connect() as connection:
                    flood_runs = runs.c.owner >= FIRST_FLOOD_USER
                    total = connection.execute(
                        select(func.count()).select_from(runs).where(flood_runs)
                    ).scalar_one()
                    active = connection.execute(
                        select(func.count())
                        .select_from(runs)
                        .where(flood_runs, runs.c.status.in_(ACTIVE_STATUSES))
                    ).scalar_one()
                if active == 0 or time.monotonic() >= deadline:
                    return total, active
                time.sleep(0.5)
        finally:
            engine.dispose()
