"""A request's JSON object body, read within the body limit (`handyman_falcon.bodies`)."""

from __future__ import annotations

import falcon

from handyman_core.errors import InvalidInput
from handyman_falcon.bodies import read_body
from handyman_http.request_body import parse_json_object

_JSON_CARRIERS = {"application/json", "text/plain", "application/x-www-form-urlencoded", ""}


def read_json_object(req: falcon.Request, limit: int) -> dict[str, object]:
    """The seed's documented `curl -d '{...}'` calls send form-urlencoded JSON, so those content
    types are read as JSON too; anything else is a client error."""
    content_type = (req.content_type or "application/json").split(";")[0].strip().lower()
    if content_type not in _JSON_CARRIERS and not content_type.endswith("+json"):
        raise InvalidInput({"body": "must be JSON (Content-Type: application/json)"})
    return parse_json_object(read_body(req, limit))
