"""The original's counters: declared by each resource, counted by one middleware from the response
status, plus the domain events the resource emits. Counters are process-wide, so each test reads
how much a counter moved."""

from __future__ import annotations

import re
from collections.abc import Callable

from handyman_core.errors import RunnerUnavailable
from handyman_http.app import LEGACY_ROUTES
from tests.http.conftest import CHAPTER_1, COURSE, TASK, Api, encoded

USER = 31


def counters(api: Api) -> dict[str, float]:
    page = api.client.simulate_get("/metrics").text
    return {
        name: float(value)
        for name, value in re.findall(r"^(handyman_[a-z_]+) (\S+)$", page, re.MULTILINE)
    }


def moved(api: Api, requests: Callable[[], object]) -> dict[str, float]:
    before = counters(api)
    requests()
    after = counters(api)
    return {
        name: after[name] - before.get(name, 0.0)
        for name in after
        if after[name] != before.get(name, 0.0)
    }


def test_run_task_counts_every_request_and_each_outcome_by_status(api: Api) -> None:
    def requests() -> None:
        run = {"task_id": TASK, "solution_text": encoded("x")}
        assert api.post("/run_task", run, user_id=USER).status_code == 200
        assert api.post("/run_task", {"task_id": "bad"}, user_id=USER).status_code == 400
        unknown = {**run, "task_id": "pythonstart_chapter_0010_task_9990"}
        assert api.post("/run_task", unknown, user_id=USER).status_code == 404
        api.runner.answer(RunnerUnavailable("down"))
        assert api.post("/run_task", run, user_id=USER).status_code == 503

    assert {name: value for name, value in moved(api, requests).items() if "run_task" in name} == {
        "handyman_run_task_total": 4,
        "handyman_run_task_ok": 1,
        "handyman_run_task_errors_client": 2,
        "handyman_run_task_errors_server": 1,
    }


def test_progress_updates_count_their_decisions(api: Api) -> None:
    def requests() -> None:
        body = {"chapter_id": CHAPTER_1, "status": "in_progress"}
        assert api.post("/update_chapter_progress", body, user_id=USER).json["status"] == "ok"
        assert api.post("/update_chapter_progress", body, user_id=USER).json["status"] == (
            "no_action"
        )
        refused = {"chapter_id": CHAPTER_1, "status": "bogus"}
        assert "error" in api.post("/update_chapter_progress", refused, user_id=USER).json
        missing = {"status": "in_progress"}
        assert api.post("/update_chapter_progress", missing, user_id=USER).status_code == 400

    changes = moved(api, requests)
    assert {name: value for name, value in changes.items() if "update_chapter" in name} == {
        "handyman_update_chapter_progress_total": 4,
        "handyman_update_chapter_progress_ok": 1,
        "handyman_update_chapter_progress_no_action": 1,
        "handyman_update_chapter_progress_err_status": 1,
        "handyman_update_chapter_progress_err_client": 1,
    }


def test_get_courses_counts_visitors_and_users_apart(api: Api) -> None:
    def requests() -> None:
        assert api.post("/get_courses").status_code == 200
        assert api.post("/get_courses", user_id=USER).status_code == 200
        assert api.post("/get_courses", {"status": "bogus"}, user_id=USER).status_code == 400

    changes = moved(api, requests)
    assert {name: value for name, value in changes.items() if "get_courses" in name} == {
        "handyman_get_courses_total": 3,
        "handyman_get_courses_anonym": 1,
        "handyman_get_courses_authorized": 1,
        "handyman_get_courses_err_client": 1,
    }


def test_get_chapter_counts_an_unknown_chapter_as_a_client_error(api: Api) -> None:
    def requests() -> None:
        assert api.post("/get_chapter", {"course_id": COURSE}).status_code == 200
        unknown = {"chapter_id": "pythonstart_chapter_0990"}
        assert api.post("/get_chapter", unknown, user_id=USER).status_code == 404

    changes = moved(api, requests)
    assert {name: value for name, value in changes.items() if "get_chapter_" in name} == {
        "handyman_get_chapter_total": 2,
        "handyman_get_chapter_anonymous": 1,
        "handyman_get_chapter_ok": 1,
        "handyman_get_chapter_err_client": 1,
    }


def test_every_declared_counter_is_exposed_even_before_it_counts(api: Api) -> None:
    exposed = counters(api)
    for resource in LEGACY_ROUTES.values():
        declared = resource.counters
        if declared is not None:
            for name in declared.names:
                assert f"handyman_{declared.endpoint}_{name}" in exposed
