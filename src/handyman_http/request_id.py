"""Every response carries an X-Request-Id, and every log line of the request carries it too."""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from typing import Any

import falcon

HEADER = "X-Request-Id"
_ACCEPTABLE = re.compile(r"[A-Za-z0-9._-]{1,128}")
current_request_id: contextvars.ContextVar[str] = contextvars.ContextVar(
    "current_request_id", default="-"
)


class RequestIdMiddleware:
    """Reuses a well-formed incoming id (a proxy's), else makes a new one."""

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        incoming = req.get_header(HEADER)
        request_id = incoming if incoming and _ACCEPTABLE.fullmatch(incoming) else uuid.uuid4().hex
        req.context.request_id = request_id
        current_request_id.set(request_id)
        resp.set_header(HEADER, request_id)

    def process_resource(
        self, req: falcon.Request, resp: falcon.Response, resource: object, params: dict[str, Any]
    ) -> None:
        req.context.resource = resource


class RequestIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get()
        return True
