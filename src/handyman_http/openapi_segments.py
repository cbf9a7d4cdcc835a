"""The OpenAPI section of user segments (docs/segments.md): segments, users' memberships and
the history report."""

from __future__ import annotations

from typing import Any

from handyman_core.segment_changes import MAX_ENTRIES
from handyman_core.segment_history import Operation
from handyman_core.segment_membership import Source
from handyman_core.segments import BUCKETS, MAX_DESCRIPTION_LENGTH, SEGMENT_NAME_RE
from handyman_core.unicode_text import STORABLE_TEXT_PATTERN
from handyman_http.openapi_components import (
    ADMIN_TOKEN,
    OPTIONAL_API_TOKEN,
    ApiSection,
    Response,
    access_responses,
    json_request,
    json_response,
    response_ref,
)
from handyman_http.openapi_components import (
    Operation as ApiOperation,
)
from handyman_http.openapi_schemas import Schema, array_of, closed_object, ref
from handyman_http.openapi_statistics import INSTANT_FORMAT

SEGMENTS_PATH = "/api/v1/segments"
SEGMENT_PATH = SEGMENTS_PATH + "/{name}"
USER_SEGMENTS_PATH = "/api/v1/users/{user_id}/segments"
SEGMENT_REPORT_PATH = "/api/v1/reports/segments"
SEGMENTS_TAG = ("segments", "User segments: explicit members, percentage rollouts, history.")
CSV = "text/csv; charset=utf-8"

_TIME: Schema = {"type": "string", "format": "date-time", "description": "RFC 3339, UTC (`Z`)."}
_MAYBE_TIME: Schema = {**_TIME, "type": ["string", "null"]}
_NAME: Schema = {
    "type": "string",
    "pattern": f"^{SEGMENT_NAME_RE.pattern}$",
    "maxLength": 64,
    "description": "An uppercase letter, then up to 63 uppercase letters, digits or `_`.",
    "examples": ["BETA_RUST_COURSE"],
}
_PERCENTAGE: Schema = {
    "type": "number",
    "minimum": 0,
    "maximum": 100,
    "multipleOf": 0.01,
    "description": (
        f"The share of all user ids in the rollout, to a hundredth ({BUCKETS} buckets: user u "
        "is in iff its bucket, the first 8 bytes of sha256(`<salt>:<u>`) modulo 10000, is "
        "below 100 times the percentage). 0 is explicit members only."
    ),
}
_DESCRIPTION: Schema = {
    "type": "string",
    "maxLength": MAX_DESCRIPTION_LENGTH,
    "pattern": STORABLE_TEXT_PATTERN,
    "description": "Text without NUL characters or lone surrogate escapes (400 otherwise).",
}


_INSTANT: Schema = {
    "type": "string",
    "format": INSTANT_FORMAT,
    "pattern": (
        r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"
        r"([Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]{1,6})?([Zz]|[+ -][0-9]{2}:[0-9]{2})?)?$"
    ),
    "description": (
        "A real date and time between 1970 and 9998, as `core.instants` reads them: RFC 3339 "
        "(`2026-09-01T00:00:00Z`, an offset), or without a zone (UTC), or a bare date (its "
        "midnight, UTC)."
    ),
}


def _instant(example: str) -> Schema:
    return {**_INSTANT, "example": example}


_MONTH = "^(19[7-9][0-9]|[2-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])-(0[1-9]|1[0-2])$"

