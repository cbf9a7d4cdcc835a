"""/health and /openapi.json: for operators and client generators, not for the site."""

from __future__ import annotations

import falcon

from handyman_http.endpoints.base import Endpoint
from handyman_http.error_responses import report_unavailable
from handyman_http.openapi import openapi_document
from handyman_service.health import check_health


class Health(Endpoint):
    """Healthy means the database answers (within the serving timeouts, so a frozen database
    is reported in seconds); when it does not, the body names it as the dependency that is down."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        report = check_health(self.context)
        runner = "configured" if report.runner_configured else "none"
        error = report.database_failure
        if error is not None:
            report_unavailable(error)
            resp.status = falcon.HTTP_503
            resp.set_header("Retry-After", str(error.retry_after_seconds))
            resp.media = {
                "status": "unavailable",
                "unavailable": [error.dependency],
                "database": "unavailable",
                "runner": runner,
                "error": "The database does not answer",
            }
            return
        resp.media = {"status": "ok", "database": "ok", "runner": runner}
        if report.run_limits is not None:
            resp.media["run_limits"] = report.run_limits
        if report.languages:
            resp.media["languages"] = {
                support.language.value: {"available": support.available, "detail": support.detail}
                for support in report.languages
            }


class OpenApi(Endpoint):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = openapi_document()
