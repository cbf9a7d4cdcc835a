"""The OpenAPI section of /api/v1/runs: tracked runs, their schemas and parameters."""

from __future__ import annotations

from typing import Any

from handyman_core.run_lifecycle import RUN_ID_PATTERN, RunStatus
from handyman_core.run_protocol import Language, RunKind, Verdict
from handyman_http.endpoints.runs import (
    COUNT_LIMITS,
    DEFAULT_PAGE_SIZE,
    MAX_LIMIT_COUNT,
    MAX_LIMIT_SECONDS,
    MAX_OFFSET,
    MAX_PAGE_SIZE,
    RUNS_PATH,
    SECONDS_LIMITS,
)
from handyman_http.openapi_components import (
    ApiSection,
    Operation,
    Response,
    access_responses,
    json_request,
    json_response,
    response_ref,
)
from handyman_http.openapi_schemas import Schema, closed_object, ref

RUNS_TAG = ("runs", "Tracked runs: every execution, with its status and output.")

RUN_SECURITY: list[dict[str, list[str]]] = [{}, {"apiToken": []}, {"adminToken": []}]
"""The admin token is optional here: it opens the runs of every user."""

_ACCESS = (
    "`user_id` names the caller, as on the original's endpoints, and is required unless the "
    "admin token is presented. A user sees and stops only their own runs; the runs of other "
    "users, and those made for nobody (anonymous playground runs, runs the admin started "
    "without `user_id`), need the admin token or a caller from HANDYMAN_ADMIN_NETWORKS."
)

_TIME: Schema = {
    "type": ["string", "null"],
    "format": "date-time",
    "description": "RFC 3339, UTC (`Z`), milliseconds.",
}


def _nullable(schema: Schema, description: str) -> Schema:
    return {"anyOf": [schema, {"type": "null"}], "description": description}


def _enum(values: Any, description: str) -> Schema:
    return {"type": "string", "enum": [value.value for value in values], "description": description}


SCHEMAS: dict[str, Schema] = {
    "RunStatus": _enum(
        RunStatus,
        "`queued` (recorded, waiting for the runner) and `running` are active; `finished` "
        "(the runner gave a verdict), `stopped`, `timed_out` and `failed` (no verdict: the "
        "runner refused or broke, or the worker running it was lost) are final.",
    ),
    "Language": _enum(Language, "The language of the run."),
    "RunKind": _enum(
        RunKind,
        "What was run: `script` (this API), `task` (run_task), `practice_run` and "
        "`practice_test` (handle_practice_code), `playground` (run_code).",
    ),
    "Run": closed_object(
        {
            "run_id": {
                "type": "string",
                "pattern": "^[0-9a-f]{32}$",
                "description": "32 lowercase hexadecimal digits.",
            },
            "owner": _nullable(ref("UserId"), "The user the run was made for, if any."),
            "language": ref("Language"),
            "kind": ref("RunKind"),
            "item_id": {
                "type": ["string", "null"],
                "description": "The task, practice project or playground it ran, if any.",
            },
            "status": ref("RunStatus"),
            "verdict": _nullable(
                _enum(Verdict, "The runner's verdict."), "Null until the runner gave one."
            ),
            "status_code": {
                "type": ["integer", "null"],
                "enum": [0, 1, 2, 3, 124, 137, None],
                "description": (
                    "The verdict as the site's `status_code` (0 solved, 1 run failed, 2 tests "
                    "failed, 3 the runner's internal error, 124 timed out, 137 memory limit)."
                ),
            },
            "user_code_output": {
                "type": "string",
                "description": (
                    "What the program printed; while the run is active, everything printed so "
                    "far (program and tests together), at most about a second old. NUL "
                    "characters are kept as U+FFFD."
                ),
            },
            "tests_output": {"type": "string", "description": "What the tests printed."},
            "output_preview": {
                "type": "boolean",
                "description": (
                    "In a listing, true when an output is longer than the first 1024 "
                    "characters shown here: read the run itself for all of it. Always false "
                    "when one run is read."
                ),
            },
            "output_truncated": {
                "type": "boolean",
                "description": "The output went over the runner's limit and was cut.",
            },
            "stop_requested": {"type": "boolean"},
            "detail": {
                "type": ["string", "null"],
                "description": "Why the run was stopped or failed, when it was.",
            },
            "created_at": {**_TIME, "type": "string"},
            "started_at": _TIME,
            "finished_at": _TIME,
        }
    ),
    "RunList": closed_object(
        {
            "runs": {"type": "array", "items": ref("Run"), "maxItems": MAX_PAGE_SIZE},
            "total": {
                "type": "integer",
                "minimum": 0,
                "description": "How many runs match the filters, over all pages.",
            },
            "offset": {"type": "integer", "minimum": 0},
            "limit": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
        },
        description="Newest first.",
    ),
    "RunSubmission": {
        "type": "object",
        "properties": {
            "language": ref("Language"),
            "source": {"type": "string", "description": "The script."},
            "stdin": {"type": ["string", "null"], "description": "Its standard input."},
            "limits": {
                "anyOf": [ref("RunLimitsRequest"), {"type": "null"}],
                "description": "Omitted limits take the runner's defaults.",
            },
        },
        "required": ["language", "source"],
    },
    "RunLimitsRequest": {
        "type": "object",
        "properties": {
            **{
                name: {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_LIMIT_SECONDS}
                for name in SECONDS_LIMITS
            },
            **{
                name: {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT_COUNT}
                for name in COUNT_LIMITS
            },
        },
        "additionalProperties": False,
        "description": (
            "Asked-for limits; the runner clamps each into the bounds its operator allows."
        ),
    },
}


