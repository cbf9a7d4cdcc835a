"""Reading a request body without letting a client make us buffer more than the limit."""

from __future__ import annotations

import falcon

from handyman_core.errors import InvalidInput
from handyman_http.request_body import parse_json_object


def read_body(req: falcon.Request, limit: int) -> bytes:
    if req.content_length is not None and req.content_length > limit:
        raise falcon.HTTPContentTooLarge(description=f"The request body exceeds {limit} bytes")
    # Falcon's bounded stream reads nothing without a Content-Length; a chunked body is read
    # from the server's stream, which gunicorn de-chunks, still capped at limit + 1 bytes.
    stream = req.bounded_stream if req.content_length is not None else req.stream
    raw: bytes = stream.read(limit + 1)
    if len(raw) > limit:
        raise falcon.HTTPContentTooLarge(description=f"The request body exceeds {limit} bytes")
    return raw


_JSON_CARRIERS = {"application/json", "text/plain", "application/x-www-form-urlencoded", ""}


def read_json_object(req: falcon.Request, limit: int) -> dict[str, object]:
    """The seed's documented `curl -d '{...}'` calls send form-urlencoded JSON, so those content
    types are read as JSON too; anything else is a client error."""
    content_type = (req.content_type or "application/json").split(";")[0].strip().lower()
    if content_type not in _JSON_CARRIERS and not content_type.endswith("+json"):
        raise InvalidInput({"body": "must be JSON (Content-Type: application/json)"})
    return parse_json_object(read_body(req, limit))
