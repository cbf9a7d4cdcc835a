"""Bad input, endpoint by endpoint (contract §2): every malformed request is a 4xx with a JSON
`{"error": ...}` (and `fields` naming the culprit for a 400), carries an X-Request-Id, reveals
nothing about the service's insides, runs nothing and writes nothing. No request here may
produce a 500.

All requests of one database kind share one database, seeded with some progress, so that
"writes nothing" is checked against real rows; a fresh database per request would cost more
than the requests themselves.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator, Mapping
from typing import Any, Literal

import pytest
from attrs import frozen
from falcon import testing
from sqlalchemy import Engine

from tests.conftest import PROJECT_ROOT
from tests.http.conftest import (
    CHAPTER_1,
    CHAPTER_2,
    COURSE,
    EXAMPLE,
    PROJECT,
    TASK,
    Api,
    build_api,
    database_rows,
    encoded,
    solve_task,
)

USER = "7"
"""The seeded user: every request is made as this user, whose rows must stay as they are."""
SEEDED_PLAYGROUND = "seeded"
TREE = json.dumps(
    {
        "name": "project",
        "children": [{"name": "word_count.py", "contents": "print(1)", "is_main_file": True}],
    }
)
ONE_MIB = 1024 * 1024

UserRule = Literal["required", "optional", "unused"]
JsonKind = Literal["string", "bool", "int"]

OPTIONS_FIELDS: Mapping[str, JsonKind] = {
    "course_id": "string",
    "chapter_id": "string",
    "task_id": "string",
    "task_type": "string",
    "solution_text": "string",
    "status": "string",
    "example_id": "string",
    "source_run": "string",
    "source_test": "string",
    "color_output": "bool",
    "run_static_type_checker": "bool",
}
"""The original's common body (§0.6): every endpoint that reads it decodes all of its fields."""

WRONG_VALUE: Mapping[JsonKind, object] = {"string": 1, "bool": "true", "int": "8"}
"""Number for string, string for bool, string for integer ids."""


@frozen
class EndpointSpec:
    path: str
    valid_body: dict[str, Any]
    user: UserRule
    fields: Mapping[str, JsonKind]
    admin: bool = False


ENDPOINTS = (
    EndpointSpec("/get_courses", {"status": "all"}, "optional", OPTIONS_FIELDS),
    EndpointSpec("/get_course_info", {"course_id": COURSE}, "unused", OPTIONS_FIELDS),
    EndpointSpec("/get_course_description", {"course_id": COURSE}, "unused", OPTIONS_FIELDS),
    EndpointSpec(
        "/update_course_progress",
        {"course_id": COURSE, "status": "in_progress"},
        "required",
        OPTIONS_FIELDS,
    ),
    EndpointSpec(
        "/update_chapter_progress",
        {"chapter_id": CHAPTER_1, "status": "in_progress"},
        "required",
        OPTIONS_FIELDS,
    ),
    EndpointSpec("/get_chapters", {"course_id": COURSE}, "optional", OPTIONS_FIELDS),
    EndpointSpec("/get_chapter", {"chapter_id": CHAPTER_1}, "optional", OPTIONS_FIELDS),
    EndpointSpec("/get_active_chapter", {"course_id": COURSE}, "required", OPTIONS_FIELDS),
    EndpointSpec("/get_progress", {"chapter_id": CHAPTER_1}, "required", OPTIONS_FIELDS),
    EndpointSpec("/courses_stats", {}, "required", OPTIONS_FIELDS),
    EndpointSpec("/course_stats", {"course_id": COURSE}, "required", OPTIONS_FIELDS),
    EndpointSpec("/get_task", {"task_id": TASK}, "required", OPTIONS_FIELDS),
    EndpointSpec(
        "/run_task", {"task_id": TASK, "solution_text": encoded("x")}, "required", OPTIONS_FIELDS
    ),
    EndpointSpec(
        "/save_task", {"task_id": TASK, "solution_text": encoded("x")}, "required", OPTIONS_FIELDS
    ),
    EndpointSpec(
        "/inject_playground_code",
        {"task_id": TASK, "solution_text": encoded("x"), "example_id": ""},
        "required",
        OPTIONS_FIELDS,
    ),
    EndpointSpec(
        "/merge_users",
        {"cur_user_id": 8, "old_user_id": 9, "new_user_id": 0},
        "unused",
        {"cur_user_id": "int", "old_user_id": "int", "new_user_id": "int"},
        admin=True,
    ),
    EndpointSpec(
        "/split_users",
        {"cur_user_id": 8, "new_user_id": 9},
        "unused",
        {"cur_user_id": "int", "old_user_id": "int", "new_user_id": "int"},
        admin=True,
    ),
    EndpointSpec(
        "/get_practice",
        {"course_id": COURSE, "task_id": PROJECT},
        "optional",
        {"course_id": "string", "task_id": "string"},
    ),
    EndpointSpec(
        "/handle_practice_code",
        {
            "project_contents": TREE,
            "project_id": PROJECT,
            "course_id": COURSE,
            "action": "save",
            "user_cmd_line_args": "",
        },
        "required",
        {
            "project_contents": "string",
            "project_id": "string",
            "course_id": "string",
            "action": "string",
            "user_cmd_line_args": "string",
        },
    ),
    EndpointSpec(
        "/run_code",
        {"lang_id": "python", "project": TREE, "playground_id": "fresh"},
        "optional",
        {
            "lang_id": "string",
            "project": "string",
            "playground_id": "string",
            "user_code": "string",
        },
    ),
    EndpointSpec(
        "/get_playground_code",
        {"playground_id": SEEDED_PLAYGROUND},
        "unused",
        {"playground_id": "string"},
    ),
)
BY_PATH = {endpoint.path: endpoint for endpoint in ENDPOINTS}


