"""The OpenAPI document is valid, lists exactly the routes the app serves, and tells the truth:
every exchange below is driven through the real app and its body is checked against the schema
the document declares for that path, method and status."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy
from attrs import field, frozen
from falcon import inspect, testing
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi
from referencing import Registry
from referencing.jsonschema import DRAFT202012
from sqlalchemy import Engine

from handyman_cli.composition import build_services
from handyman_core.analytics_records import AnalyticsRow
from handyman_core.attempt_types import AttemptType
from handyman_core.client_keys import hash_client_key
from handyman_core.command_line import split_command_line
from handyman_core.errors import InvalidInput, RunnerUnavailable
from handyman_core.lti_passback import parse_passback_params
from handyman_core.run_protocol import RunResult, Verdict
from handyman_core.segments import MAX_DESCRIPTION_LENGTH, parse_description
from handyman_http.app import LEGACY_ROUTES, create_app
from handyman_http.openapi import openapi_document
from handyman_http.settings import Settings
from handyman_store.analytics_loads import load_rows
from handyman_store.daily_stats import compute_day
from handyman_store.statistics_clients import add_client
from tests.conftest import PROJECT_ROOT
from tests.http.conftest import ADMIN_TOKEN, FIXED_NOW, Api, Slow, build_api

DOCUMENT = openapi_document()
DOCUMENT_URI = "urn:handyman:openapi.json"
REGISTRY: Registry[Any] = Registry().with_resource(
    DOCUMENT_URI, DRAFT202012.create_resource(DOCUMENT)
)
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

COURSE = "pythonstart"
CHAPTERS = ("pythonstart_chapter_0010", "pythonstart_chapter_0020", "pythonstart_chapter_0030")
CHAPTER = CHAPTERS[0]
TASK = "pythonstart_chapter_0010_task_0010"
PROJECT = "pythonstart_word_count"
EXAMPLE = "example_for_playground_001"
API_TOKEN = "test-api-token"
USER = 7
OTHER_USER = 8

SOLUTIONS: dict[str, Any] = json.loads(
    (PROJECT_ROOT / "examples" / "solutions" / "pythonstart.json").read_text(encoding="utf-8")
)
TASKS = tuple(sorted(key for key in SOLUTIONS if "_task_" in key))


def base64_of(code: str) -> str:
    return base64.b64encode(code.encode()).decode()


def project_tree(main_file: str, contents: str) -> str:
    return json.dumps(
        {
            "name": "project",
            "children": [{"name": main_file, "contents": contents, "is_main_file": True}],
        }
    )


CODE = base64_of(SOLUTIONS[TASK])
PROJECT_TREE = project_tree("word_count.py", SOLUTIONS[PROJECT]["word_count.py"])
PLAYGROUND_TREE = project_tree("main.py", "print('hello')\n")


# --- reading the document --------------------------------------------------------------------


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _at(location: tuple[str, ...]) -> Any:
    node: Any = DOCUMENT
    for token in location:
        node = node[token]
    return node


def _follow(location: tuple[str, ...]) -> tuple[str, ...]:
    """The location of the object itself when the one at `location` is a local `$ref`."""
    node = _at(location)
    while isinstance(node, dict) and "$ref" in node:
        reference: str = node["$ref"]
        assert reference.startswith("#/"), reference
        location = tuple(_unescape(token) for token in reference[2:].split("/"))
        node = _at(location)
    return location


def documented_response(path: str, method: str, status: int) -> tuple[str, ...]:
    """Where the document describes this answer. A method the path does not list is described
    by the shared 405 response."""
    if method not in DOCUMENT["paths"][path]:
        assert status == 405, f"{method.upper()} {path} is undocumented but answered {status}"
        return ("components", "responses", "MethodNotAllowed")
    responses = DOCUMENT["paths"][path][method]["responses"]
    assert str(status) in responses, f"{method.upper()} {path} does not document {status}"
    return _follow(("paths", path, method, "responses", str(status)))


def schema_at(location: tuple[str, ...]) -> dict[str, Any]:
    return {"$ref": DOCUMENT_URI + "#/" + "/".join(_escape(token) for token in location)}


def schema_problems(schema: Mapping[str, Any], instance: Any) -> list[str]:
    validator = Draft202012Validator(schema, registry=REGISTRY)
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '(body)'}: {error.message}"
        for error in validator.iter_errors(instance)
    ]


def assert_documented(result: testing.Result, path: str, method: str) -> None:
    location = documented_response(path, method, result.status_code)
    assert "X-Request-Id" in result.headers
    content = _at(location)["content"]
    received = result.headers["Content-Type"].split(";")[0]
    documented = {media_type.split(";")[0]: media_type for media_type in content}
    assert received in documented, f"{method.upper()} {path} answered {received}"
    media_type = documented[received]
    if media_type != "application/json":
        return
    problems = schema_problems(schema_at((*location, "content", media_type, "schema")), result.json)
    assert not problems, f"{method.upper()} {path} {result.status_code} {result.json}: {problems}"


def documented_operations() -> Iterator[tuple[str, str]]:
    for path, item in DOCUMENT["paths"].items():
        for method in item:
            if method in METHODS:
                yield path, method


# --- the exchanges ---------------------------------------------------------------------------


@frozen
class Call:
    path: str
    body: dict[str, Any] = field(factory=dict)
    user_id: int | None = USER
    admin: bool = False
    query: dict[str, str] = field(factory=dict)
    answers: tuple[RunResult | Exception | Slow, ...] = ()
    """What the runner answers this call's runs (primed just before it)."""
    method: str = "post"


@frozen
class Exchange:
    """One request (after `setup`, with the runner primed with `answers`) and what it gets."""

    name: str
    path: str
    body: dict[str, Any] | None = None
    user_id: int | str | None = None
    status: int = 200
    method: str = "post"
    admin: bool = False
    raw: bytes | None = None
    headers: dict[str, str] | None = None
    setup: tuple[Call, ...] = ()
    answers: tuple[RunResult | Exception, ...] = ()
    settings: Settings | None = None
    query: dict[str, str] = field(factory=dict)
    path_parameters: dict[str, str] = field(factory=dict)
    """Fill the `{name}`s of `path`; a setup call's JSON answer fills those left."""
    expect: Callable[[Any], bool] = lambda body: True
    """Proves the exchange reached the branch it is named for."""
    prepare: Callable[[Api], None] = lambda api: None
    """Writes what no request can (statistics clients, computed days) before the setup calls."""


