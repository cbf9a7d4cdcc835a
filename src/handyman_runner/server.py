"""The original runner's HTTP API (`/check`, `/playground`, `/practice`) in front of any Runner,
so that a Handyman, or the original Handyman, can send its runs to another host.

Replies follow watchman: a verdict is `{"status_code", "user_code_output"[, "tests_output"]}`;
a request the runner cannot read is answered `{"output": "<why>"}`, and a runner that cannot
take the run now `{"error": ...}` with HTTP 503 (and Retry-After when it is busy). Neither
carries a `status_code`, so a client that reads them (Handyman's `RemoteRunner`) sees no
verdict and records nothing. A failure inside the runner is watchman's code 3, "Internal
error", which is no verdict either.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import falcon

from handyman_core.errors import InvalidInput, RunnerUnavailable
from handyman_core.run_protocol import (
    ReportsResourceIsolation,
    Runner,
    RunRequest,
    RunResult,
    Verdict,
)
from handyman_core.watchman_protocol import (
    CHECK_PATH,
    PLAYGROUND_PATH,
    PRACTICE_PATH,
    parse_check_body,
    parse_playground_body,
    parse_practice_body,
    result_body,
)
from handyman_falcon.bearer import require_token
from handyman_falcon.bodies import read_body

log = logging.getLogger("handyman.runner.server")

DEFAULT_BODY_LIMIT = 4 * 1024 * 1024
"""A task body holds the learner's code up to three times (run wrapper, test wrapper, escaped)."""
HEALTH_PATH = "/health"

INTERNAL_ERROR = RunResult(Verdict.INTERNAL_ERROR, user_code_output="Internal error")

WsgiApp = falcon.App[falcon.Request, falcon.Response]


def create_runner_app(
    runner: Runner, *, body_limit: int = DEFAULT_BODY_LIMIT, token: str | None = None
) -> WsgiApp:
    """`token`, when given, is required as `Authorization: Bearer <token>` on the run endpoints;
    `/health` stays open for load balancers."""
    app = falcon.App(middleware=[_TokenCheck(token)] if token else [])
    app.add_route(CHECK_PATH, _RunEndpoint(runner, parse_check_body, body_limit))
    app.add_route(PLAYGROUND_PATH, _RunEndpoint(runner, parse_playground_body, body_limit))
    app.add_route(PRACTICE_PATH, _RunEndpoint(runner, parse_practice_body, body_limit))
    app.add_route(HEALTH_PATH, _Health(runner))
    app.add_error_handler(Exception, _unexpected)
    app.add_error_handler(falcon.HTTPError, _http_error)
    app.add_error_handler(InvalidInput, _invalid_input)
    app.add_error_handler(RunnerUnavailable, _busy)
    return app


class _RunEndpoint:
    def __init__(
        self, runner: Runner, parse: Callable[[object], RunRequest], body_limit: int
    ) -> None:
        self._runner = runner
        self._parse = parse
        self._body_limit = body_limit

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        request = self._parse(_json_body(req, self._body_limit))
        try:
            result = self._runner.run(request)
        except RunnerUnavailable:
            raise
        except Exception:
            log.exception("the runner failed on a %s run", request.kind)
            result = INTERNAL_ERROR
        resp.media = result_body(result)


class _Health:
    def __init__(self, runner: Runner) -> None:
        self._runner = runner

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """`run_limits` says whether a run's processes share their limits (a cgroup per run)
        or each has its own."""
        resp.media = {"status": "ok"}
        if isinstance(self._runner, ReportsResourceIsolation):
            resp.media["run_limits"] = self._runner.resource_isolation


class _TokenCheck:
    """Missing token 401, wrong token 403, compared in constant time."""

    def __init__(self, token: str) -> None:
        self._token = token

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        if req.path != HEALTH_PATH:
            require_token(req, self._token, what="runner token")


def _json_body(req: falcon.Request, limit: int) -> object:
    """Any content type is read as JSON, as watchman did; a chunked body as well as a sized one."""
    raw = read_body(req, limit)
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise falcon.HTTPBadRequest(description="Invalid request: the body is not JSON") from None


def _invalid_input(
    req: falcon.Request, resp: falcon.Response, error: InvalidInput, params: dict[str, Any]
) -> None:
    problems = "; ".join(f"{field}: {problem}" for field, problem in error.fields.items())
    resp.status = falcon.HTTP_400
    resp.media = {"output": f"Invalid request: {problems or error.message}"}


def _busy(
    req: falcon.Request, resp: falcon.Response, error: RunnerUnavailable, params: dict[str, Any]
) -> None:
    """Retry-After only when the runner says when: a host that lacks a language, unlike a busy
    one, will not have it in a second either."""
    log.warning("a run was turned away: %s", error.message)
    resp.status = falcon.HTTP_503
    if error.retry_after is not None:
        resp.set_header("Retry-After", str(error.retry_after))
    resp.media = {"error": "The runner cannot take this run now"}


def _http_error(
    req: falcon.Request, resp: falcon.Response, error: falcon.HTTPError, params: dict[str, Any]
) -> None:
    resp.status = error.status
    if error.headers:
        resp.set_headers(error.headers)
    resp.media = {"output": error.description or error.title or "Request failed"}


def _unexpected(
    req: falcon.Request, resp: falcon.Response, error: Exception, params: dict[str, Any]
) -> None:
    log.exception("unhandled error in %s %s", req.method, req.path)
    resp.status = falcon.HTTP_500
    resp.media = {"error": "Internal server error"}