@frozen
class BadRequest:
    endpoint: EndpointSpec
    status: int
    bad_field: str | tuple[str, ...] | None
    """The field a 400 must name in `fields` (or any one of several acceptable names)."""
    body: dict[str, Any] | None = None
    raw: bytes | None = None
    user_id: str | None = USER


def _request(
    path: str,
    status: int,
    field_name: str | tuple[str, ...] | None,
    changes: Mapping[str, Any] | None = None,
    *,
    body: dict[str, Any] | None = None,
    raw: bytes | None = None,
    user_id: str | None = USER,
) -> BadRequest:
    """The endpoint's valid body with `changes`, unless a whole `body` or `raw` is given."""
    endpoint = BY_PATH[path]
    if body is None and raw is None:
        body = {**endpoint.valid_body, **(changes or {})}
    return BadRequest(endpoint, status, field_name, body=body, raw=raw, user_id=user_id)


def _case(request: BadRequest, label: str) -> Any:
    return pytest.param(request, id=f"{request.endpoint.path[1:]}-{label}")


# --- the cases -------------------------------------------------------------------------------

MALFORMED_JSON = {
    "unclosed": b'{"course_id": "pythonstart"',
    "missing-value": b'{"course_id": }',
    "single-quotes": b"{'course_id': 'pythonstart'}",
    "trailing-garbage": b'{"course_id": "pythonstart"} x',
    "not-utf8": b'{"course_id": "\xff\xfe"}',
    "deeply-nested-array": b"[" * 100_000,
    "deeply-nested-object": b'{"a": ' * 100_000,
}
NOT_AN_OBJECT = {"array": b"[]", "string": b'"pythonstart"', "number": b"42", "null": b"null"}


def malformed_body_cases() -> Iterator[Any]:
    for endpoint in ENDPOINTS:
        for label, raw in {**MALFORMED_JSON, **NOT_AN_OBJECT}.items():
            yield _case(_request(endpoint.path, 400, "body", raw=raw), label)


def wrong_type_cases() -> Iterator[Any]:
    for endpoint in ENDPOINTS:
        for name, kind in endpoint.fields.items():
            wrong = WRONG_VALUE[kind]
            yield _case(_request(endpoint.path, 400, name, {name: wrong}), f"{name}-{kind}")
        first = next(iter(endpoint.fields))
        for label, wrong in {"object": {"a": 1}, "list": ["x"]}.items():
            yield _case(_request(endpoint.path, 400, first, {first: wrong}), f"{first}-{label}")


