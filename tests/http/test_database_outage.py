"""While the database is down or frozen, requests answer 503 with Retry-After (never 500), /health
names the database, the log stays short; when it is back, requests succeed again by themselves."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine

from handyman_http import error_responses
from handyman_http.outage_log import OutageLog
from handyman_http.settings import Settings
from handyman_store.database import DatabaseTimeouts, DatabaseUrl, create_engine
from tests.http.conftest import ADMIN_TOKEN, TASK, Api, build_api, encoded
from tests.http.test_openapi import assert_documented
from tests.postgres_server import FaultyServer

pytestmark = pytest.mark.postgres

REQUESTS: list[tuple[str, dict[str, object]]] = [
    ("/get_courses", {}),
    ("/get_task", {"task_id": TASK}),
    ("/save_task", {"task_id": TASK, "solution_text": encoded("print(1)")}),
    ("/run_task", {"task_id": TASK, "solution_text": encoded("print(1)")}),
]


@pytest.fixture
def serving_engine(faulty_postgres: FaultyServer) -> Iterator[Engine]:
    engine = create_engine(
        DatabaseUrl.parse(faulty_postgres.database_url), timeouts=DatabaseTimeouts()
    )
    yield engine
    engine.dispose()


@pytest.fixture
def outage_api(serving_engine: Engine) -> Iterator[Api]:
    api = build_api(serving_engine, Settings(admin_token=ADMIN_TOKEN))
    yield api
    api.finish_runs()


@pytest.mark.parametrize(("path", "body"), REQUESTS)
def test_a_request_while_the_database_is_stopped_answers_503_with_retry_after(
    outage_api: Api, faulty_postgres: FaultyServer, path: str, body: dict[str, object]
) -> None:
    faulty_postgres.halt()

    response = outage_api.post(path, body, user_id=7)

    assert response.status_code == 503, response.text
    assert response.json == {"error": "Database unavailable", "unavailable": "database"}
    assert int(response.headers["Retry-After"]) > 0
    assert response.headers["X-Request-Id"]


@pytest.mark.parametrize(("path", "body"), REQUESTS)
def test_the_outage_answer_is_the_one_the_document_declares(
    outage_api: Api, faulty_postgres: FaultyServer, path: str, body: dict[str, object]
) -> None:
    faulty_postgres.halt()

    assert_documented(outage_api.post(path, body, user_id=7), path, "post")


def test_the_outage_answers_of_accounts_and_runs_are_the_ones_the_document_declares(
    outage_api: Api, faulty_postgres: FaultyServer
) -> None:
    faulty_postgres.halt()

    merge = outage_api.post("/merge_users", {"cur_user_id": 1, "old_user_id": 2}, admin=True)
    assert merge.status_code == 503
    assert merge.json["status"] == -1
    assert_documented(merge, "/merge_users", "post")
    runs = outage_api.client.simulate_get("/api/v1/runs", params={"user_id": "7"})
    assert runs.status_code == 503
    assert_documented(runs, "/api/v1/runs", "get")


def test_health_names_the_database_when_it_is_down(
    outage_api: Api, faulty_postgres: FaultyServer
) -> None:
    faulty_postgres.halt()

    response = outage_api.client.simulate_get("/health")

    assert response.status_code == 503
    assert response.json["unavailable"] == ["database"]
    assert response.json["database"] == "unavailable"
    assert "Retry-After" in response.headers


def test_requests_succeed_again_once_the_database_is_back(
    outage_api: Api, faulty_postgres: FaultyServer
) -> None:
    faulty_postgres.halt()
    assert outage_api.post("/get_courses", user_id=7).status_code == 503
    faulty_postgres.resume()

    assert outage_api.post("/get_courses", user_id=7).status_code == 200
    assert outage_api.client.simulate_get("/health").status_code == 200


def test_a_frozen_database_answers_503_in_under_five_seconds(
    outage_api: Api, faulty_postgres: FaultyServer
) -> None:
    assert outage_api.post("/get_courses", user_id=7).status_code == 200
    faulty_postgres.freeze()

    for _ in range(2):
        started = time.monotonic()
        response = outage_api.post("/get_courses", user_id=7)
        assert response.status_code == 503, response.text
        assert time.monotonic() - started < 5.0


def test_concurrent_requests_each_answer_503_in_under_five_seconds_while_frozen(
    outage_api: Api, faulty_postgres: FaultyServer
) -> None:
    """A worker's threads must not queue behind one another's database checks."""
    assert outage_api.post("/get_courses", user_id=7).status_code == 200
    faulty_postgres.freeze()

    def timed_request() -> tuple[int, float]:
        started = time.monotonic()
        status = outage_api.post("/get_courses", user_id=7).status_code
        return status, time.monotonic() - started

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: timed_request(), range(4)))

    assert [status for status, _ in answers] == [503] * 4
    assert max(seconds for _, seconds in answers) < 5.0


def test_health_answers_in_under_five_seconds_while_the_database_is_frozen(
    outage_api: Api, faulty_postgres: FaultyServer
) -> None:
    faulty_postgres.freeze()
    started = time.monotonic()

    response = outage_api.client.simulate_get("/health")

    assert response.status_code == 503
    assert time.monotonic() - started < 5.0


def test_an_outage_is_logged_in_a_few_lines_without_tracebacks(
    outage_api: Api,
    faulty_postgres: FaultyServer,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(error_responses, "outages", OutageLog(error_responses.log))
    faulty_postgres.halt()
    caplog.set_level(logging.INFO)

    for _ in range(50):
        assert outage_api.post("/get_courses", user_id=7).status_code == 503

    warnings = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert 1 <= len(warnings) <= 2, [record.getMessage() for record in warnings]
    assert all(record.exc_info is None for record in caplog.records)
    assert "database unavailable" in warnings[0].getMessage()
    assert all("SELECT" not in record.getMessage() for record in caplog.records)