SCHEMAS: dict[str, Schema] = {
    "SegmentName": _NAME,
    "Segment": closed_object(
        {
            "id": {
                "type": "integer",
                "minimum": 1,
                "description": "Tells apart a deleted segment from a later one of its name.",
            },
            "name": ref("SegmentName"),
            "description": _DESCRIPTION,
            "percentage": _PERCENTAGE,
            "salt": {"type": "string", "description": "Mixed into every user's bucket."},
            "created_at": _TIME,
            "deleted": {"type": "boolean"},
            "deleted_at": _MAYBE_TIME,
            "members": {
                "type": "integer",
                "minimum": 0,
                "description": "Explicit members now (a rollout's members are not counted).",
            },
        }
    ),
    "SegmentList": closed_object(
        {
            "segments": array_of(
                ref("Segment"), description="By name, then id; deleted segments included."
            )
        }
    ),
    "NewSegment": {
        "type": "object",
        "properties": {
            "name": ref("SegmentName"),
            "percentage": {**_PERCENTAGE, "default": 0},
            "description": {**_DESCRIPTION, "default": ""},
        },
        "required": ["name"],
        "additionalProperties": False,
        "description": "A key not listed here is refused (400), not ignored.",
    },
    "SegmentEdit": {
        "type": "object",
        "properties": {"percentage": _PERCENTAGE, "description": _DESCRIPTION},
        "minProperties": 1,
        "additionalProperties": False,
        "description": "At least one of the two; a key not listed here is refused (400).",
    },
    "MembershipChange": {
        "type": "object",
        "properties": {
            "add": array_of(
                {
                    "type": "object",
                    "properties": {
                        "name": ref("SegmentName"),
                        "expires_at": {
                            "anyOf": [_instant("2099-01-01T00:00:00Z"), {"type": "null"}],
                            "description": "When the membership ends, after the request is "
                            "made (400 otherwise); absent or null: never.",
                        },
                    },
                    "required": ["name"],
                    "additionalProperties": False,
                },
                maxItems=MAX_ENTRIES,
            ),
            "remove": array_of(ref("SegmentName"), maxItems=MAX_ENTRIES, uniqueItems=True),
        },
        "additionalProperties": False,
        "anyOf": [
            {"required": ["add"], "properties": {"add": {"minItems": 1}}},
            {"required": ["remove"], "properties": {"remove": {"minItems": 1}}},
        ],
        "description": (
            "At least one entry in all. Rules across entries, which a schema cannot state, are "
            "checked too (400 naming every entry): no name twice in `add`, none both added and "
            "removed, every `expires_at` after the request."
        ),
    },
    "ActiveSegment": closed_object(
        {
            "name": ref("SegmentName"),
            "source": {"type": "string", "enum": [source.value for source in Source]},
            "since": {
                **_MAYBE_TIME,
                "description": (
                    "When the explicit membership began, or when the rollout reached the user."
                ),
            },
            "expires_at": _MAYBE_TIME,
        }
    ),
    "UserSegments": closed_object(
        {
            "user_id": ref("UserId"),
            "segments": array_of(ref("ActiveSegment"), description="By name."),
        }
    ),
    "SegmentRefusal": closed_object(
        {
            "error": {"type": "string"},
            "fields": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "Each offending entry (`add[0].name`, `remove[1]`...) and why.",
            },
        },
        required=("error",),
    ),
    "SegmentReportRow": closed_object(
        {
            "user_id": {
                "anyOf": [ref("UserId"), {"type": "null"}],
                "description": "Null on a segment-level row (a change of the percentage).",
            },
            "segment": ref("SegmentName"),
            "operation": {"type": "string", "enum": [op.value for op in Operation]},
            "at": _TIME,
            "percentage": {
                "anyOf": [_PERCENTAGE, {"type": "null"}],
                "description": "The percentage from `at` on; segment-level rows only.",
            },
            "segment_id": {"type": "integer", "minimum": 1},
        }
    ),
    "SegmentReport": closed_object(
        {
            "from": _TIME,
            "to": _TIME,
            "rows": array_of(ref("SegmentReportRow")),
        }
    ),
}

_ADMIN_FORBIDDEN = (
    "A wrong API token; or the admin token is missing and the caller is not in "
    "HANDYMAN_ADMIN_NETWORKS, or a token is sent and wrong (refused from any network); or "
    "neither HANDYMAN_ADMIN_TOKEN nor HANDYMAN_ADMIN_NETWORKS is set."
)
_ADMIN_SECURITY = [*ADMIN_TOKEN, {}]
"""The admin token, or (no token) a caller from HANDYMAN_ADMIN_NETWORKS."""


def _path_name(description: str) -> dict[str, Any]:
    return {
        "name": "name",
        "in": "path",
        "required": True,
        "description": description,
        "schema": ref("SegmentName"),
    }


_USER = {
    "name": "user_id",
    "in": "path",
    "required": True,
    "description": "The learner; a malformed value is a 400.",
    "schema": ref("UserId"),
}


def _refusal(description: str) -> Response:
    return json_response(description, ref("SegmentRefusal"))


def _operation(
    operation_id: str,
    summary: str,
    description: str,
    responses: dict[str, Response],
    *,
    parameters: list[dict[str, Any]] | None = None,
    admin: bool = False,
) -> ApiOperation:
    operation: ApiOperation = {
        "operationId": operation_id,
        "tags": [SEGMENTS_TAG[0]],
        "summary": summary,
        "description": description,
        "parameters": parameters or [],
        "security": _ADMIN_SECURITY if admin else OPTIONAL_API_TOKEN,
        "responses": dict(sorted({**access_responses(), **responses}.items())),
    }
    if admin:
        operation["responses"]["403"] = json_response(_ADMIN_FORBIDDEN, ref("Error"))
    return operation