def has(**items: Any) -> Callable[[Any], bool]:
    return lambda body: (
        isinstance(body, dict)
        and all(key in body and body[key] == value for key, value in items.items())
    )


def has_keys(*keys: str) -> Callable[[Any], bool]:
    return lambda body: isinstance(body, dict) and all(key in body for key in keys)


def names_field(name: str) -> Callable[[Any], bool]:
    return lambda body: name in body.get("fields", {})


def non_empty_list(body: Any) -> bool:
    return isinstance(body, list) and len(body) > 0


def start_course(user_id: int = USER) -> Call:
    return Call("/update_course_progress", {"course_id": COURSE, "status": "in_progress"}, user_id)


def set_chapter(status: str, chapter_id: str = CHAPTER) -> Call:
    return Call("/update_chapter_progress", {"chapter_id": chapter_id, "status": status})


def solve_every_task(user_id: int = USER) -> tuple[Call, ...]:
    return tuple(
        Call("/run_task", {"task_id": task, "solution_text": base64_of(SOLUTIONS[task])}, user_id)
        for task in TASKS
    )


def complete_every_chapter(user_id: int = USER) -> tuple[Call, ...]:
    return (
        *solve_every_task(user_id),
        *(
            Call(
                "/update_chapter_progress", {"chapter_id": chapter, "status": "completed"}, user_id
            )
            for chapter in CHAPTERS
        ),
    )


def practice_code(action: str) -> dict[str, Any]:
    return {
        "project_contents": PROJECT_TREE,
        "project_id": PROJECT,
        "course_id": COURSE,
        "action": action,
        "user_cmd_line_args": "--top 3",
    }


SAVE_PROJECT = Call("/handle_practice_code", practice_code("save"))
PASS_PROJECT = Call("/handle_practice_code", practice_code("test"))
RUN_PLAYGROUND = Call(
    "/run_code", {"lang_id": "python", "project": PLAYGROUND_TREE, "playground_id": "pg-1"}
)
WITH_API_TOKEN = Settings(api_token=API_TOKEN, admin_token=ADMIN_TOKEN)
BEARER_API = {"Authorization": f"Bearer {API_TOKEN}"}
TOO_LARGE = b'{"status": "' + b"x" * (1024 * 1024) + b'"}'
UNKNOWN_TASK = "pythonstart_chapter_0010_task_0990"
EXAMPLE_TASK = f"{CHAPTER}_task_0000"
"""How the site names a code example of a chapter: the chapter's task 0000 plus `example_id`."""
MERGE = {"cur_user_id": USER, "old_user_id": OTHER_USER}
SPLIT = {"cur_user_id": USER, "new_user_id": OTHER_USER}
FAILED_TESTS = RunResult(Verdict.TESTS_FAILED, user_code_output="42\n", tests_output="wrong\n")
RUNS = "/api/v1/runs"
RUN = RUNS + "/{run_id}"
STOP_RUN = RUN + "/stop"
SCRIPT = {"language": "bash", "source": "echo hi"}
START_RUN = Call(RUNS, SCRIPT, query={"wait": "true"})
SEGMENTS = "/api/v1/segments"
SEGMENT = SEGMENTS + "/{name}"
USER_SEGMENTS = "/api/v1/users/{user_id}/segments"
REPORT = "/api/v1/reports/segments"
CREATE_BETA = Call(SEGMENTS, {"name": "BETA"}, admin=True)
DELETE_BETA = Call(SEGMENTS + "/BETA", method="delete", admin=True)
JOIN_BETA = Call(f"/api/v1/users/{USER}/segments", {"add": [{"name": "BETA"}]}, admin=True)

STATISTICS = "/api/statistics"
DAILY = "/api/v1/stats/daily"
STATISTICS_KEY = "hmk_openapi"
_NOW = FIXED_NOW
STATISTICS_QUERY = {
    "client": "operator",
    "client_key": STATISTICS_KEY,
    "start": (_NOW - timedelta(days=1)).isoformat(),
    "end": (_NOW + timedelta(days=1)).isoformat(),
}
DAILY_QUERY = {"from": "2026-12-01", "to": "2026-12-01"}


def add_statistics_client(api: Api) -> None:
    add_client(api.engine, "operator", hash_client_key(STATISTICS_KEY), [], now=_NOW)


def compute_a_day(api: Api) -> None:
    at = datetime(2026, 12, 1, 10, tzinfo=UTC)
    rows = [
        AnalyticsRow("u1", "uni", "b1", None, 0, AttemptType.SUBMIT, at, TASK, COURSE),
        AnalyticsRow("u1", "uni", "b1", None, 1, AttemptType.SUBMIT, at + timedelta(minutes=1)),
    ]
    load_rows(api.engine, rows, now=_NOW)
    compute_day(api.engine, at.date(), UTC, "UTC", now=_NOW)


