"""The plumbing both Falcon apps share (`handyman_falcon`): bodies read within their limit whether
they come sized or chunked (gunicorn de-chunks a chunked body and passes no Content-Length), and
bearer tokens checked alike."""

from __future__ import annotations

import io
import json
from typing import Any

import falcon
import pytest
from falcon import testing

from handyman_core.run_protocol import RunRequest, RunResult, Verdict
from handyman_falcon.bearer import bearer_token, require_token, token_matches
from handyman_falcon.bodies import read_body
from handyman_runner.server import create_runner_app

LIMIT = 64


def request_with(
    body: bytes, *, sized: bool, headers: dict[str, str] | None = None
) -> falcon.Request:
    environ = testing.create_environ(method="POST", path="/x", body=body, headers=headers)
    if not sized:
        del environ["CONTENT_LENGTH"]
        environ["HTTP_TRANSFER_ENCODING"] = "chunked"
        environ["wsgi.input"] = io.BytesIO(body)
    return falcon.Request(environ)


@pytest.mark.parametrize("sized", [True, False])
def test_a_body_within_the_limit_is_read_whole(sized: bool) -> None:
    assert read_body(request_with(b"x" * LIMIT, sized=sized), LIMIT) == b"x" * LIMIT


@pytest.mark.parametrize("sized", [True, False])
def test_a_body_over_the_limit_is_refused_with_413(sized: bool) -> None:
    with pytest.raises(falcon.HTTPContentTooLarge):
        read_body(request_with(b"x" * (LIMIT + 1), sized=sized), LIMIT)


def test_a_bearer_token_is_read_from_the_authorization_header() -> None:
    headers = {"Authorization": "Bearer  secret "}
    assert bearer_token(request_with(b"", sized=True, headers=headers)) == "secret"
    assert bearer_token(request_with(b"", sized=True, headers={"Authorization": "Basic x"})) is None
    assert token_matches("secret", "secret")
    assert not token_matches(None, "secret")


def test_a_missing_token_is_401_and_a_wrong_one_403() -> None:
    with pytest.raises(falcon.HTTPUnauthorized) as missing:
        require_token(request_with(b"", sized=True), "secret", what="runner token")
    assert missing.value.description == (
        "A runner token is required: Authorization: Bearer <token>"
    )
    wrong = request_with(b"", sized=True, headers={"Authorization": "Bearer nope"})
    with pytest.raises(falcon.HTTPForbidden) as refused:
        require_token(wrong, "secret", what="API token")
    assert refused.value.description == "The API token is not valid"


class _Runner:
    def __init__(self) -> None:
        self.requests: list[RunRequest] = []

    def run(self, request: RunRequest) -> RunResult:
        self.requests.append(request)
        return RunResult(Verdict.PASSED, user_code_output="ran\n")


def test_the_runner_server_reads_a_chunked_body() -> None:
    runner = _Runner()
    app = create_runner_app(runner)
    body = json.dumps(
        {"source_run": "print(1)", "container_type": "python", "cmd_line_args": ["-v code"]}
    ).encode()
    environ = testing.create_environ(method="POST", path="/check", body=body)
    del environ["CONTENT_LENGTH"]
    environ["HTTP_TRANSFER_ENCODING"] = "chunked"
    environ["wsgi.input"] = io.BytesIO(body)
    answer: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        answer["status"] = status

    reply = b"".join(app(environ, start_response))

    assert answer["status"].startswith("200")
    assert json.loads(reply)["status_code"] == 0
    assert [request.source_run for request in runner.requests] == ["print(1)"]
