"""The original runner's (watchman's) wire format(docs/behaviour.md, "Running a task").

Both directions live here: a remote-runner client turns a `RunRequest` into the body of
`/check`, `/playground` or `/practice` and reads the reply with `interpret_reply`; Handyman's own
runner server parses those bodies back and answers with `result_body`.

The original read a reply without `status_code` (watchman's error bodies, `null`) as 0 = solved
and marked tasks completed on infrastructure failures. Here only a reply with a learner's
verdict is a verdict; anything else is `RunnerUnavailable`, and nothing is recorded.
"""

from __future__ import annotations

from collections.abc import Mapping

from attrs import frozen

from handyman_core.command_line import split_command_line
from handyman_core.errors import InvalidInput, RunnerUnavailable
from handyman_core.project_tree import parse_project_tree, render_project_tree
from handyman_core.run_protocol import Language, RunKind, RunRequest, RunResult, Verdict
from handyman_core.strict_json import STRICT_CONVERTER, structure_json
from handyman_core.task_runs import PRACTICE_ACTIONS, TASK_TYPES, cmd_line_args_for

CHECK_PATH = "/check"
PLAYGROUND_PATH = "/playground"
PRACTICE_PATH = "/practice"

_VERDICTS = {
    0: Verdict.PASSED,
    1: Verdict.RUN_FAILED,
    2: Verdict.TESTS_FAILED,
    124: Verdict.TIMEOUT,
    137: Verdict.MEMORY_LIMIT,
}
"""Codes that judge the learner's code. Watchman's 3 (garbage from the container), 125 (the
`timeout` tool failed) and -1 (no launcher) are the runner's own failures."""

_COLOR = {"-c always": True, "-c never": False}
_TYPE_CHECK = "-t strict"
_TASK_TYPE_PREFIX = "-v "


@frozen
class WatchmanCall:
    """Where a request goes and what is posted there."""

    path: str
    body: dict[str, object]


WATCHMAN_RUN_KINDS = frozenset(
    {RunKind.TASK, RunKind.PLAYGROUND, RunKind.PRACTICE_RUN, RunKind.PRACTICE_TEST}
)
"""What the original runner's API has an endpoint for; it cannot run a script."""


def watchman_call(request: RunRequest, project_id: str = "") -> WatchmanCall:
    """`project_id` is needed for practice runs only (watchman requires the key)."""
    if request.kind is RunKind.TASK:
        return WatchmanCall(CHECK_PATH, check_body(request))
    if request.kind is RunKind.PLAYGROUND:
        return WatchmanCall(PLAYGROUND_PATH, playground_body(request))
    if request.kind in (RunKind.PRACTICE_RUN, RunKind.PRACTICE_TEST):
        return WatchmanCall(PRACTICE_PATH, practice_body(request, project_id))
    raise ValueError(f"watchman has no endpoint for {request.kind} runs")


# --- requests --------------------------------------------------------------------------------


def check_body(request: RunRequest) -> dict[str, object]:
    """Key order as the original: source_run, source_test (omitted when empty), container_type,
    cmd_line_args."""
    _expect_kind(request, RunKind.TASK)
    body: dict[str, object] = {"source_run": request.source_run}
    if request.source_test:
        body["source_test"] = request.source_test
    body["container_type"] = request.language.value
    body["cmd_line_args"] = cmd_line_args_for(request.color, request.type_check, request.task_type)
    return body


def playground_body(request: RunRequest) -> dict[str, object]:
    """As the original sent it: no cmd_line_args."""
    _expect_kind(request, RunKind.PLAYGROUND)
    return {
        "source_run": request.source_run,
        "project": render_project_tree(request.files, request.main_file),
        "container_type": request.language.value,
    }


def practice_body(request: RunRequest, project_id: str) -> dict[str, object]:
    """Watchman reads `course_id` as the language, so the language's name is sent there.
    `test_files` (the catalogue's test modules) is Handyman's own key, sent only when there are
    some; watchman ignores it and discovers the tests itself."""
    action = _action_of(request.kind)
    body: dict[str, object] = {
        "project_contents": render_project_tree(request.files, request.main_file),
        "project_id": project_id,
        "course_id": request.language.value,
        "user_cmd_line_args": request.cmd_line_args,
        "action": action,
    }
    if request.test_files:
        body["test_files"] = list(request.test_files)
    return body


@frozen
class _CheckBody:
    source_run: str
    container_type: str
    source_test: str = ""
    cmd_line_args: tuple[str, ...] = ()


@frozen
class _PlaygroundBody:
    container_type: str
    project: str
    source_run: str = ""


@frozen
class _PracticeBody:
    project_contents: str
    project_id: str
    course_id: str
    user_cmd_line_args: str
    action: str
    test_files: tuple[str, ...] = ()