BAD_BASE64 = {
    "non-ascii": "eA==é",
    "base64-lone-surrogate": "\ud800eA==",
    "url-safe-alphabet": "-__-",
    "missing-padding": "eA",
    "wrong-padding": "eA=",
    "not-base64": "!!!!",
    "not-utf8-payload": encoded(b"\xff\xfe\xfd"),
    "nul-byte": encoded(b"print(1)\x00"),
}
CODE_FIELDS = (
    ("/run_task", "solution_text"),
    ("/save_task", "solution_text"),
    ("/inject_playground_code", "solution_text"),
    ("/run_code", "user_code"),
)


def base64_cases() -> Iterator[Any]:
    for path, name in CODE_FIELDS:
        for label, value in BAD_BASE64.items():
            yield _case(_request(path, 400, name, {name: value}), f"{name}-{label}")
        if name == "solution_text":
            yield _case(_request(path, 400, name, {name: ""}), f"{name}-empty")


IdKind = Literal["course", "chapter", "task", "project", "example", "playground"]
ID_FIELDS: tuple[tuple[str, str, IdKind], ...] = (
    ("/get_course_info", "course_id", "course"),
    ("/get_course_description", "course_id", "course"),
    ("/update_course_progress", "course_id", "course"),
    ("/get_chapters", "course_id", "course"),
    ("/get_active_chapter", "course_id", "course"),
    ("/course_stats", "course_id", "course"),
    ("/get_practice", "course_id", "course"),
    ("/handle_practice_code", "course_id", "course"),
    ("/get_chapter", "chapter_id", "chapter"),
    ("/update_chapter_progress", "chapter_id", "chapter"),
    ("/get_progress", "chapter_id", "chapter"),
    ("/get_task", "task_id", "task"),
    ("/run_task", "task_id", "task"),
    ("/save_task", "task_id", "task"),
    ("/inject_playground_code", "task_id", "task"),
    ("/get_practice", "task_id", "project"),
    ("/handle_practice_code", "project_id", "project"),
    ("/run_task", "example_id", "example"),
    ("/inject_playground_code", "example_id", "example"),
    ("/run_code", "playground_id", "playground"),
    ("/get_playground_code", "playground_id", "playground"),
)
TRAVERSALS = {
    "dotdot-etc": "../../etc",
    "dotdot-inside": "python/../cpp",
    "slash": "a/b",
    "dotdot": "..",
}
LONG_IDS: Mapping[IdKind, str] = {
    "course": "p" * 200,
    "chapter": "p" * 187 + "_chapter_0010",
    "task": "p" * 177 + "_chapter_0010_task_0010",
    "project": "pythonstart_" + "w" * 188,
    "example": "e" * 200,
    "playground": "p" * 200,
}
UPPERCASE_IDS: Mapping[IdKind, str] = {
    "course": COURSE.upper(),
    "chapter": CHAPTER_1.upper(),
    "task": TASK.upper(),
    "project": PROJECT.upper(),
    "example": EXAMPLE.upper(),
}
"""Playground ids are the site's own keys, not catalogue ids; the grammar does not cover them."""


def bad_id_cases() -> Iterator[Any]:
    for path, name, kind in ID_FIELDS:
        values = {**TRAVERSALS, "200-chars": LONG_IDS[kind]}
        if kind in UPPERCASE_IDS:
            values["uppercase"] = UPPERCASE_IDS[kind]
        for label, value in values.items():
            if path == "/get_chapter" and name == "course_id":
                continue
            yield _case(_request(path, 400, name, {name: value}), f"{name}-{label}")
    for label, value in TRAVERSALS.items():
        request = _request("/get_chapter", 400, "course_id", body={"course_id": value})
        yield _case(request, f"course_id-{label}")


UNKNOWN_CHAPTER = "pythonstart_chapter_0990"
UNKNOWN_TASK = "pythonstart_chapter_0010_task_0990"


