"""An in-process Handyman app over a fresh database (SQLite and PostgreSQL), with the bundled
example course imported and a scripted runner standing in for the sandbox."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from attrs import define, field
from falcon import testing
from sqlalchemy import Engine

from handyman_core.errors import RunnerUnavailable
from handyman_core.run_protocol import RunRequest, RunResult, Verdict
from handyman_http.app import create_app
from handyman_http.catalogue_cache import CatalogueCache
from handyman_http.services import Services
from handyman_http.settings import Settings
from handyman_store.catalogue_import import import_catalogue
from handyman_store.course_folder import read_course_folder
from handyman_store.store import Store
from tests.conftest import EXAMPLE_COURSES

ADMIN_TOKEN = "test-admin-token"
FIXED_NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@define
class ScriptedRunner:
    """Answers every run with the next scripted result (default: passed) and keeps the requests."""

    results: list[RunResult | Exception] = field(factory=list)
    requests: list[RunRequest] = field(factory=list)

    def answer(self, *results: RunResult | Exception) -> None:
        self.results.extend(results)

    def run(self, request: RunRequest) -> RunResult:
        self.requests.append(request)
        if not self.results:
            return RunResult(Verdict.PASSED, user_code_output="ok\n")
        result = self.results.pop(0)
        if isinstance(result, Exception):
            raise result
        return result


@define
class Api:
    """A falcon test client that speaks the site's dialect: POST, JSON body, user_id in the query."""

    client: testing.TestClient
    runner: ScriptedRunner
    engine: Engine
    store: Store

    def post(
        self,
        path: str,
        body: Any = None,
        *,
        user_id: int | str | None = None,
        admin: bool = False,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> testing.Result:
        params = {} if user_id is None else {"user_id": str(user_id)}
        all_headers = dict(headers or {})
        if admin:
            all_headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
        if raw is not None:
            return self.client.simulate_post(
                path, body=raw, params=params, headers=all_headers
            )
        return self.client.simulate_post(
            path, json={} if body is None else body, params=params, headers=all_headers
        )


def build_api(engine: Engine, settings: Settings | None = None) -> Api:
    import_catalogue(engine, read_course_folder(EXAMPLE_COURSES), str(EXAMPLE_COURSES))
    runner = ScriptedRunner()
    store = Store(engine)
    services = Services(
        settings=settings or Settings(admin_token=ADMIN_TOKEN),
        store=store,
        catalogue=CatalogueCache(engine, refresh_seconds=0.0),
        runner=runner,
        clock=lambda: FIXED_NOW,
    )
    return Api(testing.TestClient(create_app(services)), runner, engine, store)


@pytest.fixture
def api(engine: Engine) -> Iterator[Api]:
    yield build_api(engine)


@pytest.fixture
def make_api(engine: Engine) -> Callable[[Settings], Api]:
    return lambda settings: build_api(engine, settings)


__all__ = ["ADMIN_TOKEN", "Api", "RunnerUnavailable", "ScriptedRunner"]