def parse_check_body(body: object) -> RunRequest:
    """A `/check` body as the original Handyman sent it; `source_test` and `cmd_line_args` may
    be absent, every other key is required and unknown keys are ignored."""
    fields = structure_json(STRICT_CONVERTER, body, _CheckBody, "")
    color, type_check, task_type = _parse_cmd_line_args(fields.cmd_line_args)
    return RunRequest(
        kind=RunKind.TASK,
        language=_language(fields.container_type, "container_type"),
        source_run=fields.source_run,
        source_test=fields.source_test,
        task_type=task_type,
        color=color,
        type_check=type_check,
    )


def parse_playground_body(body: object) -> RunRequest:
    fields = structure_json(STRICT_CONVERTER, body, _PlaygroundBody, "")
    language = _language(fields.container_type, "container_type")
    tree = parse_project_tree(fields.project, "project")
    if not tree.main_file:
        raise InvalidInput.field("project", "has no file marked is_main_file")
    return RunRequest(
        kind=RunKind.PLAYGROUND,
        language=language,
        source_run=fields.source_run,
        files=tree.files,
        main_file=tree.main_file,
    )


def parse_practice_body(body: object) -> RunRequest:
    """Unlike watchman, which ran any action but `run` as a test, only `run` and `test` are
    accepted. `project_id` must be a string but plays no part in the run."""
    fields = structure_json(STRICT_CONVERTER, body, _PracticeBody, "")
    kind = PRACTICE_ACTIONS.get(fields.action)
    if kind is None:
        raise InvalidInput.field("action", "must be 'run' or 'test'")
    language = _language(fields.course_id, "course_id")
    split_command_line(fields.user_cmd_line_args, "user_cmd_line_args")
    tree = parse_project_tree(fields.project_contents, "project_contents")
    if not tree.main_file:
        raise InvalidInput.field("project_contents", "has no file marked is_main_file")
    return RunRequest(
        kind=kind,
        language=language,
        files=tree.files,
        main_file=tree.main_file,
        cmd_line_args=fields.user_cmd_line_args,
        test_files=fields.test_files if kind is RunKind.PRACTICE_TEST else (),
    )


def _expect_kind(request: RunRequest, kind: RunKind) -> None:
    if request.kind is not kind:
        raise ValueError(f"a {request.kind} request cannot be sent as a {kind} body")


def _action_of(kind: RunKind) -> str:
    for action, action_kind in PRACTICE_ACTIONS.items():
        if action_kind is kind:
            return action
    raise ValueError(f"a {kind} request cannot be sent as a practice body")


def _language(value: str, field: str) -> Language:
    try:
        return Language(value)
    except ValueError:
        raise InvalidInput.field(field, "is not a language the runner knows") from None


def _parse_cmd_line_args(args: tuple[str, ...]) -> tuple[bool, bool, str]:
    """The inverse of `cmd_line_args_for`; an option left out keeps run-task.sh's default."""
    color, type_check, task_type = False, False, "code"
    for arg in args:
        if arg in _COLOR:
            color = _COLOR[arg]
        elif arg == _TYPE_CHECK:
            type_check = True
        elif arg.startswith(_TASK_TYPE_PREFIX) and arg[len(_TASK_TYPE_PREFIX) :] in TASK_TYPES:
            task_type = arg[len(_TASK_TYPE_PREFIX) :]
        else:
            raise InvalidInput.field(
                "cmd_line_args",
                "may hold only '-c always|never', '-t strict', '-v code|plain_text'",
            )
    return color, type_check, task_type


# --- replies ---------------------------------------------------------------------------------


def interpret_reply(reply: object) -> RunResult:
    """The verdict in a runner's reply, or RunnerUnavailable (with the reason as a note) when
    the reply holds none: not an object, no integer `status_code` (a bool is not one), a code
    that is the runner's own failure, or outputs that are not strings."""
    if not isinstance(reply, Mapping):
        raise _unavailable("the reply is not a JSON object")
    code = reply.get("status_code")
    if type(code) is not int:
        raise _unavailable("the reply has no integer status_code")
    verdict = _VERDICTS.get(code)
    if verdict is None:
        raise _unavailable(f"status_code {code} reports a failure of the runner itself")
    return RunResult(
        verdict=verdict,
        user_code_output=_output(reply, "user_code_output"),
        tests_output=_output(reply, "tests_output"),
    )


def result_body(result: RunResult) -> dict[str, object]:
    """The site's shape, as the original re-encoded watchman's reply: tests_output omitted when
    empty, every other key dropped."""
    body: dict[str, object] = {
        "status_code": result.status_code,
        "user_code_output": result.user_code_output,
    }
    if result.tests_output:
        body["tests_output"] = result.tests_output
    return body


def _output(reply: Mapping[object, object], key: str) -> str:
    value = reply.get(key, "")
    if not isinstance(value, str):
        raise _unavailable(f"{key} is not a string")
    return value


def _unavailable(reason: str) -> RunnerUnavailable:
    error = RunnerUnavailable()
    error.add_note(reason)
    return error