def unknown_id_cases() -> Iterator[Any]:
    unknown: list[tuple[str, str, dict[str, Any]]] = [
        ("/get_course_info", "course", {"course_id": "nosuchcourse"}),
        ("/get_course_description", "course", {"course_id": "nosuchcourse"}),
        ("/update_course_progress", "course", {"course_id": "nosuchcourse"}),
        ("/get_chapters", "course", {"course_id": "nosuchcourse"}),
        ("/get_active_chapter", "course", {"course_id": "nosuchcourse"}),
        ("/course_stats", "course", {"course_id": "nosuchcourse"}),
        ("/get_chapter", "course", {"chapter_id": "", "course_id": "nosuchcourse"}),
        ("/get_chapter", "chapter", {"chapter_id": UNKNOWN_CHAPTER}),
        ("/get_chapter", "chapter-of-unknown-course", {"chapter_id": "nosuch_chapter_0010"}),
        ("/update_chapter_progress", "chapter", {"chapter_id": UNKNOWN_CHAPTER}),
        ("/get_progress", "chapter", {"chapter_id": UNKNOWN_CHAPTER}),
        ("/get_task", "task", {"task_id": UNKNOWN_TASK}),
        ("/run_task", "task", {"task_id": UNKNOWN_TASK}),
        ("/run_task", "task-of-unknown-course", {"task_id": "python_chapter_0010_task_0010"}),
        ("/save_task", "task", {"task_id": UNKNOWN_TASK}),
        ("/inject_playground_code", "chapter", {"task_id": f"{UNKNOWN_CHAPTER}_task_0000"}),
        (
            "/inject_playground_code",
            "chapter-of-unknown-course",
            {
                "task_id": "python_chapter_0010_task_0000",
                "example_id": "example_for_playground_001",
            },
        ),
        ("/run_task", "example", {"example_id": "example_for_playground_999"}),
        ("/get_practice", "project", {"task_id": "pythonstart_nothing"}),
        ("/get_practice", "course", {"course_id": "nosuchcourse"}),
        ("/handle_practice_code", "project", {"project_id": "pythonstart_nothing"}),
        ("/handle_practice_code", "course", {"course_id": "python"}),
        ("/get_playground_code", "playground", {"playground_id": "never_run"}),
    ]
    for path, label, overrides in unknown:
        yield _case(_request(path, 404, None, overrides), f"unknown-{label}")


BAD_USER_IDS = {
    "negative": "-1",
    "zero": "0",
    "non-numeric": "abc",
    "two-to-the-63": str(2**63),
    "twenty-digits": "9" * 20,
    "decimal-fraction": "1.5",
    "plus-sign": "+7",
    "non-ascii-digit": "\u0667",
}


def user_id_cases(rules: tuple[UserRule, ...] = ("required", "optional")) -> Iterator[Any]:
    for endpoint in ENDPOINTS:
        if endpoint.user not in rules:
            continue
        for label, value in BAD_USER_IDS.items():
            yield _case(_request(endpoint.path, 400, "user_id", user_id=value), f"user-{label}")
        if endpoint.user == "required":
            yield _case(_request(endpoint.path, 400, "user_id", user_id=None), "user-missing")
            yield _case(_request(endpoint.path, 400, "user_id", user_id=""), "user-empty")


def huge_body_cases() -> Iterator[Any]:
    for endpoint in ENDPOINTS:
        request = _request(endpoint.path, 413, None, {"padding": "x" * ONE_MIB})
        yield _case(request, "over-1-MiB")


def missing_field_cases() -> Iterator[Any]:
    required: list[tuple[str, str, dict[str, Any]]] = [
        ("/get_course_info", "course_id", {}),
        ("/get_course_description", "course_id", {}),
        ("/update_course_progress", "course_id", {"status": "in_progress"}),
        ("/update_course_progress", "status", {"course_id": COURSE}),
        ("/update_chapter_progress", "chapter_id", {"status": "in_progress"}),
        ("/update_chapter_progress", "status", {"chapter_id": CHAPTER_1}),
        ("/get_chapters", "course_id", {}),
        ("/get_chapter", "chapter_id", {}),
        ("/get_active_chapter", "course_id", {}),
        ("/get_progress", "chapter_id", {"course_id": COURSE}),
        ("/course_stats", "course_id", {}),
        ("/get_task", "task_id", {"chapter_id": CHAPTER_1}),
        ("/run_task", "task_id", {"solution_text": encoded("x")}),
        ("/run_task", "solution_text", {"task_id": TASK}),
        ("/save_task", "task_id", {"solution_text": encoded("x")}),
        ("/save_task", "solution_text", {"task_id": TASK}),
        ("/inject_playground_code", "task_id", {"solution_text": encoded("x")}),
        ("/merge_users", "old_user_id", {"cur_user_id": 8}),
        ("/merge_users", "cur_user_id", {"old_user_id": 9}),
        ("/split_users", "new_user_id", {"cur_user_id": 8}),
        ("/get_practice", "task_id", {"course_id": COURSE}),
        ("/get_practice", "course_id", {"task_id": PROJECT}),
        ("/handle_practice_code", "project_id", {"course_id": COURSE, "action": "save"}),
        ("/run_code", "project", {"lang_id": "python"}),
        ("/get_playground_code", "playground_id", {}),
    ]
    for path, name, body in required:
        yield _case(_request(path, 400, name, body=body), f"missing-{name}")


