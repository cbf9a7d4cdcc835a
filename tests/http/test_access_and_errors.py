"""What every endpoint shares (contract §1, §2, §6): bearer tokens, JSON everywhere, an
X-Request-Id on every response, the request-decoding rules kept from the original (§0.5), and
errors that say what went wrong without saying how the service is built."""

from __future__ import annotations

from collections.abc import Callable

from attrs import define
from falcon import testing

from handyman_cli.composition import build_services
from handyman_core.run_protocol import RunRequest, RunResult, Verdict
from handyman_http.app import create_app
from handyman_http.settings import Settings
from tests.http.conftest import ADMIN_TOKEN, COURSE, TASK, Api, database_rows, encoded

API_TOKEN = "test-api-token"
USER = 7


def with_api_token(make_api: Callable[[Settings], Api]) -> Api:
    return make_api(Settings(api_token=API_TOKEN, admin_token=ADMIN_TOKEN))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- tokens ----------------------------------------------------------------------------------


def test_without_an_api_token_configured_no_authorization_is_needed(api: Api) -> None:
    assert api.post("/get_courses", {"status": "all"}).status_code == 200


def test_a_configured_api_token_is_required_on_every_endpoint(
    make_api: Callable[[Settings], Api],
) -> None:
    api = with_api_token(make_api)
    response = api.post("/get_courses", {"status": "all"})
    assert response.status_code == 401
    assert "error" in response.json
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_wrong_api_token_is_forbidden(make_api: Callable[[Settings], Api]) -> None:
    api = with_api_token(make_api)
    response = api.post("/get_courses", {"status": "all"}, headers=bearer("guess"))
    assert response.status_code == 403
    assert "error" in response.json


def test_a_token_in_another_scheme_is_not_accepted(make_api: Callable[[Settings], Api]) -> None:
    api = with_api_token(make_api)
    response = api.post(
        "/get_courses", {"status": "all"}, headers={"Authorization": f"Basic {API_TOKEN}"}
    )
    assert response.status_code == 401


def test_the_right_api_token_opens_the_endpoints(make_api: Callable[[Settings], Api]) -> None:
    api = with_api_token(make_api)
    response = api.post("/get_courses", {"status": "all"}, headers=bearer(API_TOKEN))
    assert response.status_code == 200
    assert response.json[0]["course_id"] == COURSE


def test_the_admin_token_passes_the_api_token_check_too(
    make_api: Callable[[Settings], Api],
) -> None:
    api = with_api_token(make_api)
    assert api.post("/get_courses", {"status": "all"}, admin=True).status_code == 200


def test_the_api_token_does_not_open_admin_endpoints(make_api: Callable[[Settings], Api]) -> None:
    api = with_api_token(make_api)
    response = api.post(
        "/merge_users", {"cur_user_id": 1, "old_user_id": 2}, headers=bearer(API_TOKEN)
    )
    assert response.status_code == 403


def test_a_refused_token_writes_nothing(make_api: Callable[[Settings], Api]) -> None:
    api = with_api_token(make_api)
    before = database_rows(api.engine)
    api.post("/save_task", {"task_id": TASK, "solution_text": encoded("x")}, user_id=USER)
    assert database_rows(api.engine) == before


# --- request ids and content type ------------------------------------------------------------


def test_every_response_carries_a_request_id(api: Api) -> None:
    for response in (
        api.post("/get_courses", {"status": "all"}),
        api.post("/get_course_info", {"course_id": "nosuchcourse"}),
        api.post("/get_course_info", {"course_id": "../etc"}),
        api.post("/no_such_endpoint"),
    ):
        assert response.headers.get("X-Request-Id"), response.status_code


def test_each_request_gets_its_own_request_id(api: Api) -> None:
    first = api.post("/get_courses", {"status": "all"}).headers["X-Request-Id"]
    second = api.post("/get_courses", {"status": "all"}).headers["X-Request-Id"]
    assert first != second


def test_a_well_formed_incoming_request_id_is_kept(api: Api) -> None:
    response = api.post("/get_courses", {}, headers={"X-Request-Id": "proxy-1234.ab_c"})
    assert response.headers["X-Request-Id"] == "proxy-1234.ab_c"


