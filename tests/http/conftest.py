"""An in-process Handyman app over a fresh database (SQLite and PostgreSQL), with the bundled
example course imported and a scripted runner standing in for the sandbox."""

from __future__ import annotations

import base64
import functools
import shutil
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from attrs import define, field, frozen
from falcon import testing
from sqlalchemy import Engine, MetaData, select

from handyman_cli.composition import build_services
from handyman_core.errors import RunnerUnavailable
from handyman_core.ids import ChapterId, CourseId, ExampleId, ProjectId, TaskId
from handyman_core.run_protocol import RunRequest, RunResult, Verdict
from handyman_http.app import create_app
from handyman_http.settings import Settings
from handyman_service.run_tracking import RunTracker
from handyman_store.catalogue_import import import_catalogue
from handyman_store.course_folder import read_course_folder
from handyman_store.database import DatabaseUrl, create_engine
from handyman_store.store import Store
from tests.conftest import EXAMPLE_COURSES
from tests.postgres_server import DatabaseFactory

ADMIN_TOKEN = "test-admin-token"
FIXED_NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)

# The example course `pythonstart` (examples/courses), as the tests address it.
COURSE = CourseId("pythonstart")
CHAPTER_1 = ChapterId("pythonstart_chapter_0010")
CHAPTER_2 = ChapterId("pythonstart_chapter_0020")
CHAPTER_3 = ChapterId("pythonstart_chapter_0030")
CHAPTERS = (CHAPTER_1, CHAPTER_2, CHAPTER_3)
TASKS: dict[str, tuple[TaskId, ...]] = {
    chapter_id: tuple(TaskId(f"{chapter_id}_task_{number:04}") for number in numbers)
    for chapter_id, numbers in (
        (CHAPTER_1, (10, 20, 30)),
        (CHAPTER_2, (10,)),
        (CHAPTER_3, (10, 20)),
    )
}
TASK = TASKS[CHAPTER_1][0]
PROJECT = ProjectId("pythonstart_word_count")
"""Attached to the last chapter, CHAPTER_3."""
EXAMPLE = ExampleId("example_for_playground_001")
"""A playground example of CHAPTER_1."""


@frozen
class Slow:
    """A scripted answer given only after `seconds`: a run still going when the test looks."""

    result: RunResult
    seconds: float


@define
class ScriptedRunner:
    """Answers every run with the next scripted result (default: passed) and keeps the requests."""

    results: list[RunResult | Exception | Slow] = field(factory=list)
    requests: list[RunRequest] = field(factory=list)

    def answer(self, *results: RunResult | Exception | Slow) -> None:
        self.results.extend(results)

    def run(self, request: RunRequest) -> RunResult:
        self.requests.append(request)
        if not self.results:
            return RunResult(Verdict.PASSED, user_code_output="ok\n")
        result = self.results.pop(0)
        if isinstance(result, Slow):
            time.sleep(result.seconds)
            return result.result
        if isinstance(result, Exception):
            raise result
        return result


@define
class Api:
    """A falcon test client speaking the site's dialect: POST, JSON body, user_id in the query."""

    client: testing.TestClient
    runner: ScriptedRunner
    engine: Engine
    store: Store
    run_tracker: RunTracker

    def finish_runs(self) -> None:
        """Lets the runs started in the background end (they take milliseconds with the
        scripted runner) before the database goes away."""
        self.run_tracker.shutdown(grace_seconds=5.0)

    def post(
        self,
        path: str,
        body: Any = None,
        *,
        user_id: int | str | None = None,
        admin: bool = False,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
        params: dict[str, str] | None = None,
        remote_addr: str | None = None,
    ) -> testing.Result:
        """`remote_addr` is the WSGI REMOTE_ADDR; None leaves it out, as falcon's test client
        does by default."""
        params = {**(params or {}), **({} if user_id is None else {"user_id": str(user_id)})}
        all_headers = dict(headers or {})
        if admin:
            all_headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
        if raw is not None:
            return self.client.simulate_post(
                path, body=raw, params=params, headers=all_headers, remote_addr=remote_addr
            )
        return self.client.simulate_post(
            path,
            json={} if body is None else body,
            params=params,
            headers=all_headers,
            remote_addr=remote_addr,
        )


def build_api(
    engine: Engine, settings: Settings | None = None, runner: ScriptedRunner | None = None
) -> Api:
    import_catalogue(engine, read_course_folder(EXAMPLE_COURSES), str(EXAMPLE_COURSES))
    runner = runner or ScriptedRunner()
    services = build_services(
        engine,
        settings or Settings(admin_token=ADMIN_TOKEN),
        runner,
        clock=lambda: FIXED_NOW,
        catalogue_refresh_seconds=0.0,
    )
    return Api(
        testing.TestClient(create_app(services)),
        runner,
        engine,
        Store(engine),
        services.context.runs,
    )


@pytest.fixture
def api(engine: Engine) -> Iterator[Api]:
    built = build_api(engine)
    yield built
    built.finish_runs()


@pytest.fixture
def make_api(engine: Engine) -> Callable[[Settings], Api]:
    return lambda settings: build_api(engine, settings)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def module_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """One database per module and kind, for suites whose requests must not write anything:
    a fresh database per test would cost more than the hundreds of requests themselves."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("module-db") / "handyman.sqlite3"
        shutil.copyfile(request.getfixturevalue("migrated_sqlite_file"), path)
        engine = create_engine(DatabaseUrl.sqlite_file(path))
        yield engine
        engine.dispose()
        return
    factory: DatabaseFactory = request.getfixturevalue("postgres_databases")
    with factory.fresh_database() as url:
        engine = create_engine(DatabaseUrl.parse(url))
        yield engine
        engine.dispose()


def encoded(code: str | bytes) -> str:
    """`solution_text` as the site sends it: standard, padded base64."""
    raw = code.encode() if isinstance(code, str) else code
    return base64.b64encode(raw).decode("ascii")


def solve_task(api: Api, user_id: int, task_id: str, code: str = "x") -> None:
    """A run the scripted runner passes (its default answer)."""
    response = api.post(
        "/run_task", {"task_id": task_id, "solution_text": encoded(code)}, user_id=user_id
    )
    assert response.status_code == 200, response.text
    assert response.json["status_code"] == 0


def complete_chapter(api: Api, user_id: int, chapter_id: str) -> None:
    for task_id in TASKS[chapter_id]:
        solve_task(api, user_id, task_id)
    response = api.post(
        "/update_chapter_progress",
        {"chapter_id": chapter_id, "status": "completed"},
        user_id=user_id,
    )
    assert response.json["status"] == "ok", response.text


@functools.cache
def _reflected_tables(engine: Engine) -> MetaData:
    tables = MetaData()
    tables.reflect(engine)
    return tables


RUN_LOG_TABLE = "runs"
"""Every execution is recorded there, verdict or not (tests/http/test_runs_endpoints.py checks
what it records): it is the service's log of runs, not state a request changes."""


def database_rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but the run log (the migration bookkeeping included), in a
    stable order: two equal snapshots mean a request wrote nothing."""
    with engine.connect() as connection:
        return {
            table.name: sorted((tuple(row) for row in connection.execute(select(table))), key=repr)
            for table in _reflected_tables(engine).sorted_tables
            if table.name != RUN_LOG_TABLE
        }


__all__ = ["ADMIN_TOKEN", "Api", "RunnerUnavailable", "ScriptedRunner"]
