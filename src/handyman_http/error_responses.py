"""The one place where errors become HTTP responses (docs/behaviour.md, "Errors").

Bodies never carry stack traces, SQL, paths or library messages: only our own messages.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import falcon

from handyman_core.errors import (
    CatalogueInvalid,
    Conflict,
    DependencyUnavailable,
    Forbidden,
    HandymanError,
    InvalidInput,
    NotFound,
    RunnerUnavailable,
    TooManyRuns,
    Unauthorized,
)
from handyman_http.outage_log import OutageLog

log = logging.getLogger("handyman.http")
outages = OutageLog(log)

_STATUS_OF = {
    InvalidInput: falcon.HTTP_400,
    Unauthorized: falcon.HTTP_401,
    NotFound: falcon.HTTP_404,
    Forbidden: falcon.HTTP_403,
    Conflict: falcon.HTTP_409,
    RunnerUnavailable: falcon.HTTP_503,
    TooManyRuns: falcon.HTTP_429,
    DependencyUnavailable: falcon.HTTP_503,
    CatalogueInvalid: falcon.HTTP_400,
}


def report_unavailable(error: DependencyUnavailable) -> None:
    outages.failed(error.dependency, error.message)


def error_body(message: str, **extra: Any) -> dict[str, Any]:
    return {"error": message, **extra}


def _failure_extras(req: falcon.Request) -> dict[str, Any]:
    """Endpoints such as merge_users add `{"status": -1}` to every failure (docs/behaviour.md,
    "Merge and split")."""
    resource = getattr(req.context, "resource", None)
    extras: dict[str, Any] = getattr(resource, "failure_extras", {})
    return extras


def handle_domain_error(
    req: falcon.Request, resp: falcon.Response, error: HandymanError, params: dict[str, Any]
) -> None:
    status = next(
        (code for kind, code in _STATUS_OF.items() if isinstance(error, kind)), falcon.HTTP_400
    )
    body = {**_failure_extras(req), **error_body(error.message)}
    if isinstance(error, InvalidInput):
        body["fields"] = error.fields
    if isinstance(error, Unauthorized):
        resp.set_header("WWW-Authenticate", 'ClientKey realm="statistics"')
    if isinstance(error, NotFound | Conflict) and error.fields:
        body["fields"] = error.fields
    if isinstance(error, RunnerUnavailable):
        log.warning("runner unavailable: %s", error.message)
        body["error"] = "Couldn't communicate with tasks runner"
        if error.retry_after is not None:
            resp.set_header("Retry-After", str(error.retry_after))
    if isinstance(error, TooManyRuns):
        resp.set_header("Retry-After", str(error.retry_after))
    if isinstance(error, DependencyUnavailable):
        report_unavailable(error)
        body["error"] = f"{error.dependency.capitalize()} unavailable"
        body["unavailable"] = error.dependency
        resp.set_header("Retry-After", str(error.retry_after_seconds))
    resp.status = status
    resp.media = body


def handle_http_error(
    req: falcon.Request, resp: falcon.Response, error: falcon.HTTPError, params: dict[str, Any]
) -> None:
    message = error.description or error.title or "Request failed"
    resp.status = error.status
    resp.media = {**_failure_extras(req), **error_body(message)}
    if error.headers:
        resp.set_headers(error.headers)


def unexpected_errors(
    dependency_failure: Callable[[BaseException], DependencyUnavailable | None],
) -> Callable[[falcon.Request, falcon.Response, Exception, dict[str, Any]], None]:
    """A dependency that cannot be used right now (the database, as `dependency_failure` reads
    the adapter's errors) is a 503; anything else unexpected is a 500 with its traceback in the
    log."""

    def handle_unexpected(
        req: falcon.Request, resp: falcon.Response, error: Exception, params: dict[str, Any]
    ) -> None:
        unavailable = dependency_failure(error)
        if unavailable is not None:
            handle_domain_error(req, resp, unavailable, params)
            return
        log.exception("unhandled error in %s %s", req.method, req.path)
        resp.status = falcon.HTTP_500
        resp.media = error_body("Internal server error")

    return handle_unexpected


def install(
    app: falcon.App[falcon.Request, falcon.Response],
    dependency_failure: Callable[[BaseException], DependencyUnavailable | None],
) -> None:
    """Falcon checks handlers most-recently-added first, so the generic one goes first."""
    app.add_error_handler(Exception, unexpected_errors(dependency_failure))
    app.add_error_handler(falcon.HTTPError, handle_http_error)
    app.add_error_handler(HandymanError, handle_domain_error)