# fmt: off
EXCHANGES: tuple[Exchange, ...] = (
    # get_courses
    Exchange("courses for an anonymous visitor", "/get_courses", {"status": "all"},
             expect=lambda body: non_empty_list(body) and "status" not in body[0]),
    Exchange("courses with the user's status", "/get_courses", {"status": "all"}, USER,
             expect=lambda body: body[0]["status"] == "not_started"),
    Exchange("courses filtered by status", "/get_courses", {"status": "in_progress"}, USER,
             setup=(start_course(),), expect=non_empty_list),
    Exchange("courses with an unknown status filter", "/get_courses", {"status": "done"}, USER,
             status=400, expect=names_field("status")),
    Exchange("courses with a non-numeric user", "/get_courses", {}, "abc", status=400,
             expect=names_field("user_id")),
    Exchange("courses with a body that is not JSON", "/get_courses", raw=b"{oops", status=400,
             expect=names_field("body")),
    Exchange("courses with a body over the limit", "/get_courses", raw=TOO_LARGE, status=413),
    # get_course_info, get_course_description
    Exchange("course tags", "/get_course_info", {"course_id": COURSE}, expect=has_keys("tags")),
    Exchange("tags of an unknown course", "/get_course_info", {"course_id": "cobol"}, status=404),
    Exchange("course description", "/get_course_description", {"course_id": COURSE},
             expect=has_keys("description")),
    Exchange("description without a course", "/get_course_description", {}, status=400,
             expect=names_field("course_id")),
    # update_course_progress
    Exchange("starting a course", "/update_course_progress",
             {"course_id": COURSE, "status": "in_progress"}, USER, expect=has(status="ok")),
    Exchange("starting a started course", "/update_course_progress",
             {"course_id": COURSE, "status": "in_progress"}, USER, setup=(start_course(),),
             expect=has(status="no_action")),
    Exchange("completing a course with chapters left", "/update_course_progress",
             {"course_id": COURSE, "status": "completed"}, USER,
             expect=has(error="Not all materials in course are completed")),
    Exchange("an unknown course status", "/update_course_progress",
             {"course_id": COURSE, "status": "bogus"}, USER,
             expect=has(current_status="", new_status="bogus")),
    Exchange("a course update without a user", "/update_course_progress",
             {"course_id": COURSE, "status": "in_progress"}, status=400,
             expect=names_field("user_id")),
    Exchange("a course update without a status", "/update_course_progress",
             {"course_id": COURSE}, USER, status=400, expect=names_field("status")),
    Exchange("updating an unknown course", "/update_course_progress",
             {"course_id": "cobol", "status": "in_progress"}, USER, status=404),
    # update_chapter_progress
    Exchange("starting a chapter", "/update_chapter_progress",
             {"chapter_id": CHAPTER, "status": "in_progress"}, USER,
             expect=has(status="ok", course_id=COURSE)),
    Exchange("leaving a blocked chapter", "/update_chapter_progress",
             {"chapter_id": CHAPTER, "status": "in_progress"}, USER,
             setup=(set_chapter("blocked"),),
             expect=has(current_status="blocked", new_status="in_progress")),
    Exchange("starting a chapter already under way", "/update_chapter_progress",
             {"task_id": TASK, "status": "in_progress"}, USER,
             setup=(set_chapter("in_progress"),),
             expect=has(status="no_action", chapter_id=CHAPTER)),
    Exchange("completing a chapter with tasks left", "/update_chapter_progress",
             {"chapter_id": CHAPTER, "status": "completed"}, USER,
             expect=has(error="Not all tasks in chapter are completed")),
    Exchange("updating an unknown chapter", "/update_chapter_progress",
             {"chapter_id": "pythonstart_chapter_9990", "status": "in_progress"}, USER, status=404),
    Exchange("a chapter id outside the grammar", "/update_chapter_progress",
             {"chapter_id": "../etc", "status": "in_progress"}, USER, status=400,
             expect=names_field("chapter_id")),
    # get_chapters
    Exchange("the outline for an anonymous visitor", "/get_chapters", {"course_id": COURSE},
             expect=lambda body: body[-1]["chapter_id"] == PROJECT),
    Exchange("the outline with the user's progress", "/get_chapters", {"course_id": COURSE}, USER,
             setup=solve_every_task(),
             expect=lambda body: body[0]["tasks_completed"] == body[0]["tasks_total"]),
    Exchange("the outline of an unknown course", "/get_chapters", {"course_id": "cobol"},
             status=404),
    # get_chapter
    Exchange("a chapter for an anonymous visitor", "/get_chapter", {"chapter_id": CHAPTER},
             expect=lambda body: len(body["tasks"]) == 3),
    Exchange("the first chapter of a course with the user's code", "/get_chapter",
             {"course_id": COURSE}, USER, setup=solve_every_task(),
             expect=lambda body: body["tasks"][0]["status"] == "completed"),
    Exchange("the last chapter, followed by a project", "/get_chapter",
             {"chapter_id": CHAPTERS[-1]}, USER, expect=has(next_chapter_id=PROJECT)),
    Exchange("an unknown chapter", "/get_chapter", {"chapter_id": "pythonstart_chapter_0990"},
             status=404),
    # get_active_chapter
    Exchange("the active chapter of a course not started", "/get_active_chapter",
             {"course_id": COURSE}, USER,
             expect=has(error="Course is not in state 'in_progress' for user")),
    Exchange("the active chapter of a course in progress", "/get_active_chapter",
             {"course_id": COURSE}, USER, setup=(start_course(),),
             expect=has(chapter_id=CHAPTER, is_practice=False)),
    Exchange("the active item is a practice project", "/get_active_chapter",
             {"course_id": COURSE}, USER, setup=complete_every_chapter(),
             expect=has(chapter_id=PROJECT, is_practice=True)),
    Exchange("nothing is left to do", "/get_active_chapter", {"course_id": COURSE}, USER,
             setup=(*complete_every_chapter(), PASS_PROJECT),
             expect=has(error="No active chapter for user")),
    Exchange("the active chapter without a user", "/get_active_chapter", {"course_id": COURSE},
             status=400, expect=names_field("user_id")),
    # get_progress
    Exchange("progress on an unfinished chapter", "/get_progress",
             {"chapter_id": CHAPTER, "check_practice": True}, USER,
             expect=has(user_status_on_chapter="chapter_not_completed")),
    Exchange("progress once the whole course is done", "/get_progress",
             {"chapter_id": CHAPTERS[-1]}, USER, setup=complete_every_chapter(),
             expect=has(is_course_completed=True)),
    Exchange("progress on an unknown chapter", "/get_progress",
             {"chapter_id": "pythonstart_chapter_0990"}, USER, status=404),
    # courses_stats, course_stats
    Exchange("statistics of the user's courses", "/courses_stats", {}, USER,
             setup=solve_every_task(), expect=non_empty_list),
    Exchange("statistics without a user", "/courses_stats", {}, status=400,
             expect=names_field("user_id")),
    Exchange("statistics of one course", "/course_stats", {"course_id": COURSE}, USER,
             setup=(start_course(),), expect=non_empty_list),
    Exchange("statistics of an unknown course", "/course_stats", {"course_id": "cobol"}, USER,
             status=404),
    # get_task, run_task, save_task
    Exchange("a task not started", "/get_task", {"task_id": TASK}, USER,
             expect=has(status="not_started", task_code="")),
    Exchange("an unknown task", "/get_task", {"task_id": UNKNOWN_TASK}, USER, status=404),
    Exchange("a solved run", "/run_task", {"task_id": TASK, "solution_text": CODE}, USER,
             expect=has(status_code=0)),
    Exchange("a run whose tests fail", "/run_task",
             {"task_id": TASK, "solution_text": CODE, "task_type": "code", "color_output": True,
              "run_static_type_checker": True}, USER, answers=(FAILED_TESTS,),
             expect=has(status_code=2, tests_output="wrong\n")),
    Exchange("a run that times out", "/run_task", {"task_id": TASK, "solution_text": " "}, USER,
             answers=(RunResult(Verdict.TIMEOUT),), expect=has(status_code=124)),
    Exchange("a run when the runner is down", "/run_task",
             {"task_id": TASK, "solution_text": CODE}, USER, status=503,
             answers=(RunnerUnavailable(),)),
    Exchange("a run when the runner is busy", "/run_task",
             {"task_id": TASK, "solution_text": CODE}, USER, status=503,
             answers=(RunnerUnavailable(retry_after=5),)),
    Exchange("a run with bad base64", "/run_task", {"task_id": TASK, "solution_text": "x=="},
             USER, status=400, expect=names_field("solution_text")),
    Exchange("a run of an unknown task", "/run_task",
             {"task_id": UNKNOWN_TASK, "solution_text": CODE}, USER, status=404),
    Exchange("saving code", "/save_task", {"task_id": TASK, "solution_text": CODE}, USER,
             expect=has(status_code=0)),
    Exchange("saving code of an unknown task", "/save_task",
             {"task_id": UNKNOWN_TASK, "solution_text": CODE}, USER, status=404),
    # merge_users, split_users
    Exchange("merging accounts", "/merge_users", MERGE, admin=True,
             setup=(start_course(OTHER_USER),), expect=has(status=0)),
    Exchange("merging without the admin token", "/merge_users", MERGE, status=401,
             expect=has(status=-1)),
    Exchange("merging an account into itself", "/merge_users",
             {"cur_user_id": USER, "old_user_id": USER}, admin=True, status=409,
             expect=has(status=-1)),
    Exchange("merging with a body over the limit", "/merge_users", raw=TOO_LARGE, admin=True,
             status=413, expect=has(status=-1)),
    Exchange("merging when no admin token is configured", "/merge_users", MERGE, admin=True,
             status=403, settings=Settings(), expect=has(status=-1)),
    Exchange("splitting accounts", "/split_users", SPLIT, admin=True, setup=(start_course(),),
             expect=has(status=0)),
    Exchange("splitting into an account with progress", "/split_users", SPLIT, admin=True,
             status=409, setup=(start_course(), start_course(OTHER_USER)), expect=has(status=-1)),
    Exchange("splitting with a string id", "/split_users", {**SPLIT, "cur_user_id": "7"},
             admin=True, status=400, expect=names_field("cur_user_id")),
    # get_practice, handle_practice_code
    Exchange("a practice project for an anonymous visitor", "/get_practice",
             {"course_id": COURSE, "task_id": PROJECT},
             expect=lambda body: "project" not in body and body["status"] == "not_started"),
    Exchange("a practice project with the user's saved tree", "/get_practice",
             {"course_id": COURSE, "task_id": PROJECT}, USER, setup=(SAVE_PROJECT,),
             expect=has(project=PROJECT_TREE, status="in_progress")),
    Exchange("a practice project of another course", "/get_practice",
             {"course_id": "cobol", "task_id": PROJECT}, status=404),
    Exchange("a traversal instead of a project id", "/get_practice",
             {"course_id": COURSE, "task_id": "../../cpp/practice"}, status=400,
             expect=names_field("task_id")),
    Exchange("saving a practice project", "/handle_practice_code", practice_code("save"), USER,
             expect=has(status_code=0, user_code_output="")),
    Exchange("testing a practice project", "/handle_practice_code", practice_code("test"), USER,
             answers=(FAILED_TESTS,), expect=has(status_code=2)),
    Exchange("running a practice project", "/handle_practice_code", practice_code("run"), USER,
             expect=has(status_code=0)),
    Exchange("an unknown practice action", "/handle_practice_code", practice_code("deploy"),
             USER, status=400, expect=names_field("action")),
    Exchange("a practice run when the runner is down", "/handle_practice_code",
             practice_code("test"), USER, status=503, answers=(RunnerUnavailable(),)),
    Exchange("practice code for an unknown project", "/handle_practice_code",
             {**practice_code("save"), "project_id": "pythonstart_nothing"}, USER, status=404),
    # run_code, get_playground_code, inject_playground_code
    Exchange("running a playground", "/run_code", RUN_PLAYGROUND.body, USER,
             expect=has(status_code=0)),
    Exchange("running a playground anonymously with extra code", "/run_code",
             {"lang_id": "go", "project": PLAYGROUND_TREE, "user_code": base64_of("x = 1")},
             answers=(RunResult(Verdict.RUN_FAILED, user_code_output="boom"),),
             expect=has(status_code=1)),
    Exchange("a playground in an unknown language", "/run_code",
             {"lang_id": "cobol", "project": PLAYGROUND_TREE}, status=400,
             expect=names_field("lang_id")),
    Exchange("a playground run when the runner is down", "/run_code", RUN_PLAYGROUND.body,
             status=503, answers=(RunnerUnavailable(),)),
    Exchange("a kept playground", "/get_playground_code", {"playground_id": "pg-1"},
             setup=(RUN_PLAYGROUND,), expect=has(user_code=PLAYGROUND_TREE)),
    Exchange("an unknown playground", "/get_playground_code", {"playground_id": "pg-2"},
             status=404),
    Exchange("a playground without an id", "/get_playground_code", {}, status=400,
             expect=names_field("playground_id")),
    Exchange("a task's code for the playground", "/inject_playground_code",
             {"task_id": TASK, "solution_text": CODE, "example_id": ""}, USER,
             expect=has(user_code=SOLUTIONS[TASK])),
    Exchange("an example's code for the playground", "/inject_playground_code",
             {"task_id": EXAMPLE_TASK, "solution_text": CODE, "example_id": EXAMPLE}, USER,
             expect=lambda body: body["user_code"].startswith(SOLUTIONS[TASK])),
    Exchange("an unknown example for the playground", "/inject_playground_code",
             {"task_id": EXAMPLE_TASK, "solution_text": CODE, "example_id": "nope"}, USER,
             expect=has(user_code=SOLUTIONS[TASK])),
    Exchange("a plain code example for the playground", "/inject_playground_code",
             {"task_id": EXAMPLE_TASK, "solution_text": CODE, "example_id": ""}, USER,
             expect=has(user_code=SOLUTIONS[TASK])),
    Exchange("a playground example of an unknown chapter", "/inject_playground_code",
             {"task_id": "pythonstart_chapter_0990_task_0000", "solution_text": CODE,
              "example_id": ""}, USER, status=404),
    # tracked runs
    Exchange("starting a run", RUNS, SCRIPT, USER, status=201, expect=has_keys("run_id")),
    Exchange("starting a run and waiting for its end", RUNS, SCRIPT, USER,
             query={"wait": "true"}, expect=has(status="finished", verdict="passed")),
    Exchange("a run that times out", RUNS, SCRIPT, USER, query={"wait": "true"},
             answers=(RunResult(Verdict.TIMEOUT),), expect=has(status="timed_out")),
    Exchange("a run the runner could not run", RUNS, SCRIPT, USER, query={"wait": "true"},
             answers=(RunnerUnavailable(),), expect=has(status="failed", verdict=None)),
    Exchange("the admin starting a run for nobody", RUNS, SCRIPT, admin=True, status=201,
             expect=has(owner=None)),
    Exchange("a run in an unknown language", RUNS, {**SCRIPT, "language": "cobol"}, USER,
             status=400, expect=names_field("language")),
    Exchange("a run without a user", RUNS, SCRIPT, status=400, expect=names_field("user_id")),
    Exchange("a run with a body over the limit", RUNS, raw=TOO_LARGE, user_id=USER,
             status=413),
    Exchange("the user's runs", RUNS, method="get", user_id=USER, setup=(START_RUN,),
             expect=has(total=1)),
    Exchange("every user's runs", RUNS, method="get", admin=True,
             setup=(START_RUN, Call(RUNS, SCRIPT, OTHER_USER)), expect=has(total=2)),
    Exchange("runs with a bad page size", RUNS, method="get", user_id=USER,
             query={"limit": "0"}, status=400, expect=names_field("limit")),
    Exchange("a run", RUN, method="get", user_id=USER, setup=(START_RUN,),
             expect=has(owner=USER)),
    Exchange("a run of another user", RUN, method="get", user_id=OTHER_USER,
             setup=(START_RUN,), status=403),
    Exchange("an unknown run", RUN, method="get", user_id=USER,
             path_parameters={"run_id": "0" * 32}, status=404),
    Exchange("a malformed run id", RUN, method="get", user_id=USER,
             path_parameters={"run_id": "nope"}, status=400, expect=names_field("run_id")),
    Exchange("stopping a run", STOP_RUN, user_id=USER,
             setup=(Call(RUNS, SCRIPT, answers=(Slow(RunResult(Verdict.PASSED), 2.0),)),),
             expect=has(stop_requested=True)),
    Exchange("stopping a run that has ended", STOP_RUN, user_id=USER,
             setup=(Call(RUNS, SCRIPT, query={"wait": "true"}),), status=409),
    Exchange("stopping another user's run", STOP_RUN, user_id=OTHER_USER, setup=(START_RUN,),
             status=403),
    Exchange("stopping an unknown run", STOP_RUN, user_id=USER,
             path_parameters={"run_id": "0" * 32}, status=404),
    # statistics
    Exchange("an LMS's attempts", STATISTICS, method="get", query=STATISTICS_QUERY,
             prepare=add_statistics_client, setup=solve_every_task(),
             expect=lambda body: non_empty_list(body) and body[0]["attempt_type"] == "submit"),
    Exchange("a page of an LMS's attempts", STATISTICS, method="get",
             query={**STATISTICS_QUERY, "limit": "1"}, prepare=add_statistics_client,
             setup=solve_every_task(), expect=lambda body: len(body) == 1),
    Exchange("attempts in a backwards window", STATISTICS, method="get",
             query={**STATISTICS_QUERY, "end": "2000-01-01"}, prepare=add_statistics_client,
             status=400, expect=names_field("end")),
    Exchange("attempts with a wrong client key", STATISTICS, method="get",
             query={**STATISTICS_QUERY, "client_key": "hmk_wrong"},
             prepare=add_statistics_client, status=401),
    Exchange("daily figures", DAILY, method="get", query=DAILY_QUERY, prepare=compute_a_day,
             expect=lambda body: body["days"][0]["attempts"] == 2),
    Exchange("daily figures as CSV", DAILY, method="get", query=DAILY_QUERY,
             headers={"Accept": "text/csv"}, prepare=compute_a_day),
    Exchange("daily figures without a span", DAILY, method="get", status=400,
             expect=names_field("from")),
    Exchange("daily figures without the API token", DAILY, method="get", query=DAILY_QUERY,
             status=401, settings=WITH_API_TOKEN),
    Exchange("daily figures with a wrong API token", DAILY, method="get", query=DAILY_QUERY,
             status=403, settings=WITH_API_TOKEN, headers={"Authorization": "Bearer wrong"}),
    # service endpoints, methods and tokens
    Exchange("health", "/health", method="get", expect=has(status="ok", runner="configured")),
    Exchange("the metrics", "/metrics", method="get"),
    Exchange("the served document", "/openapi.json", method="get",
             expect=lambda body: body == DOCUMENT),
    Exchange("GET on a legacy path", "/get_courses", method="get", status=405),
    Exchange("DELETE on an admin path", "/merge_users", method="delete", admin=True, status=405,
             expect=has(status=-1)),
    Exchange("POST on a service path", "/health", status=405),
    Exchange("a request without the API token", "/get_courses", {}, status=401,
             settings=WITH_API_TOKEN),
    Exchange("a request with a wrong API token", "/get_courses", {}, status=403,
             settings=WITH_API_TOKEN, headers={"Authorization": "Bearer wrong"}),
    Exchange("a request with the API token", "/get_courses", {}, settings=WITH_API_TOKEN,
             headers=BEARER_API, expect=non_empty_list),
    Exchange("health without the API token", "/health", method="get", status=401,
             settings=WITH_API_TOKEN),
    Exchange("merging without any token", "/merge_users", MERGE, status=401,
             settings=WITH_API_TOKEN, expect=has(status=-1)),
    Exchange("merging with the API token only", "/merge_users", MERGE, status=403,
             settings=WITH_API_TOKEN, headers=BEARER_API, expect=has(status=-1)),
    # segments
    Exchange("creating a segment", SEGMENTS, {"name": "BETA", "percentage": 12.5}, status=201,
             admin=True, expect=has(name="BETA", percentage=12.5, deleted=False)),
    Exchange("creating a segment without the admin token", SEGMENTS, {"name": "BETA"},
             status=401),
    Exchange("creating a segment with the API token only", SEGMENTS, {"name": "BETA"},
             status=403, settings=WITH_API_TOKEN, headers=BEARER_API),
    Exchange("creating a segment with a bad name and percentage", SEGMENTS,
             {"name": "beta", "percentage": 101}, status=400, admin=True,
             expect=lambda body: set(body["fields"]) == {"name", "percentage"}),
    Exchange("creating a segment whose name is live", SEGMENTS, {"name": "BETA"}, status=409,
             admin=True, setup=(CREATE_BETA,)),
    Exchange("creating a segment over the body limit", SEGMENTS, raw=TOO_LARGE, status=413,
             admin=True),
    Exchange("listing segments", SEGMENTS, method="get", setup=(CREATE_BETA,),
             expect=lambda body: [s["name"] for s in body["segments"]] == ["BETA"]),
    Exchange("showing a segment", SEGMENT, method="get", setup=(CREATE_BETA,),
             expect=has(name="BETA", members=0)),
    Exchange("showing a segment no one ever named", SEGMENT, method="get",
             path_parameters={"name": "NEVER"}, status=404),
    Exchange("showing a segment with a bad name", SEGMENT, method="get",
             path_parameters={"name": "beta"}, status=400, expect=names_field("name")),
    Exchange("changing a segment's percentage", SEGMENT, {"percentage": 50}, method="patch",
             admin=True, setup=(CREATE_BETA,), expect=has(percentage=50)),
    Exchange("changing a segment with nothing to change", SEGMENT, {}, method="patch",
             admin=True, setup=(CREATE_BETA,), status=400, expect=names_field("body")),
    Exchange("changing a deleted segment", SEGMENT, {"percentage": 50}, method="patch",
             admin=True, setup=(CREATE_BETA, DELETE_BETA), status=409),
    Exchange("changing a segment over the body limit", SEGMENT, raw=TOO_LARGE,
             method="patch", admin=True, path_parameters={"name": "BETA"}, status=413),
    Exchange("deleting a segment", SEGMENT, method="delete", admin=True, setup=(CREATE_BETA,),
             expect=has(deleted=True)),
    Exchange("deleting a segment twice", SEGMENT, method="delete", admin=True,
             setup=(CREATE_BETA, DELETE_BETA), status=409),
    Exchange("deleting a segment no one ever named", SEGMENT, method="delete", admin=True,
             path_parameters={"name": "NEVER"}, status=404),
    Exchange("deleting a segment with a bad name", SEGMENT, method="delete", admin=True,
             path_parameters={"name": "x"}, status=400),
    Exchange("a user's segments", USER_SEGMENTS, method="get", setup=(CREATE_BETA, JOIN_BETA),
             path_parameters={"user_id": str(USER)},
             expect=lambda body: [s["name"] for s in body["segments"]] == ["BETA"]),
    Exchange("the segments of a malformed user", USER_SEGMENTS, method="get",
             path_parameters={"user_id": "x"}, status=400, expect=names_field("user_id")),
    Exchange("adding and removing in one call", USER_SEGMENTS,
             {"add": [{"name": "BETA", "expires_at": "2026-12-01T00:00:00Z"}], "remove": []},
             admin=True, setup=(CREATE_BETA,), path_parameters={"user_id": str(USER)},
             expect=lambda body: body["segments"][0]["expires_at"].startswith("2026-12-01")),
    Exchange("a change with an entry of no known shape", USER_SEGMENTS,
             {"add": [{"name": "BETA", "until": "soon"}]}, admin=True,
             path_parameters={"user_id": str(USER)}, status=400,
             expect=names_field("add[0].until")),
    Exchange("a change naming a segment twice and one both ways", USER_SEGMENTS,
             {"add": [{"name": "BETA"}, {"name": "BETA"}], "remove": ["BETA"]}, admin=True,
             setup=(CREATE_BETA,), path_parameters={"user_id": str(USER)}, status=409,
             expect=lambda body: set(body["fields"]) == {"add[0].name", "add[1].name",
                                                         "remove[0]"}),
    Exchange("a change naming an unknown segment", USER_SEGMENTS, {"remove": ["NEVER"]},
             admin=True, path_parameters={"user_id": str(USER)}, status=404,
             expect=names_field("remove[0]")),
    Exchange("a change naming a deleted segment", USER_SEGMENTS, {"add": [{"name": "BETA"}]},
             admin=True, setup=(CREATE_BETA, DELETE_BETA), path_parameters={"user_id": str(USER)},
             status=409, expect=names_field("add[0].name")),
    Exchange("a change over the body limit", USER_SEGMENTS, raw=TOO_LARGE, admin=True,
             path_parameters={"user_id": str(USER)}, status=413),
    Exchange("the month's history as CSV", REPORT, method="get", setup=(CREATE_BETA, JOIN_BETA),
             query={"month": "2026-11"}),
    Exchange("the history as JSON", REPORT, method="get", setup=(CREATE_BETA, JOIN_BETA),
             query={"from": "2026-11-01T00:00:00Z", "to": "2026-12-01T00:00:00Z",
                    "format": "json"},
             expect=lambda body: [row["operation"] for row in body["rows"]] == ["added"]),
    Exchange("the current month's history", REPORT, method="get", query={"format": "json"},
             expect=lambda body: body["from"].startswith("2026-11-01")),
    Exchange("a history report with a malformed month", REPORT, method="get",
             query={"month": "2026-13"}, status=400, expect=names_field("month")),
)
# fmt: on


