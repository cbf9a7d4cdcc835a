"""The server enforces what /openapi.json says, no more and no less: query parameters are given
once and never empty, enum values are exact, ids the document's patterns allow are accepted, and
JSON numbers are numbers (2.0 is the integer 2)."""

from __future__ import annotations

import pytest

from handyman_http.app import LEGACY_ROUTES
from tests.http.conftest import TASK, Api, encoded

ENDPOINTS_WITH_A_USER = sorted(set(LEGACY_ROUTES) - {"/merge_users", "/split_users"})


@pytest.mark.parametrize("path", ENDPOINTS_WITH_A_USER)
def test_an_empty_user_id_is_refused_everywhere(api: Api, path: str) -> None:
    response = api.client.simulate_post(path, json={}, query_string="user_id=")

    assert response.status_code == 400, response.text
    assert "user_id" in response.json["fields"]


@pytest.mark.parametrize("path", [*ENDPOINTS_WITH_A_USER, "/api/v1/runs"])
def test_a_repeated_user_id_is_refused_everywhere(api: Api, path: str) -> None:
    response = api.client.simulate_post(path, json={}, query_string="user_id=7&user_id=7")

    assert response.status_code == 400, response.text
    assert response.json["fields"]["user_id"] == "must be given once"


@pytest.mark.parametrize(
    "query", ["status=", "language=", "kind=", "offset=", "limit=", "status=Running"]
)
def test_an_empty_or_inexact_filter_of_the_run_list_is_refused(api: Api, query: str) -> None:
    response = api.client.simulate_get("/api/v1/runs", query_string=f"user_id=7&{query}")

    assert response.status_code == 400, response.text
    assert query.split("=", maxsplit=1)[0] in response.json["fields"]


@pytest.mark.parametrize("wait", ["", "TRUE", "yes", "true&wait=true"])
def test_an_empty_inexact_or_repeated_wait_is_refused(api: Api, wait: str) -> None:
    response = api.client.simulate_post(
        "/api/v1/runs",
        json={"language": "python", "source": "print(1)"},
        query_string=f"user_id=7&wait={wait}",
    )

    assert response.status_code == 400, response.text
    assert "wait" in response.json["fields"]


@pytest.mark.parametrize("playground_id", ["_", "-", "a-b_C9"])
def test_every_playground_id_the_pattern_allows_is_accepted(api: Api, playground_id: str) -> None:
    response = api.post("/get_playground_code", {"playground_id": playground_id})

    assert response.status_code == 404, response.text  # well formed, nothing kept under it


def test_integer_limits_may_be_written_as_integral_numbers(api: Api) -> None:
    response = api.post(
        "/api/v1/runs",
        {"language": "python", "source": "print(1)", "limits": {"memory_bytes": 268435456.0}},
        user_id=7,
    )

    assert response.status_code in (200, 201), response.text


def test_a_fractional_count_limit_is_still_refused(api: Api) -> None:
    response = api.post(
        "/api/v1/runs",
        {"language": "python", "source": "print(1)", "limits": {"processes": 2.5}},
        user_id=7,
    )

    assert response.status_code == 400
    assert "limits.processes" in response.json["fields"]


def test_a_base64_code_the_pattern_allows_is_decoded(api: Api) -> None:
    response = api.post(
        "/save_task", {"task_id": TASK, "solution_text": encoded("x = 1") + "\r\n"}, user_id=7
    )

    assert response.status_code == 200, response.text
