"""LTI passback parameters on the site's run endpoints: stored with the attempt and answered by
the statistics API; refused naming the key, with nothing run or recorded, when malformed."""

from __future__ import annotations

import json
from typing import Any

import pytest

from handyman_core.client_keys import hash_client_key
from handyman_core.run_protocol import RunResult, Verdict
from handyman_store.statistics_clients import add_client
from tests.http.conftest import CHAPTER_1, COURSE, FIXED_NOW, PROJECT, TASKS, Api, encoded

USER = 41
TASK = TASKS[CHAPTER_1][0]
PASSBACK = {
    "oauth_consumer_key": "uni-lms",
    "lis_result_sourcedid": "course-v1:Uni+PY101:block-3",
    "lis_outcome_service_url": "https://lms.example/grade_handler",
    "lms_user_id": "student-41",
}
TREE = json.dumps(
    {
        "name": "project",
        "children": [{"name": "word_count.py", "contents": "print(1)", "is_main_file": True}],
    }
)


def statistics(api: Api) -> list[dict[str, Any]]:
    add_client(api.engine, "operator", hash_client_key("hmk_k"), [], now=FIXED_NOW)
    result = api.client.simulate_get(
        "/api/statistics",
        params={
            "client": "operator",
            "client_key": "hmk_k",
            "start": "2026-10-31",
            "end": "2026-11-02",
        },
    )
    assert result.status_code == 200, result.text
    records: list[dict[str, Any]] = result.json
    return records


def test_run_task_stores_the_passback_params_with_the_submit(api: Api) -> None:
    answer = api.post(
        "/run_task",
        {"task_id": TASK, "solution_text": encoded("x"), "passback_params": PASSBACK},
        user_id=USER,
    )
    assert answer.status_code == 200, answer.text

    [record] = statistics(api)

    assert record["passback_params"] == PASSBACK
    assert (record["user_id"], record["attempt_type"], record["is_correct"]) == (
        "student-41",
        "submit",
        1,
    )


def test_practice_runs_and_tests_are_runs_and_submits(api: Api) -> None:
    api.runner.answer(RunResult(Verdict.PASSED), RunResult(Verdict.TESTS_FAILED))
    for action in ("run", "test"):
        body = {
            "project_contents": TREE,
            "project_id": PROJECT,
            "course_id": COURSE,
            "action": action,
            "passback_params": PASSBACK,
        }
        assert api.post("/handle_practice_code", body, user_id=USER).status_code == 200

    records = statistics(api)

    assert [(r["attempt_type"], r["is_correct"], r["item_kind"]) for r in records] == [
        ("run", None, "project"),
        ("submit", 0, "project"),
    ]


def test_a_playground_run_from_an_lms_is_a_run_attempt(api: Api) -> None:
    body = {
        "lang_id": "python",
        "project": TREE,
        "playground_id": "pg-7",
        "passback_params": PASSBACK,
    }
    assert api.post("/run_code", body, user_id=USER).status_code == 200
    assert api.post("/run_code", {**body, "playground_id": "pg-8"}).status_code == 200
    del body["passback_params"]
    assert api.post("/run_code", body, user_id=USER).status_code == 200

    [record] = statistics(api)

    assert (record["item_kind"], record["task_id"], record["attempt_type"]) == (
        "playground",
        None,
        "run",
    )


@pytest.mark.parametrize(
    ("passback", "field"),
    [
        (
            {**PASSBACK, "lis_outcome_service_url": "javascript:alert(1)"},
            "passback_params.lis_outcome_service_url",
        ),
        ({"lis_result_sourcedid": "x"}, "passback_params.oauth_consumer_key"),
        ({**PASSBACK, "extra": "x"}, "passback_params.extra"),
        ("oauth_consumer_key=k", "passback_params"),
    ],
)
def test_bad_passback_params_are_a_400_naming_the_key_and_nothing_runs(
    api: Api, passback: object, field: str
) -> None:
    answer = api.post(
        "/run_task",
        {"task_id": TASK, "solution_text": encoded("x"), "passback_params": passback},
        user_id=USER,
    )

    assert answer.status_code == 400
    assert field in answer.json["fields"]
    assert api.store.attempts_of(USER) == []
    assert api.runner.requests == []