def segments_section() -> ApiSection:
    segment = ref("Segment")
    create = _operation(
        "create_segment",
        "Create a segment",
        "A live segment's name is unique; a deleted one's may be used again, for a new segment "
        "with a new id and salt that shares nothing with the old one.",
        {
            "201": json_response(
                "The new segment.",
                segment,
                {"Location": {"description": "Its URL.", "schema": {"type": "string"}}},
            ),
            "400": response_ref("InvalidRequest"),
            "409": json_response("A live segment has this name.", ref("Error")),
            "413": response_ref("PayloadTooLarge"),
        },
        admin=True,
    )
    create["requestBody"] = json_request(ref("NewSegment"))
    listing = _operation(
        "list_segments",
        "List segments",
        "Every segment, deleted ones included (flagged), with its explicit members now.",
        {"200": json_response("The segments.", ref("SegmentList"))},
    )
    show = _operation(
        "get_segment",
        "Show a segment",
        "The live segment of this name, else the latest deleted one.",
        {
            "200": json_response("The segment.", segment),
            "400": response_ref("InvalidRequest"),
            "404": json_response("No segment ever had this name.", ref("Error")),
        },
        parameters=[_path_name("The segment's name.")],
    )
    change = _operation(
        "change_segment",
        "Change a segment's percentage or description",
        "Raising the percentage only adds users, lowering it only removes them; the history "
        "gets a segment-level row.",
        {
            "200": json_response("The segment as changed.", segment),
            "400": response_ref("InvalidRequest"),
            "404": json_response("No segment ever had this name.", ref("Error")),
            "409": json_response("The segment is deleted.", ref("Error")),
            "413": response_ref("PayloadTooLarge"),
        },
        parameters=[_path_name("The live segment to change.")],
        admin=True,
    )
    change["requestBody"] = json_request(ref("SegmentEdit"))
    delete = _operation(
        "delete_segment",
        "Delete a segment",
        "A soft delete: the segment stays, flagged; its members leave it now; its history stays.",
        {
            "200": json_response("The segment as deleted.", segment),
            "400": response_ref("InvalidRequest"),
            "404": json_response("No segment ever had this name.", ref("Error")),
            "409": json_response("The segment is already deleted.", ref("Error")),
        },
        parameters=[_path_name("The live segment to delete.")],
        admin=True,
    )
    user_segments = ref("UserSegments")
    read_user = _operation(
        "get_user_segments",
        "A user's segments now",
        "Explicit memberships not expired (evaluated at this instant), and rollouts that "
        "cover the user and do not exclude them.",
        {
            "200": json_response("The user's segments.", user_segments),
            "400": response_ref("InvalidRequest"),
        },
        parameters=[_USER],
    )
    change_user = _operation(
        "change_user_segments",
        "Add a user to segments and remove it from others, in one call",
        "All or nothing. Every offending entry is named in `fields`: 400 for malformed "
        "entries; 404 for a name no segment ever had; 409 for entries that contradict each "
        "other or the segments (a name listed twice, a name both added and removed, an expiry "
        "not after the request, a deleted segment). The first of these that occurs gives the "
        "status.",
        {
            "200": json_response("The user's segments after the change.", user_segments),
            "400": _refusal("Malformed entries, named."),
            "404": _refusal("Unknown segments, named."),
            "409": _refusal("Contradictory entries and deleted segments, named."),
            "413": response_ref("PayloadTooLarge"),
        },
        parameters=[_USER],
        admin=True,
    )
    change_user["requestBody"] = json_request(ref("MembershipChange"))
    report = _operation(
        "segment_report",
        "Segment history report",
        "Membership changes, expiries, deletions (members leaving) and percentage changes "
        "(segment-level rows) in the period, by time, streamed. CSV columns: "
        "`user_id,segment,operation,at,percentage`. The period is the intersection of the "
        "bounds given (`month`, `from`, `to`; a missing one is open), the current UTC month "
        "when none is; bounds that leave nothing between them give no rows.",
        {
            "200": {
                "description": "The rows (a period without events: the header only).",
                "headers": {"X-Request-Id": {"$ref": "#/components/headers/RequestId"}},
                "content": {
                    CSV: {"schema": {"type": "string"}},
                    "application/json": {"schema": ref("SegmentReport")},
                },
            },
            "400": response_ref("InvalidRequest"),
        },
        parameters=[
            _query(
                "month",
                {"type": "string", "pattern": _MONTH},
                "A UTC calendar month, 1970-01 to 9998-12. Give it, or `from` and `to`.",
            ),
            _query(
                "from",
                _instant("2026-06-01T00:00:00Z"),
                "Start (included); with `to`, instead of `month`.",
            ),
            _query("to", _instant("2026-07-01T00:00:00Z"), "End (excluded), after `from`."),
            _query(
                "format",
                {"type": "string", "enum": ["csv", "json"]},
                "CSV unless `json` (or `Accept: application/json`).",
            ),
        ],
    )
    return ApiSection(
        {
            SEGMENTS_PATH: {"get": listing, "post": create},
            SEGMENT_PATH: {"get": show, "patch": change, "delete": delete},
            USER_SEGMENTS_PATH: {"get": read_user, "post": change_user},
            SEGMENT_REPORT_PATH: {"get": report},
        },
        SCHEMAS,
    )


def _query(name: str, schema: Schema, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
    }
