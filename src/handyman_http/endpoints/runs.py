"""/api/v1/runs: start a script, follow its status and output, stop it, list runs.

Every execution is a run here, the site's (run_task, handle_practice_code, run_code) included.
A run belongs to the user it was made for; seeing or stopping another user's runs, or runs made
for nobody, needs the admin token (docs/behaviour.md, "Tracked runs"). `user_id` names the
caller, as on the original's endpoints, and is required unless the admin token is presented.
"""

from __future__ import annotations

import enum
import math
from datetime import UTC, datetime
from typing import Any, TypeVar

import falcon
from attrs import define, evolve

from handyman_core.errors import InvalidInput
from handyman_core.run_lifecycle import RunFilter, RunRecord, RunStatus, parse_run_id
from handyman_core.run_protocol import Language, RunKind, RunLimits, RunRequest
from handyman_http.access import is_admin
from handyman_http.endpoints.base import Endpoint
from handyman_http.legacy_request import optional_user, query_value
from handyman_http.request_check import RequestCheck
from handyman_http.settings import Settings
from handyman_service.runs import (
    Caller,
    ListRuns,
    RunQuery,
    StartRun,
    list_runs,
    start_run,
    stop_run,
    visible_run,
)

E = TypeVar("E", bound=enum.Enum)

RUNS_PATH = "/api/v1/runs"
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_OFFSET = 10**9
MAX_LIMIT_SECONDS = 3600.0
MAX_LIMIT_COUNT = 2**53
SECONDS_LIMITS = ("cpu_seconds", "wall_seconds")
COUNT_LIMITS = ("memory_bytes", "processes", "output_bytes", "file_size_bytes", "open_files")
"""The runner clamps what it is given into the host's own bounds; these only refuse nonsense."""
TRUE_WORDS = frozenset({"true", "1"})
FALSE_WORDS = frozenset({"false", "0"})


@define
class RunSubmission:
    language: str
    source: str
    stdin: str = ""
    limits: Any = None


def run_location(run_id: str) -> str:
    return f"{RUNS_PATH}/{run_id}"