USED_STRING_FIELD = {
    "/get_courses": "status",
    "/get_course_info": "course_id",
    "/get_course_description": "course_id",
    "/update_course_progress": "status",
    "/update_chapter_progress": "status",
    "/get_chapters": "course_id",
    "/get_chapter": "chapter_id",
    "/get_active_chapter": "course_id",
    "/get_progress": "chapter_id",
    "/course_stats": "course_id",
    "/get_task": "task_id",
    "/run_task": "solution_text",
    "/save_task": "solution_text",
    "/inject_playground_code": "solution_text",
    "/get_practice": "task_id",
    "/handle_practice_code": "project_id",
    "/run_code": "playground_id",
    "/get_playground_code": "playground_id",
}
"""Per endpoint, a string field it reads (and may echo back)."""
LONE_SURROGATE = "\ud800"
"""Valid JSON (`"\\ud800"`), but no Unicode text: it can be neither stored nor sent back."""


def surrogate_tree(**entry: str) -> str:
    file = {"name": "word_count.py", "contents": "print(1)", "is_main_file": True, **entry}
    return json.dumps({"name": "project", "children": [file]})


def lone_surrogate_cases() -> Iterator[Any]:
    for path, name in USED_STRING_FIELD.items():
        value = BY_PATH[path].valid_body.get(name, "") + LONE_SURROGATE
        yield _case(_request(path, 400, ("body", name), {name: value}), f"{name}-lone-surrogate")
    trees = {
        "contents": surrogate_tree(contents=LONE_SURROGATE),
        "file-name": surrogate_tree(name=f"word{LONE_SURROGATE}.py"),
    }
    for label, tree in trees.items():
        for action in ("save", "run"):
            changes = {"project_contents": tree, "action": action}
            request = _request("/handle_practice_code", 400, ("body", "project_contents"), changes)
            yield _case(request, f"{action}-tree-{label}-lone-surrogate")
        request = _request("/run_code", 400, ("body", "project"), {"project": tree})
        yield _case(request, f"tree-{label}-lone-surrogate")


def other_value_cases() -> Iterator[Any]:
    """Values of the right type that no endpoint can act on."""
    yield _case(_request("/get_courses", 400, "status", {"status": "finished"}), "status-unknown")
    yield _case(
        _request("/run_task", 400, "task_type", {"task_type": "essay"}), "task_type-unknown"
    )
    yield _case(
        _request("/handle_practice_code", 400, "action", {"action": "build"}), "action-unknown"
    )
    yield _case(
        _request("/handle_practice_code", 400, "project_contents", {"project_contents": "{"}),
        "project_contents-not-json",
    )
    yield _case(
        _request("/handle_practice_code", 400, "project_contents", {"project_contents": "[]"}),
        "project_contents-not-a-tree",
    )
    yield _case(_request("/run_code", 400, "lang_id", {"lang_id": "cobol"}), "lang_id-unknown")
    yield _case(_request("/run_code", 400, "project", {"project": "{}"}), "project-not-a-tree")
    for path in ("/merge_users", "/split_users"):
        other = "old_user_id" if path == "/merge_users" else "new_user_id"
        for label, value in {"zero": 0, "negative": -5, "too-big": 2**63, "float": 8.5}.items():
            yield _case(_request(path, 400, "cur_user_id", {"cur_user_id": value}), f"cur-{label}")
        yield _case(_request(path, 409, None, {other: 8}), "same-user")
        yield _case(_request(path, 400, "cur_user_id", {"cur_user_id": True}), "cur-bool")


