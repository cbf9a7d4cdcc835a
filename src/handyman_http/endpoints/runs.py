"""/api/v1/runs: start a script, follow its status and output, stop it, list runs.

Every execution is a run here, the site's (run_task, handle_practice_code, run_code) included.
A run belongs to the user it was made for; seeing or stopping another user's runs, or runs made
for nobody, needs the admin token (contract §6). `user_id` names the caller, as on the
original's endpoints, and is required unless the admin token is presented.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import falcon
from attrs import define, evolve

from handyman_core.errors import Conflict, InvalidInput, NotFound
from handyman_core.run_lifecycle import RunRecord, RunStatus, StopAnswer, parse_run_id
from handyman_core.run_protocol import Language, RunKind, RunLimits, RunRequest
from handyman_http.access import is_admin
from handyman_http.endpoints.base import Endpoint
from handyman_http.legacy_request import optional_user
from handyman_store.run_log import RunFilter

RUNS_PATH = "/api/v1/runs"
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_OFFSET = 10**9
WAIT_MARGIN_SECONDS = 5.0
MAX_WAIT_SECONDS = 110.0
"""A waiting request stays below gunicorn's 120 s worker timeout."""
MAX_LIMIT_SECONDS = 3600.0
MAX_LIMIT_COUNT = 2**53
SECONDS_LIMITS = ("cpu_seconds", "wall_seconds")
COUNT_LIMITS = ("memory_bytes", "processes", "output_bytes", "file_size_bytes", "open_files")
"""The runner clamps what it is given into the host's own bounds; these only refuse nonsense."""
TRUE_WORDS = frozenset({"true", "1"})
FALSE_WORDS = frozenset({"false", "0", ""})


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
            if type(number) is not int or not 0 < number <= MAX_LIMIT_COUNT:
                problems[key] = "must be a positive integer"
                continue
        else:
            problems[key] = "is not a limit (" + ", ".join(SECONDS_LIMITS + COUNT_LIMITS) + ")"
            continue
        chosen[name] = number
    if problems:
        raise InvalidInput(problems)
    return evolve(RunLimits(), **chosen)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def parse_flag(req: falcon.Request, name: str) -> bool:
    value = (req.get_param(name) or "").lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise InvalidInput.field(name, "must be true or false")


def _integer_param(req: falcon.Request, name: str, default: int, low: int, high: int) -> int:
    value = req.get_param(name)
    if value is None or value == "":
        return default
    if not value.isascii() or not value.isdigit() or not low <= int(value) <= high:
        raise InvalidInput.field(name, f"must be an integer from {low} to {high}")
    return int(value)


def _choice_param(req: falcon.Request, name: str, choices: type[Any]) -> Any:
    value = req.get_param(name)
    if value is None or value == "":
        return None
    try:
        return choices(value)
    except ValueError:
        known = ", ".join(choice.value for choice in choices)
        raise InvalidInput.field(name, f"must be one of {known}") from None


class _Collected:
    """Runs each check, keeping its value or the fields it names as bad, so that one 400
    reports every problem of the request."""

    def __init__(self) -> None:
        self.problems: dict[str, str] = {}

    def take(self, check: Any, *args: Any) -> Any:
        try:
            return check(*args)
        except InvalidInput as error:
            self.problems.update(error.fields)
            return None

    def raise_any(self) -> None:
        if self.problems:
            raise InvalidInput(self.problems)


class RunsEndpoint(Endpoint):
    def caller(self, req: falcon.Request, checks: _Collected) -> int | None:
        """The user the caller acts for; None for the admin acting for nobody."""
        user_id: int | None = checks.take(optional_user, req)
        anonymous = user_id is None and "user_id" not in checks.problems
        if anonymous and not is_admin(req, self.services.settings):
            checks.problems["user_id"] = (
                "is required (query parameter) unless the admin token is presented"
            )
        return user_id

    def visible_run(self, req: falcon.Request, run_id_text: str) -> RunRecord:
        checks = _Collected()
        run_id = checks.take(parse_run_id, run_id_text)
        caller = self.caller(req, checks)
        checks.raise_any()
        record = self.services.run_tracker.get(run_id)
        if record is None:
            raise NotFound(f"Unknown run: {run_id}")
        if not is_admin(req, self.services.settings) and record.owner != caller:
            raise falcon.HTTPForbidden(
                description="The admin token is required for runs of other users"
            )
        return record


class Runs(RunsEndpoint):
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Starts a script; with `wait=true`, answers when it has ended (or its wall limit and a
        margin have passed)."""
        checks = _Collected()
        submission = checks.take(self.body, req, RunSubmission)
        owner = self.caller(req, checks)
        wait = checks.take(parse_flag, req, "wait")
        language = limits = None
        if submission is not None:
            language = checks.take(parse_language, submission.language)
            limits = checks.take(parse_limits, submission.limits)
        checks.raise_any()
        assert language is not None and limits is not None
        request = RunRequest(
            kind=RunKind.SCRIPT,
            language=language,
            source_run=submission.source,
            stdin=submission.stdin,
            limits=limits,
        )
        tracker = self.services.run_tracker
        run_id = tracker.submit(request, owner=owner)
        if wait:
            tracker.wait_for(
                run_id, min(limits.wall_seconds + WAIT_MARGIN_SECONDS, MAX_WAIT_SECONDS)
            )
        record = tracker.get(run_id)
        if record is None:
            raise NotFound(f"Unknown run: {run_id}")
        resp.status = falcon.HTTP_200 if wait and record.status.terminal else falcon.HTTP_201
        resp.location = run_location(run_id)
        resp.media = run_json(record)

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        checks = _Collected()
        owner = self.caller(req, checks)
        offset = checks.take(_integer_param, req, "offset", 0, 0, MAX_OFFSET)
        limit = checks.take(_integer_param, req, "limit", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
        status = checks.take(_choice_param, req, "status", RunStatus)
        language = checks.take(_choice_param, req, "language", Language)
        kind = checks.take(_choice_param, req, "kind", RunKind)
        checks.raise_any()
        page = self.services.run_tracker.list_runs(
            RunFilter(owner=owner, status=status, language=language, kind=kind),
            offset=offset,
            limit=limit,
        )
        resp.media = {
            "runs": [run_json(record) for record in page.runs],
            "total": page.total,
            "offset": offset,
            "limit": limit,
        }


class Run(RunsEndpoint):
    def on_get(self, req: falcon.Request, resp: falcon.Response, run_id: str) -> None:
        resp.media = run_json(self.visible_run(req, run_id))


class StopRun(RunsEndpoint):
    def on_post(self, req: falcon.Request, resp: falcon.Response, run_id: str) -> None:
        """A queued run is stopped at once; a running one within about a second, by the worker
        running it. The answer shows the run as recorded after the request."""
        record = self.visible_run(req, run_id)
        answer = self.services.run_tracker.stop(record.run_id)
        if answer is None:
            raise NotFound(f"Unknown run: {record.run_id}")
        current = self.services.run_tracker.get(record.run_id) or record
        if answer is StopAnswer.ALREADY_ENDED:
            raise Conflict(f"The run has already ended: {current.status.value}")
        resp.media = run_json(current)