def _perform(api: Api, exchange: Exchange) -> testing.Result:
    exchange.prepare(api)
    answered: dict[str, Any] = {}
    for call in exchange.setup:
        api.runner.answer(*call.answers)
        if call.method == "post":
            prepared = api.post(
                call.path, call.body, user_id=call.user_id, admin=call.admin, params=call.query
            )
        else:
            prepared = api.client.simulate_request(
                call.method.upper(),
                call.path,
                headers={"Authorization": f"Bearer {ADMIN_TOKEN}"} if call.admin else {},
            )
        assert prepared.status_code in (200, 201), (call, prepared.text)
        if isinstance(prepared.json, dict):
            answered.update(prepared.json)
    api.runner.answer(*exchange.answers)
    path = exchange.path.format_map({**answered, **exchange.path_parameters})
    if exchange.method == "post":
        return api.post(
            path,
            exchange.body,
            user_id=exchange.user_id,
            admin=exchange.admin,
            headers=exchange.headers,
            raw=exchange.raw,
            params=exchange.query,
        )
    headers = dict(exchange.headers or {})
    if exchange.admin:
        headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
    params = dict(exchange.query)
    if exchange.user_id is not None:
        params["user_id"] = str(exchange.user_id)
    if exchange.raw is not None:
        return api.client.simulate_request(
            exchange.method.upper(), path, headers=headers, params=params, body=exchange.raw
        )
    return api.client.simulate_request(
        exchange.method.upper(), path, headers=headers, params=params, json=exchange.body
    )