def test_a_malformed_incoming_request_id_is_replaced(api: Api) -> None:
    response = api.post("/get_courses", {}, headers={"X-Request-Id": "bad id\twith spaces"})
    assert response.headers["X-Request-Id"] not in ("", "bad id\twith spaces")


def test_successes_and_errors_are_application_json(api: Api) -> None:
    for response in (
        api.post("/get_courses", {"status": "all"}),
        api.post("/get_chapter", {"chapter_id": "pythonstart_chapter_0990"}),
        api.post("/get_chapter", {"chapter_id": 5}),
        api.post("/no_such_endpoint"),
    ):
        assert response.headers["Content-Type"].startswith("application/json")


def test_an_unknown_path_is_a_json_404(api: Api) -> None:
    response = api.post("/no_such_endpoint", {})
    assert response.status_code == 404
    assert "error" in response.json


def test_a_trailing_slash_reaches_the_same_endpoint(api: Api) -> None:
    response = api.post("/get_course_info/", {"course_id": COURSE})
    assert response.status_code == 200
    assert "tags" in response.json


# --- request decoding kept from the original -------------------------------------------------


def test_an_empty_body_counts_as_an_empty_object(api: Api) -> None:
    response = api.post("/get_courses", raw=b"")
    assert response.status_code == 200
    assert response.json[0]["course_id"] == COURSE


def test_unknown_keys_are_ignored(api: Api) -> None:
    response = api.post("/get_course_info", {"course_id": COURSE, "colour": "blue"})
    assert response.status_code == 200


def test_keys_match_case_insensitively_as_in_the_original(api: Api) -> None:
    response = api.post("/get_course_info", {"COURSE_ID": COURSE})
    assert response.status_code == 200
    assert "tags" in response.json


def test_null_leaves_a_field_at_its_default(api: Api) -> None:
    response = api.post("/get_courses", {"status": None}, user_id=USER)
    assert response.status_code == 200
    assert response.json[0]["status"] == "not_started"


def test_a_form_encoded_json_body_is_read_as_json_like_curl_d_sends_it(api: Api) -> None:
    response = api.client.simulate_post(
        "/get_course_info",
        body=b'{"course_id": "pythonstart"}',
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200
    assert "tags" in response.json


def test_a_body_in_another_media_type_is_a_client_error(api: Api) -> None:
    response = api.client.simulate_post(
        "/get_course_info", body=b"<course/>", headers={"Content-Type": "application/xml"}
    )
    assert response.status_code == 400
    assert "body" in response.json["fields"]


# --- runner and server failures --------------------------------------------------------------


def test_without_a_runner_configured_runs_answer_503_and_record_nothing(api: Api) -> None:
    services = build_services(
        api.engine, Settings(admin_token=ADMIN_TOKEN), None, catalogue_refresh_seconds=0.0
    )
    client = testing.TestClient(create_app(services))
    before = database_rows(api.engine)
    response = client.simulate_post(
        "/run_task",
        params={"user_id": str(USER)},
        json={"task_id": TASK, "solution_text": encoded("x")},
    )
    assert response.status_code == 503
    assert response.json == {"error": "Couldn't communicate with tasks runner"}
    assert database_rows(api.engine) == before


def test_an_unexpected_failure_is_a_json_500_that_reveals_nothing(api: Api) -> None:
    api.runner.answer(RuntimeError("secret detail at /srv/handyman/runner.py line 3"))
    response = api.post("/run_task", {"task_id": TASK, "solution_text": encoded("x")}, user_id=USER)
    assert response.status_code == 500
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json == {"error": "Internal server error"}
    assert response.headers.get("X-Request-Id")


# --- health ----------------------------------------------------------------------------------


def test_health_reports_the_database_and_runner(api: Api) -> None:
    response = api.client.simulate_get("/health")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "runner": "configured"}


def test_health_says_how_a_sandbox_runner_bounds_a_run(api: Api) -> None:
    report = "per process only (rlimits): no cgroup can be created for the sandboxes"
    services = build_services(
        api.engine, Settings(), IsolatedRunner(report), catalogue_refresh_seconds=0.0
    )
    response = testing.TestClient(create_app(services)).simulate_get("/health")
    assert response.status_code == 200
    assert response.json["run_limits"] == report


@define
class IsolatedRunner:
    resource_isolation: str

    def run(self, request: RunRequest) -> RunResult:
        return RunResult(Verdict.PASSED)
