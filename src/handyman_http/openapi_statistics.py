"""The OpenAPI section of the statistics API and the daily figures (docs/learning-analytics.md)."""

from __future__ import annotations

from typing import Any

from handyman_core.daily_report import REPORT_COLUMNS
from handyman_core.lti_passback import MAX_KEY_LENGTH, MAX_TEXT_LENGTH, OUTCOME_URL_PATTERN
from handyman_core.statistics_query import MAX_KEY_LENGTH as MAX_CLIENT_KEY_LENGTH
from handyman_core.statistics_query import MAX_LIMIT, MAX_NAME_LENGTH
from handyman_core.unicode_text import STORABLE_TEXT_PATTERN
from handyman_http.endpoints.statistics import DAILY_PATH, STATISTICS_PATH
from handyman_http.openapi_components import (
    ApiSection,
    Response,
    access_responses,
    json_response,
    response_ref,
)
from handyman_http.openapi_schemas import Schema, closed_object, ref
from handyman_service.statistics import MAX_DAILY_DAYS

STATISTICS_TAG = (
    "statistics",
    "Learning analytics: an LMS's attempts, and the daily figures computed from them.",
)

_TEXT: Schema = {"type": "string"}
_NULLABLE_TEXT: Schema = {"type": ["string", "null"]}
_RATE: Schema = {
    "type": ["number", "null"],
    "minimum": 0,
    "maximum": 1,
    "description": "correct / submits; null without submits.",
}
_COUNT: Schema = {"type": "integer", "minimum": 0}
_MEDIAN: Schema = {
    "type": ["number", "null"],
    "minimum": 1,
    "description": "Median over solvers of their submits up to the first correct one that day.",
}


def _item(key: str, extra: dict[str, Schema] | None = None) -> Schema:
    return closed_object(
        {
            key: _TEXT,
            **(extra or {}),
            "attempts": _COUNT,
            "submits": _COUNT,
            "correct": _COUNT,
            "success_rate": _RATE,
            "solvers": _COUNT,
            "median_attempts_to_success": _MEDIAN,
        }
    )


SCHEMAS: dict[str, Schema] = {
    "PassbackParams": closed_object(
        {
            "oauth_consumer_key": {
                "type": "string",
                "minLength": 1,
                "maxLength": MAX_KEY_LENGTH,
                "pattern": STORABLE_TEXT_PATTERN,
            },
            "lis_result_sourcedid": {
                "type": ["string", "null"],
                "maxLength": MAX_TEXT_LENGTH,
                "pattern": STORABLE_TEXT_PATTERN,
            },
            "lis_outcome_service_url": {
                "type": ["string", "null"],
                "maxLength": MAX_TEXT_LENGTH,
                "pattern": OUTCOME_URL_PATTERN,
                "description": "An http:// or https:// URL: a host, then perhaps a path, query "
                "or fragment; no spaces or control characters. Empty means none.",
            },
            "lms_user_id": {
                "type": ["string", "null"],
                "maxLength": MAX_KEY_LENGTH,
                "pattern": STORABLE_TEXT_PATTERN,
            },
        },
        required=("oauth_consumer_key",),
        description=(
            "LTI 1.1 passback parameters, as an LMS sends them; stored with the attempt. Strings "
            "without NUL characters (or lone surrogate escapes). Unknown keys are refused (400 "
            "naming `passback_params.<key>`)."
        ),
    ),
    "StatisticsRecord": closed_object(
        {
            "user_id": {
                "type": "string",
                "description": "The LMS's learner id when it sent one, else Handyman's user id.",
            },
            "passback_params": {
                "type": "object",
                "description": "The three LTI keys (and `lms_user_id` when sent); `{}` for "
                "attempts made outside any LMS.",
                "properties": {
                    "oauth_consumer_key": _TEXT,
                    "lis_result_sourcedid": _TEXT,
                    "lis_outcome_service_url": _TEXT,
                    "lms_user_id": _TEXT,
                },
                "additionalProperties": False,
            },
            "is_correct": {"enum": [1, 0, None], "description": "Null for runs."},
            "attempt_type": {"enum": ["submit", "run"]},
            "created_at": {
                "type": "string",
                "format": "date-time",
                "description": "RFC 3339, UTC (`Z`), six fraction digits.",
            },
            "attempt_id": {"type": "integer", "minimum": 1},
            "handyman_user_id": ref("UserId"),
            "item_kind": {"enum": ["task", "project", "playground"]},
            "task_id": {
                "type": ["string", "null"],
                "description": "The task, or the practice project; null for playground runs.",
            },
            "course_id": _NULLABLE_TEXT,
        },
        description="One attempt in the seed vendor's record shape plus Handyman's ids.",
    ),
    "DailyStats": closed_object(
        {
            "from": {"type": "string", "format": "date"},
            "to": {"type": "string", "format": "date"},
            "client": _NULLABLE_TEXT,
            "days": {"type": "array", "items": ref("ClientDay")},
        }
    ),
    "ClientDay": closed_object(
        {
            "day": {"type": "string", "format": "date"},
            "client": {"type": "string", "description": 'oauth_consumer_key; "" outside LMSs.'},
            "time_zone": _TEXT,
            "computed_at": {"type": "string", "format": "date-time"},
            "attempts": _COUNT,
            "submits": _COUNT,
            "runs": _COUNT,
            "correct": _COUNT,
            "success_rate": _RATE,
            "unique_users": _COUNT,
            "unique_tasks": _COUNT,
            "courses": {"type": "array", "items": _item("course_id")},
            "tasks": {"type": "array", "items": _item("task_id", {"course_id": _TEXT})},
            "hardest_tasks": {
                "type": "array",
                "items": _TEXT,
                "description": "Task keys, lowest success rate first (at least 5 submits).",
            },
        }
    ),
}