@pytest.mark.parametrize("exchange", EXCHANGES, ids=lambda exchange: exchange.name)
def test_the_answer_is_the_one_the_document_declares(exchange: Exchange, engine: Engine) -> None:
    api = build_api(engine, exchange.settings)
    result = _perform(api, exchange)
    api.finish_runs()
    assert result.status_code == exchange.status, result.text
    assert_documented(result, exchange.path, exchange.method)
    body = result.json if result.headers["Content-Type"].startswith("application/json") else None
    assert exchange.expect(body), body


def test_a_busy_runner_answer_carries_the_documented_retry_after(api: Api) -> None:
    api.runner.answer(RunnerUnavailable(retry_after=5))
    result = api.post("/run_task", {"task_id": TASK, "solution_text": CODE}, user_id=USER)
    headers = _at(documented_response("/run_task", "post", 503))["headers"]
    assert "Retry-After" in headers
    assert result.headers["Retry-After"] == "5"


def test_health_answers_the_documented_503_when_the_database_is_gone(tmp_path: Path) -> None:
    engine = sqlalchemy.create_engine(f"sqlite:///{tmp_path / 'missing' / 'handyman.sqlite3'}")
    services = build_services(engine, Settings(), None)
    result = testing.TestClient(create_app(services)).simulate_get("/health")
    assert result.status_code == 503
    assert_documented(result, "/health", "get")