def _query(name: str, schema: Schema, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
    }


_USER_ID = _query(
    "user_id",
    ref("UserId"),
    "The caller; required unless the admin token is presented. Malformed, empty or repeated "
    "is a 400.",
)
_RUN_ID = {
    "name": "run_id",
    "in": "path",
    "required": True,
    "description": "The run; anything but 32 lowercase hexadecimal digits is a 400.",
    "schema": {"type": "string", "pattern": f"^{RUN_ID_PATTERN.pattern}$"},
}
_RUN_LOCATION = {
    "Location": {"description": "The run's URL.", "schema": {"type": "string"}},
}


def _operation(
    operation_id: str,
    summary: str,
    description: str,
    parameters: list[dict[str, Any]],
    responses: dict[str, Response],
) -> Operation:
    return {
        "operationId": operation_id,
        "tags": [RUNS_TAG[0]],
        "summary": summary,
        "description": f"{description}\n\n{_ACCESS}",
        "parameters": parameters,
        "security": RUN_SECURITY,
        "responses": dict(sorted({**access_responses(), **responses}.items())),
    }


def _forbidden() -> Response:
    return json_response(
        "A wrong API token, or the run belongs to another user (or to nobody) and the admin "
        "token is missing.",
        ref("Error"),
    )


def runs_section() -> ApiSection:
    run = ref("Run")
    start = _operation(
        "start_run",
        "Start a run",
        "Starts the script and answers at once with the run as recorded (`queued` or "
        "`running`). With `wait=true` it answers when the run has ended, or when its wall "
        "limit and a margin have passed (then still active, with 201). A host whose runner "
        "is busy answers 503 with `Retry-After`.",
        [
            _USER_ID,
            _query(
                "wait",
                {"type": "string", "enum": ["true", "false", "1", "0"]},
                "Wait for the end of the run.",
            ),
        ],
        {
            "200": json_response("The run has ended (`wait=true`).", run, _RUN_LOCATION),
            "201": json_response("The run was started.", run, _RUN_LOCATION),
            "400": response_ref("InvalidRequest"),
            "409": json_response(
                "The configured runner cannot run scripts (`--runner remote`: the original "
                "runner's API has no endpoint for them); nothing was recorded.",
                ref("Error"),
            ),
            "413": response_ref("PayloadTooLarge"),
            "503": response_ref("RunnerOrDatabaseUnavailable"),
        },
    )
    start["requestBody"] = json_request(ref("RunSubmission"))
    listing = _operation(
        "list_runs",
        "List runs",
        "Newest first, `limit` at a time. Without the admin token only the caller's own runs "
        "are listed; with it, every user's (or `user_id`'s).",
        [
            _USER_ID,
            _query(
                "offset", {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET}, "Runs to skip."
            ),
            _query(
                "limit",
                {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": MAX_PAGE_SIZE,
                    "default": DEFAULT_PAGE_SIZE,
                },
                "Runs per page.",
            ),
            _query("status", ref("RunStatus"), "Only runs in this status."),
            _query("language", ref("Language"), "Only runs in this language."),
            _query("kind", ref("RunKind"), "Only runs of this kind."),
        ],
        {
            "200": json_response("A page of runs.", ref("RunList")),
            "400": response_ref("InvalidRequest"),
            "503": response_ref("DatabaseUnavailable"),
        },
    )
    show = _operation(
        "get_run",
        "Show a run",
        "Its status and output; while it is active, the output so far (at most about a "
        "second old).",
        [_RUN_ID, _USER_ID],
        {
            "200": json_response("The run.", run),
            "400": response_ref("InvalidRequest"),
            "403": _forbidden(),
            "404": json_response("No run has this id.", ref("Error")),
            "503": response_ref("DatabaseUnavailable"),
        },
    )
    stop = _operation(
        "stop_run",
        "Stop a run",
        "A queued run is stopped at once; a running one is stopped within about a second by "
        "the worker running it, whichever worker receives this request, and is then "
        "recorded `stopped`. The answer shows the run as recorded after the request "
        "(`stop_requested` true).",
        [_RUN_ID, _USER_ID],
        {
            "200": json_response("The stop was recorded.", run),
            "400": response_ref("InvalidRequest"),
            "403": _forbidden(),
            "404": json_response("No run has this id.", ref("Error")),
            "409": json_response("The run has already ended.", ref("Error")),
            "503": response_ref("DatabaseUnavailable"),
        },
    )
    return ApiSection(
        {
            RUNS_PATH: {"get": listing, "post": start},
            RUNS_PATH + "/{run_id}": {"get": show},
            RUNS_PATH + "/{run_id}/stop": {"post": stop},
        },
        SCHEMAS,
    )
