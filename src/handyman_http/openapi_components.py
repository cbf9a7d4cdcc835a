"""Building blocks of the OpenAPI document: shared responses, headers, parameters, security
schemes, and the small builders every group of paths uses.

A group of paths is an `ApiSection`; the document is the union of its sections, so a new group
of endpoints adds a section instead of editing the others.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

from attrs import field, frozen

from handyman_http.openapi_schemas import Schema, ref

JSON = "application/json"

PathItem = dict[str, Any]
Operation = dict[str, Any]
Response = dict[str, Any]


@frozen
class ApiSection:
    """Paths plus the component schemas only they use."""

    paths: Mapping[str, PathItem]
    schemas: Mapping[str, Schema] = field(factory=dict)


def response_ref(name: str) -> Response:
    return {"$ref": f"#/components/responses/{name}"}


def _header_ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/headers/{name}"}


def json_response(
    description: str, schema: Schema, headers: Mapping[str, dict[str, Any]] | None = None
) -> Response:
    """Every response carries X-Request-Id; `headers` adds others."""
    return {
        "description": description,
        "headers": {"X-Request-Id": _header_ref("RequestId"), **(headers or {})},
        "content": {JSON: {"schema": schema}},
    }


def json_request(schema: Schema, *, required: bool = True) -> dict[str, Any]:
    return {
        "required": required,
        "description": (
            "JSON; also read as JSON when sent as text/plain or form-urlencoded, as the "
            "documented curl calls do. An empty body counts as `{}`."
        ),
        "content": {JSON: {"schema": schema}},
    }


class UserParameter(enum.Enum):
    REQUIRED = "required"
    OPTIONAL = "optional"
    IGNORED = "ignored"


def user_id_parameter(use: UserParameter) -> list[dict[str, Any]]:
    """The original read the user from the query string on every endpoint."""
    if use is UserParameter.IGNORED:
        return []
    return [{"$ref": f"#/components/parameters/{use.value.capitalize()}UserId"}]


HEADERS: dict[str, dict[str, Any]] = {
    "RequestId": {
        "description": "The request's id (the caller's, if well formed); logs carry it.",
        "schema": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,128}$"},
    },
    "RetryAfter": {
        "description": "Seconds to wait before retrying (the runner busy, the database down).",
        "schema": {"type": "integer", "minimum": 0},
    },
    "WwwAuthenticate": {"description": "`Bearer`.", "schema": {"type": "string"}},
    "Allow": {"description": "The methods the path answers.", "schema": {"type": "string"}},
}

_USER_ID_DESCRIPTION = (
    "The learner, in the query string as the site sends it. A positive decimal integer within "
    "signed 64 bits, given once; anything else (empty or repeated too) is a 400."
)

PARAMETERS: dict[str, dict[str, Any]] = {
    "RequiredUserId": {
        "name": "user_id",
        "in": "query",
        "required": True,
        "description": _USER_ID_DESCRIPTION,
        "schema": ref("UserId"),
    },
    "OptionalUserId": {
        "name": "user_id",
        "in": "query",
        "required": False,
        "description": _USER_ID_DESCRIPTION + " Absent means an anonymous visitor.",
        "schema": ref("UserId"),
    },
}


def _error(
    description: str, schema_name: str, headers: Mapping[str, dict[str, Any]] | None = None
) -> Response:
    return json_response(description, ref(schema_name), headers)


_CHALLENGE = {"WWW-Authenticate": _header_ref("WwwAuthenticate")}


_INVALID = (
    "Malformed JSON, a wrong type, a missing field, bad base64, an id outside the grammar, or "
    "a bad `user_id`; `fields` names each problem."
)
_UNAUTHORIZED = "HANDYMAN_API_TOKEN is set and the request carries no bearer token."
_FORBIDDEN_API = "The bearer token is not the API token (nor the admin token)."
_FORBIDDEN_ADMIN = (
    "A token is sent and is not the admin token (refused from any network), or the admin token "
    "is missing, the caller is not in HANDYMAN_ADMIN_NETWORKS and HANDYMAN_ADMIN_TOKEN is not "
    "set, or neither HANDYMAN_ADMIN_TOKEN nor HANDYMAN_ADMIN_NETWORKS is set (then the "
    "endpoint is disabled)."
)
_TOO_LARGE = "The body exceeds the limit (HANDYMAN_BODY_LIMIT, 1 MiB by default)."

RESPONSES: dict[str, Response] = {
    "InvalidRequest": _error(_INVALID, "InvalidRequest"),
    "Unauthorized": _error(_UNAUTHORIZED, "Error", _CHALLENGE),
    "Forbidden": _error(_FORBIDDEN_API, "Error"),
    "NotFound": _error(
        "A well-formed id names no live course, chapter, task, project, example or playground.",
        "Error",
    ),
    "PayloadTooLarge": _error(_TOO_LARGE, "Error"),
    "RunnerUnavailable": _error(
        "The code runner is unavailable, busy, timed out or answered without a verdict; "
        "no progress or attempt was recorded (the original recorded such runs as solved), "
        "only the failed run in the run log.",
        "RunnerUnavailable",
        {"Retry-After": _header_ref("RetryAfter")},
    ),
    "DatabaseUnavailable": _error(
        "The database cannot be used right now (down, frozen, out of connections).",
        "DatabaseUnavailable",
        {"Retry-After": _header_ref("RetryAfter")},
    ),
    "RunnerOrDatabaseUnavailable": json_response(
        "No verdict from the runner (nothing recorded but the failed run), or the database "
        "cannot be used right now; `Retry-After` when retrying makes sense.",
        {"anyOf": [ref("RunnerUnavailable"), ref("DatabaseUnavailable")]},
        {"Retry-After": _header_ref("RetryAfter")},
    ),
    "AccountsDatabaseUnavailable": _error(
        "The database cannot be used right now; nothing was written.",
        "AccountsDatabaseUnavailable",
        {"Retry-After": _header_ref("RetryAfter")},
    ),
    "MethodNotAllowed": json_response(
        "Any method a path does not list answers 405 (merge_users and split_users add "
        '`"status": -1`); OPTIONS answers 200 with `Allow` and no body.',
        {"anyOf": [ref("Error"), ref("AccountsFailure")]},
        {"Allow": _header_ref("Allow")},
    ),
    "AccountsInvalidRequest": _error(_INVALID, "AccountsFailure"),
    "AccountsUnauthorized": _error(
        "No bearer token was sent, and the caller is not on an admin network (or "
        "HANDYMAN_API_TOKEN is set and no token was sent).",
        "AccountsFailure",
        _CHALLENGE,
    ),
    "AccountsForbidden": _error(_FORBIDDEN_ADMIN, "AccountsFailure"),
    "AccountsPayloadTooLarge": _error(_TOO_LARGE, "AccountsFailure"),
}
"""405 is not listed under any operation (no operation produces it); it lives here for clients."""

SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "apiToken": {
        "type": "http",
        "scheme": "bearer",
        "description": (
            "HANDYMAN_API_TOKEN. When the service sets it, every request must carry it; the "
            "admin token is accepted in its place."
        ),
    },
    "adminToken": {
        "type": "http",
        "scheme": "bearer",
        "description": (
            "HANDYMAN_ADMIN_TOKEN, for internal endpoints. Callers from HANDYMAN_ADMIN_NETWORKS "
            "(checked against the peer address) need no token, as the course site sends none."
        ),
    },
}

OPTIONAL_API_TOKEN: list[dict[str, list[str]]] = [{}, {"apiToken": []}]
ADMIN_TOKEN: list[dict[str, list[str]]] = [{"adminToken": []}]


def access_responses() -> dict[str, Response]:
    """What the API-token check can answer on any operation."""
    return {"401": response_ref("Unauthorized"), "403": response_ref("Forbidden")}