def rfc3339(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def run_json(record: RunRecord) -> dict[str, Any]:
    return {
        "run_id": record.run_id,
        "owner": record.owner,
        "language": record.language.value,
        "kind": record.kind.value,
        "item_id": record.item_id,
        "status": record.status.value,
        "verdict": None if record.verdict is None else record.verdict.value,
        "status_code": record.status_code,
        "user_code_output": record.user_code_output,
        "tests_output": record.tests_output,
        "output_preview": record.output_chars is not None
        and (len(record.user_code_output), len(record.tests_output)) != record.output_chars,
        "output_truncated": record.output_truncated,
        "stop_requested": record.stop_requested,
        "detail": record.detail,
        "created_at": rfc3339(record.created_at),
        "started_at": rfc3339(record.started_at),
        "finished_at": rfc3339(record.finished_at),
    }


def parse_language(value: str) -> Language:
    try:
        return Language(value)
    except ValueError:
        known = ", ".join(language.value for language in Language)
        raise InvalidInput.field("language", f"must be one of {known}") from None


def parse_limits(value: object) -> RunLimits:
    """`limits` names any of RunLimits' fields; seconds are positive numbers, the others
    positive integers."""
    if value is None:
        return RunLimits()
    if not isinstance(value, dict):
        raise InvalidInput.field("limits", "must be an object")
    problems: dict[str, str] = {}
    chosen: dict[str, Any] = {}
    for name, number in value.items():
        key = f"limits.{name}"
        if name in SECONDS_LIMITS:
            if not _is_number(number) or not 0 < number <= MAX_LIMIT_SECONDS:
                problems[key] = (
                    f"must be a number of seconds above 0, at most {MAX_LIMIT_SECONDS:g}"
                )
                continue
        elif name in COUNT_LIMITS:
            count = _json_integer(number)
            if count is None or not 0 < count <= MAX_LIMIT_COUNT:
                problems[key] = "must be a positive integer"
                continue
            chosen[name] = count
            continue
        else:
            problems[key] = "is not a limit (" + ", ".join(SECONDS_LIMITS + COUNT_LIMITS) + ")"
            continue
        chosen[name] = number
    if problems:
        raise InvalidInput(problems)
    return evolve(RunLimits(), **chosen)


def _json_integer(value: object) -> int | None:
    """JSON has one number type: 2.0 is the integer 2, as JSON Schema's "integer" says."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value if type(value) is int else None


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def parse_flag(req: falcon.Request, name: str) -> bool:
    """Absent is false; otherwise exactly true/1 or false/0, given once."""
    value = query_value(req, name)
    if value is None:
        return False
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise InvalidInput.field(name, "must be true or false")


def _integer_param(req: falcon.Request, name: str, default: int, low: int, high: int) -> int:
    value = query_value(req, name)
    if value is None:
        return default
    if not value.isascii() or not value.isdigit() or not low <= int(value) <= high:
        raise InvalidInput.field(name, f"must be an integer from {low} to {high}")
    return int(value)


def _choice_param(req: falcon.Request, name: str, choices: type[E]) -> E | None:
    value = query_value(req, name)
    if value is None:
        return None
    try:
        return choices(value)
    except ValueError:
        known = ", ".join(choice.value for choice in choices)
        raise InvalidInput.field(name, f"must be one of {known}") from None


def _caller(req: falcon.Request, check: RequestCheck, settings: Settings) -> Caller:
    """The user the caller acts for (`user_id`), required unless the admin token is presented."""
    admin = is_admin(req, settings)
    user_id = check.take(optional_user, req)
    if user_id.passed and user_id.value is None and not admin:
        check.problem(
            "user_id", "is required (query parameter) unless the admin token is presented"
        )
    return Caller(user_id.value if user_id.passed else None, admin)


class RunsEndpoint(Endpoint):
    def run_query(self, req: falcon.Request, run_id_text: str) -> RunQuery:
        check = RequestCheck()
        run_id = check.take(parse_run_id, run_id_text)
        caller = _caller(req, check, self.settings)
        check.done()
        return RunQuery(caller, run_id.value)


class Runs(RunsEndpoint):
    def parse_start(self, req: falcon.Request) -> StartRun:
        check = RequestCheck()
        submission = check.take(self.body, req, RunSubmission)
        caller = _caller(req, check, self.settings)
        wait = check.take(parse_flag, req, "wait")
        language = check.then(submission, lambda posted: parse_language(posted.language))
        limits = check.then(submission, lambda posted: parse_limits(posted.limits))
        check.done()
        request = RunRequest(
            kind=RunKind.SCRIPT,
            language=language.value,
            source_run=submission.value.source,
            stdin=submission.value.stdin,
            limits=limits.value,
        )
        return StartRun(caller, request, wait.value)

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Starts a script; with `wait=true`, answers when it has ended (or its wall limit and a
        margin have passed)."""
        command = self.parse_start(req)
        record = start_run(self.context, command)
        ended = command.wait and record.status.terminal
        resp.status = falcon.HTTP_200 if ended else falcon.HTTP_201
        resp.location = run_location(record.run_id)
        resp.media = run_json(record)

    def parse_list(self, req: falcon.Request) -> ListRuns:
        check = RequestCheck()
        caller = _caller(req, check, self.settings)
        offset = check.take(_integer_param, req, "offset", 0, 0, MAX_OFFSET)
        limit = check.take(_integer_param, req, "limit", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
        status = check.take(_choice_param, req, "status", RunStatus)
        language = check.take(_choice_param, req, "language", Language)
        kind = check.take(_choice_param, req, "kind", RunKind)
        check.done()
        where = RunFilter(status=status.value, language=language.value, kind=kind.value)
        return ListRuns(caller, where, offset.value, limit.value)

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        query = self.parse_list(req)
        page = list_runs(self.context, query)
        resp.media = {
            "runs": [run_json(record) for record in page.runs],
            "total": page.total,
            "offset": query.offset,
            "limit": query.limit,
        }


class Run(RunsEndpoint):
    def on_get(self, req: falcon.Request, resp: falcon.Response, run_id: str) -> None:
        resp.media = run_json(visible_run(self.context, self.run_query(req, run_id)))


class StopRun(RunsEndpoint):
    def on_post(self, req: falcon.Request, resp: falcon.Response, run_id: str) -> None:
        """A queued run is stopped at once; a running one within about a second, by the worker
        running it. The answer shows the run as recorded after the request."""
        resp.media = run_json(stop_run(self.context, self.run_query(req, run_id)))