BAD_REQUESTS = [
    *malformed_body_cases(),
    *wrong_type_cases(),
    *base64_cases(),
    *bad_id_cases(),
    *unknown_id_cases(),
    *user_id_cases(),
    *huge_body_cases(),
    *missing_field_cases(),
    *other_value_cases(),
    *lone_surrogate_cases(),
]


# --- the checks ------------------------------------------------------------------------------

LEAKS = (
    "Traceback",
    'File "',
    "sqlalchemy",
    "psycopg",
    "sqlite3",
    "SELECT ",
    "INSERT ",
    "UPDATE ",
    "site-packages",
    str(PROJECT_ROOT),
    tempfile.gettempdir() + "/",
    "handyman_",
)
"""What an error body must never contain: tracebacks, SQL, the service's own file paths or
module names, driver names."""


@pytest.fixture(scope="module")
def seeded_api(module_engine: Engine) -> Api:
    api = build_api(module_engine)
    user = int(USER)
    solve_task(api, user, TASK, code="solved")
    api.post(
        "/update_chapter_progress", {"chapter_id": CHAPTER_2, "status": "blocked"}, user_id=user
    )
    saved = api.post(
        "/handle_practice_code",
        {"project_contents": TREE, "project_id": PROJECT, "course_id": COURSE, "action": "save"},
        user_id=user,
    )
    assert saved.status_code == 200, saved.text
    ran = api.post(
        "/run_code",
        {"lang_id": "python", "project": TREE, "playground_id": SEEDED_PLAYGROUND},
        user_id=user,
    )
    assert ran.status_code == 200, ran.text
    return api


@pytest.fixture
def quiet_api(seeded_api: Api) -> Api:
    seeded_api.runner.results.clear()
    seeded_api.runner.requests.clear()
    return seeded_api


def send(api: Api, request: BadRequest) -> testing.Result:
    """Bodies are encoded here, ASCII-only as most clients do, so that a lone surrogate travels
    as the JSON escape it must be."""
    raw = request.raw if request.raw is not None else json.dumps(request.body).encode()
    return api.post(
        request.endpoint.path,
        raw=raw,
        user_id=request.user_id,
        admin=request.endpoint.admin,
    )


@pytest.mark.parametrize("request_", BAD_REQUESTS)
def test_a_bad_request_is_refused_cleanly_and_changes_nothing(
    quiet_api: Api, request_: BadRequest
) -> None:
    before = database_rows(quiet_api.engine)
    response = send(quiet_api, request_)

    assert response.status_code == request_.status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.headers.get("X-Request-Id")
    body = response.json
    assert isinstance(body, dict)
    assert isinstance(body.get("error"), str)
    assert body["error"]
    if request_.status == 400:
        assert isinstance(body.get("fields"), dict), body
        wanted = request_.bad_field
        acceptable = (wanted,) if isinstance(wanted, str) else wanted
        assert acceptable is not None
        assert set(acceptable) & set(body["fields"]), body
    if request_.endpoint.path in ("/merge_users", "/split_users"):
        assert body["status"] == -1
    for leak in LEAKS:
        assert leak not in response.text, leak
    assert quiet_api.runner.requests == []
    assert database_rows(quiet_api.engine) == before


@pytest.mark.parametrize("request_", list(user_id_cases(rules=("unused",))))
def test_a_malformed_user_id_is_refused_even_where_the_endpoint_needs_no_user(
    quiet_api: Api, request_: BadRequest
) -> None:
    """Contract §2 makes a bad `user_id` a 400 without exception: a client that sends garbage
    learns so at once, whichever endpoint it calls."""
    before = database_rows(quiet_api.engine)
    response = send(quiet_api, request_)
    assert response.status_code == 400, response.text
    assert "user_id" in response.json["fields"]
    assert database_rows(quiet_api.engine) == before


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda endpoint: endpoint.path[1:])
def test_the_valid_body_each_case_starts_from_is_accepted(
    quiet_api: Api, endpoint: EndpointSpec
) -> None:
    """The control: each bad request above differs from an accepted one in one thing only."""
    response = quiet_api.post(
        endpoint.path, endpoint.valid_body, user_id=USER, admin=endpoint.admin
    )
    assert response.status_code == 200, response.text