def _query(name: str, schema: Schema, description: str, *, required: bool = False) -> Any:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": schema,
    }


INSTANT_FORMAT = "handyman-instant"
DAY_FORMAT = "handyman-day"
CURSOR_FORMAT = "handyman-cursor"
_INSTANT_PATTERN = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"([Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]{1,6})?([Zz]|[+ -][0-9]{2}:[0-9]{2})?)?$"
)


def _instant(example: str) -> Schema:
    return {
        "type": "string",
        "format": INSTANT_FORMAT,
        "pattern": _INSTANT_PATTERN,
        "example": example,
        "description": "A real date and time between 1970 and 9998.",
    }


def _day(example: str) -> Schema:
    return {
        "type": "string",
        "format": DAY_FORMAT,
        "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
        "example": example,
        "description": "A real date between 1970 and 9998.",
    }


def _unauthorized() -> Response:
    return {
        **json_response(
            "The client or its key is not valid (the same answer for both).", ref("Error")
        ),
        "headers": {
            "X-Request-Id": {"$ref": "#/components/headers/RequestId"},
            "WWW-Authenticate": {"$ref": "#/components/headers/WwwAuthenticate"},
        },
    }


def statistics_section() -> ApiSection:
    statistics = {
        "operationId": "statistics",
        "tags": [STATISTICS_TAG[0]],
        "summary": "An LMS's attempts in a time window",
        "description": (
            "The attempts of the client's LMSs (all attempts for a client added without "
            "consumer keys) with `start <= created_at < end`, ordered by (`created_at`, "
            "`attempt_id`). Without `limit` the whole window is streamed in one answer; with "
            f"it (1 to {MAX_LIMIT}), a page, and when more follow a `Link: <...>; "
            'rel="next"` header with every parameter but `client_key`, plus `cursor`. The '
            "client's key replaces the API token here. The window may span at most "
            "HANDYMAN_STATS_MAX_RANGE_DAYS (31) days."
        ),
        "security": [{}],
        "parameters": [
            _query(
                "client",
                {"type": "string", "minLength": 1, "maxLength": MAX_NAME_LENGTH},
                "The client's name.",
                required=True,
            ),
            _query(
                "client_key",
                {"type": "string", "minLength": 1, "maxLength": MAX_CLIENT_KEY_LENGTH},
                "The client's key.",
                required=True,
            ),
            _query(
                "start",
                _instant("2026-12-01 00:00:00"),
                "Included. `YYYY-MM-DD HH:MM:SS[.ffffff]` (UTC), RFC 3339, or a date.",
                required=True,
            ),
            _query(
                "end",
                _instant("2026-12-02 00:00:00"),
                "Excluded; after `start`, and at most HANDYMAN_STATS_MAX_RANGE_DAYS later.",
                required=True,
            ),
            _query(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
                "Records per page; none: the whole window.",
            ),
            _query(
                "cursor",
                {"type": "string", "format": CURSOR_FORMAT},
                "From a `next` link.",
            ),
        ],
        "responses": {
            "200": json_response(
                "The records, oldest first.",
                {"type": "array", "items": ref("StatisticsRecord")},
                {"Link": {"description": "The next page, when there is one.", "schema": _TEXT}},
            ),
            "400": response_ref("InvalidRequest"),
            "401": _unauthorized(),
        },
    }
    daily = {
        "operationId": "daily_stats",
        "tags": [STATISTICS_TAG[0]],
        "summary": "Stored daily figures",
        "description": (
            "The days `handyman stats daily` computed and stored, from `from` to `to` (both "
            f"included, at most {MAX_DAILY_DAYS} days), by day then client; `client` keeps one "
            "LMS. With `Accept: text/csv`, the CSV export's rows ("
            + ", ".join(REPORT_COLUMNS)
            + ")."
        ),
        "parameters": [
            _query("from", _day("2026-12-01"), "First day.", required=True),
            _query("to", _day("2026-12-01"), "Last day; not before `from`.", required=True),
            _query("client", {"type": "string"}, "Only this oauth_consumer_key."),
        ],
        "responses": {
            "200": {
                "description": "The stored days.",
                "headers": {"X-Request-Id": {"$ref": "#/components/headers/RequestId"}},
                "content": {
                    "application/json": {"schema": ref("DailyStats")},
                    "text/csv": {"schema": {"type": "string"}},
                },
            },
            "400": response_ref("InvalidRequest"),
            **access_responses(),
        },
    }
    return ApiSection({STATISTICS_PATH: {"get": statistics}, DAILY_PATH: {"get": daily}}, SCHEMAS)