# --- the requests of the exchanges -----------------------------------------------------------


def _successful_requests() -> list[Any]:
    """Each distinct body the exchanges send and the service accepts."""
    requests = [
        (exchange.name, exchange.path, exchange.body or {})
        for exchange in EXCHANGES
        if exchange.status == 200
        and exchange.method == "post"
        and "requestBody" in DOCUMENT["paths"][exchange.path]["post"]
    ] + [
        (f"setup of {exchange.name}", call.path, call.body)
        for exchange in EXCHANGES
        for call in exchange.setup
        if call.method == "post" and call.path in DOCUMENT["paths"]
    ]
    distinct = {
        json.dumps([path, body], sort_keys=True): (name, path, body)
        for name, path, body in reversed(requests)
    }
    return [pytest.param(path, body, id=name) for name, path, body in distinct.values()]


@pytest.mark.parametrize(("path", "body"), _successful_requests())
def test_a_request_the_service_accepts_satisfies_the_documented_request_body(
    path: str, body: dict[str, Any]
) -> None:
    location = ("paths", path, "post", "requestBody", "content", "application/json", "schema")
    assert schema_problems(schema_at(location), body) == []


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/run_task", {"task_id": TASK}),
        ("/update_chapter_progress", {"chapter_id": CHAPTER}),
        ("/get_practice", {"course_id": COURSE, "task_id": "../../etc"}),
        ("/merge_users", {"cur_user_id": 0, "old_user_id": OTHER_USER}),
        ("/handle_practice_code", practice_code("deploy")),
        ("/get_courses", {"status": 3}),
    ],
)
def test_a_request_the_service_refuses_for_its_shape_is_refused_by_the_document(
    path: str, body: dict[str, Any]
) -> None:
    location = ("paths", path, "post", "requestBody", "content", "application/json", "schema")
    assert schema_problems(schema_at(location), body) != []


PASSBACK = DOCUMENT["components"]["schemas"]["PassbackParams"]["properties"]


def _documented_text(name: str) -> st.SearchStrategy[str]:
    """What a fuzzer following the document sends for one passback key: its pattern as JSON
    Schema reads it (`^...$` spans the whole text), within its lengths."""
    schema = PASSBACK[name]
    pattern = schema["pattern"]
    assert pattern.startswith("^") and pattern.endswith("$")
    return st.from_regex(pattern[1:-1], fullmatch=True).filter(
        lambda text: schema.get("minLength", 0) <= len(text) <= schema["maxLength"]
    )


@settings(suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(st.fixed_dictionaries({name: _documented_text(name) for name in PASSBACK}))
def test_passback_params_the_document_allows_are_accepted(params: dict[str, str]) -> None:
    assert parse_passback_params(params) is not None


@given(st.sampled_from(sorted(PASSBACK)), st.text(max_size=5), st.text(max_size=5))
def test_a_nul_in_any_passback_string_is_refused_by_the_document_and_the_service(
    name: str, before: str, after: str
) -> None:
    params = {"oauth_consumer_key": "lms", name: f"https://lms.example/{before}\x00{after}"}

    assert schema_problems(schema_at(("components", "schemas", "PassbackParams")), params) != []
    with pytest.raises(InvalidInput) as refused:
        parse_passback_params(params)
    assert f"passback_params.{name}" in refused.value.fields


SEGMENT_BODIES = {"NewSegment": {"name": "NEW"}, "SegmentEdit": {}}


@given(
    st.sampled_from(sorted(SEGMENT_BODIES)),
    st.text(max_size=MAX_DESCRIPTION_LENGTH).filter(lambda text: "\x00" not in text),
)
def test_a_segment_description_the_document_allows_is_accepted(
    component: str, description: str
) -> None:
    body = {**SEGMENT_BODIES[component], "description": description}

    assert schema_problems(schema_at(("components", "schemas", component)), body) == []
    assert parse_description(description) == description


@given(st.sampled_from(sorted(SEGMENT_BODIES)), st.text(max_size=5), st.text(max_size=5))
def test_a_nul_in_a_segment_description_is_refused_by_the_document_and_the_service(
    component: str, before: str, after: str
) -> None:
    body = {**SEGMENT_BODIES[component], "description": f"{before}\x00{after}"}

    assert schema_problems(schema_at(("components", "schemas", component)), body) != []
    with pytest.raises(InvalidInput) as refused:
        parse_description(body["description"])
    assert "description" in refused.value.fields


@given(st.text(max_size=5), st.text(max_size=5))
def test_a_nul_in_a_command_line_is_refused_by_the_document_and_the_service(
    before: str, after: str
) -> None:
    line = f"{before}\x00{after}"
    location = ("components", "schemas", "PracticeCode", "properties", "user_cmd_line_args")

    assert schema_problems(schema_at(location), line) != []
    with pytest.raises(InvalidInput) as refused:
        split_command_line(line, "user_cmd_line_args")
    assert "user_cmd_line_args" in refused.value.fields


# --- the document as a whole -----------------------------------------------------------------


def test_the_document_is_valid_openapi_3_1() -> None:
    assert DOCUMENT["openapi"] == "3.1.0"
    validate_openapi(DOCUMENT)


@pytest.mark.parametrize("name", sorted(DOCUMENT["components"]["schemas"]))
def test_every_component_schema_is_a_valid_json_schema(name: str) -> None:
    Draft202012Validator.check_schema(DOCUMENT["components"]["schemas"][name])


def test_the_document_is_built_once() -> None:
    assert openapi_document() is openapi_document()


def test_every_operation_says_what_it_does_and_how_it_succeeds() -> None:
    for path, method in documented_operations():
        operation = DOCUMENT["paths"][path][method]
        assert operation["summary"] and operation["description"], (path, method)
        assert any(code.startswith("2") for code in operation["responses"]), (path, method)


def test_every_legacy_route_is_documented_as_post_only() -> None:
    for path in LEGACY_ROUTES:
        assert [method for method in DOCUMENT["paths"][path] if method in METHODS] == ["post"]


def test_the_document_lists_exactly_the_routes_and_methods_the_app_serves(api: Api) -> None:
    served = {
        (route.path, responder.method.lower())
        for route in inspect.inspect_app(api.client.app).routes
        for responder in route.methods
        if not responder.internal
    }
    assert served == set(documented_operations())


def test_only_admin_endpoints_demand_the_admin_token() -> None:
    admin_paths = {path for path, resource in LEGACY_ROUTES.items() if resource.admin_only}
    demanding = {
        path
        for path, method in documented_operations()
        if DOCUMENT["paths"][path][method].get("security") == [{"adminToken": []}]
    }
    assert demanding == admin_paths


def test_every_operation_has_a_successful_exchange_here() -> None:
    exercised = {(e.path, e.method) for e in EXCHANGES if 200 <= e.status < 300}
    assert set(documented_operations()) <= exercised


def test_every_documented_status_is_exercised_here() -> None:
    documented = {
        status
        for path, method in documented_operations()
        for status in DOCUMENT["paths"][path][method]["responses"]
    } | {"405"}
    exercised = {str(e.status) for e in EXCHANGES}
    assert documented <= exercised


# --- whatever a client sends -----------------------------------------------------------------

_IDS = (COURSE, CHAPTER, TASK, PROJECT, EXAMPLE, "cobol", "pythonstart_chapter_0990", "../x", "")
_VALUES = st.one_of(
    st.sampled_from(_IDS),
    st.sampled_from(("all", "in_progress", "completed", "blocked", "save", "run", "test", " ")),
    st.sampled_from((CODE, PROJECT_TREE, PLAYGROUND_TREE, "python")),
    st.text(max_size=20),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=2),
)
_KEYS = (
    "course_id", "chapter_id", "task_id", "status", "solution_text", "task_type", "example_id",
    "color_output", "project_contents", "project_id", "action", "lang_id", "project",
    "playground_id", "user_code", "cur_user_id", "old_user_id", "new_user_id", "STATUS",
)  # fmt: skip


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    path=st.sampled_from(sorted(LEGACY_ROUTES)),
    body=st.dictionaries(st.sampled_from(_KEYS), _VALUES, max_size=6),
    user_id=st.one_of(st.none(), st.sampled_from((USER, OTHER_USER, 0, -1, "x", 2**63))),
    admin=st.booleans(),
)
def test_any_json_object_sent_to_any_endpoint_gets_a_documented_answer(
    api: Api, path: str, body: dict[str, Any], user_id: int | str | None, admin: bool
) -> None:
    result = api.post(path, body, user_id=user_id, admin=admin)
    assert_documented(result, path, "post")
