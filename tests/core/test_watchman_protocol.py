"""The original runner's wire format (original §3.1-§3.3)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from attrs import evolve
from hypothesis import given
from hypothesis import strategies as st

from handyman_core.catalogue import ProjectFile
from handyman_core.errors import InvalidInput, RunnerUnavailable
from handyman_core.run_protocol import Language, RunKind, RunRequest, RunResult, Verdict
from handyman_core.watchman_protocol import (
    CHECK_PATH,
    PLAYGROUND_PATH,
    PRACTICE_PATH,
    check_body,
    interpret_reply,
    parse_check_body,
    parse_playground_body,
    parse_practice_body,
    playground_body,
    practice_body,
    result_body,
    watchman_call,
)

FILES = (ProjectFile("calc.py", "print(1)"), ProjectFile("src/a.py", "x"))
TREE_TEXT = (
    '{"name": "project", "children": [{"name": "calc.py", "contents": "print(1)", '
    '"is_main_file": true}, {"name": "src", "children": [{"name": "a.py", "contents": "x"}]}]}'
)

VERDICT_CODES = {
    0: Verdict.PASSED,
    1: Verdict.RUN_FAILED,
    2: Verdict.TESTS_FAILED,
    124: Verdict.TIMEOUT,
    137: Verdict.MEMORY_LIMIT,
}


def task_request(**changes: Any) -> RunRequest:
    fields: dict[str, Any] = {"kind": RunKind.TASK, "language": Language.PYTHON}
    return RunRequest(**(fields | changes))


def invalid_fields(parse: Any, body: object) -> dict[str, str]:
    with pytest.raises(InvalidInput) as error:
        parse(body)
    return error.value.fields


# --- /check ----------------------------------------------------------------------------------


def test_a_check_body_has_the_originals_keys_in_order() -> None:
    body = check_body(task_request(source_run="a = 503", source_test="test a = 503"))
    assert json.dumps(body) == (
        '{"source_run": "a = 503", "source_test": "test a = 503", "container_type": "python", '
        '"cmd_line_args": ["-c never", "-v code"]}'
    )


def test_a_check_body_omits_an_empty_source_test() -> None:
    assert "source_test" not in check_body(task_request(source_run="x"))


def test_a_plain_text_check_body_matches_the_observed_one() -> None:
    request = task_request(language=Language.CPP, source_test="t", task_type="plain_text")
    assert check_body(request) == {
        "source_run": "",
        "source_test": "t",
        "container_type": "cpp",
        "cmd_line_args": ["-c never", "-v plain_text"],
    }


def test_a_check_body_carries_colour_and_type_check() -> None:
    body = check_body(task_request(color=True, type_check=True))
    assert body["cmd_line_args"] == ["-c always", "-t strict", "-v code"]


def test_only_task_requests_make_check_bodies() -> None:
    with pytest.raises(ValueError, match="cannot be sent"):
        check_body(RunRequest(kind=RunKind.PLAYGROUND, language=Language.PYTHON))


task_requests = st.builds(
    task_request,
    language=st.sampled_from(Language),
    source_run=st.text(),
    source_test=st.text(),
    task_type=st.sampled_from(["code", "plain_text"]),
    color=st.booleans(),
    type_check=st.booleans(),
)


@given(task_requests)
def test_a_check_body_parses_back_to_the_request(request: RunRequest) -> None:
    assert parse_check_body(json.loads(json.dumps(check_body(request)))) == request


def test_a_check_body_without_options_gets_run_task_defaults() -> None:
    request = parse_check_body({"source_run": "x", "container_type": "rust"})
    assert (request.color, request.type_check, request.task_type) == (False, False, "code")


def test_unknown_keys_of_a_check_body_are_ignored() -> None:
    assert parse_check_body({"source_run": "", "container_type": "cpp", "extra": [1]}).language == (
        Language.CPP
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"container_type": "python"}, "source_run"),
        ({"source_run": 1, "container_type": "python"}, "source_run"),
        ({"source_run": "", "container_type": "java"}, "container_type"),
        ({"source_run": "", "container_type": None}, "container_type"),
        ({"source_run": "", "container_type": "python", "source_test": ["x"]}, "source_test"),
        (
            {"source_run": "", "container_type": "python", "cmd_line_args": "-c never"},
            "cmd_line_args",
        ),
        ({"source_run": "", "container_type": "python", "cmd_line_args": [1]}, "cmd_line_args"),
        ({"source_run": "", "container_type": "python", "cmd_line_args": ["-x"]}, "cmd_line_args"),
        (
            {"source_run": "", "container_type": "python", "cmd_line_args": ["-v weird"]},
            "cmd_line_args",
        ),
        ([], "body"),
        (None, "body"),
    ],
)
def test_a_bad_check_body_is_invalid_input_naming_the_field(body: object, field: str) -> None:
    assert field in invalid_fields(parse_check_body, body)


def test_a_missing_field_is_reported_as_required() -> None:
    assert invalid_fields(parse_check_body, {"source_run": ""}) == {"container_type": "is required"}


# --- /playground and /practice ---------------------------------------------------------------


def playground_request() -> RunRequest:
    return RunRequest(
        kind=RunKind.PLAYGROUND,
        language=Language.GOLANG,
        source_run="",
        files=FILES,
        main_file="calc.py",
    )


def practice_request(kind: RunKind = RunKind.PRACTICE_TEST) -> RunRequest:
    return RunRequest(
        kind=kind,
        language=Language.PYTHON,
        files=FILES,
        main_file="calc.py",
        cmd_line_args="-L 2 ./test_data",
    )


def test_a_playground_body_is_source_run_project_container_type() -> None:
    assert playground_body(playground_request()) == {
        "source_run": "",
        "project": TREE_TEXT,
        "container_type": "golang",
    }
    assert list(playground_body(playground_request())) == [
        "source_run",
        "project",
        "container_type",
    ]


def test_a_playground_body_parses_back_to_the_request() -> None:
    assert parse_playground_body(playground_body(playground_request())) == playground_request()


def test_a_playground_body_needs_a_main_file() -> None:
    body = {"container_type": "python", "project": '{"name": "p", "children": []}'}
    assert list(invalid_fields(parse_playground_body, body)) == ["project"]


def test_a_practice_body_has_the_originals_keys_in_order() -> None:
    body = practice_body(practice_request(), "python_calculator")
    assert body == {
        "project_contents": TREE_TEXT,
        "project_id": "python_calculator",
        "course_id": "python",
        "user_cmd_line_args": "-L 2 ./test_data",
        "action": "test",
    }
    assert list(body) == [
        "project_contents",
        "project_id",
        "course_id",
        "user_cmd_line_args",
        "action",
    ]


def test_the_course_test_modules_travel_in_handymans_own_key() -> None:
    request = evolve(practice_request(), test_files=("test_calc.py",))
    body = practice_body(request, "p")
    assert body["test_files"] == ["test_calc.py"]
    assert parse_practice_body(body) == request


def test_a_practice_run_carries_no_test_modules() -> None:
    body = practice_body(practice_request(RunKind.PRACTICE_RUN), "p") | {"test_files": ["t.py"]}
    assert parse_practice_body(body).test_files == ()


def test_a_practice_run_is_sent_as_action_run() -> None:
    assert practice_body(practice_request(RunKind.PRACTICE_RUN), "p")["action"] == "run"


@pytest.mark.parametrize("kind", [RunKind.PRACTICE_RUN, RunKind.PRACTICE_TEST])
def test_a_practice_body_parses_back_to_the_request(kind: RunKind) -> None:
    request = practice_request(kind)
    assert parse_practice_body(practice_body(request, "python_calculator")) == request


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"action": "save"}, "action"),
        ({"course_id": "java"}, "course_id"),
        ({"project_contents": "{"}, "project_contents"),
        ({"project_id": 5}, "project_id"),
        ({"test_files": "test_calc.py"}, "test_files"),
    ],
)
def test_a_bad_practice_body_is_invalid_input(change: dict[str, object], field: str) -> None:
    body = practice_body(practice_request(), "p") | change
    assert field in invalid_fields(parse_practice_body, body)


def test_each_kind_of_run_goes_to_its_endpoint() -> None:
    assert watchman_call(task_request()).path == CHECK_PATH
    assert watchman_call(playground_request()).path == PLAYGROUND_PATH
    assert watchman_call(practice_request(), "p").path == PRACTICE_PATH
    assert watchman_call(practice_request(), "p").body["project_id"] == "p"


def test_script_runs_have_no_watchman_endpoint() -> None:
    with pytest.raises(ValueError, match="no endpoint"):
        watchman_call(RunRequest(kind=RunKind.SCRIPT, language=Language.BASH))


# --- replies ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "verdict"), VERDICT_CODES.items())
def test_each_verdict_code_is_read_as_its_verdict(code: int, verdict: Verdict) -> None:
    result = interpret_reply({"status_code": code, "user_code_output": "o", "tests_output": "t"})
    assert result == RunResult(verdict=verdict, user_code_output="o", tests_output="t")


def test_missing_outputs_are_empty() -> None:
    assert interpret_reply({"status_code": 2}) == RunResult(verdict=Verdict.TESTS_FAILED)


NO_VERDICT: dict[str, object] = {
    "null": None,
    "a list": [{"status_code": 0}],
    "a string": "0",
    "watchman's output error": {"output": "unknown language: java"},
    "watchman's exception body": {"error": "something went wrong"},
    "an empty object": {},
    "a boolean code": {"status_code": False},
    "a string code": {"status_code": "0"},
    "a float code": {"status_code": 0.0},
    "a null code": {"status_code": None},
    "garbage from the container": {"status_code": 3, "user_code_output": "Internal error"},
    "the timeout tool failed": {"status_code": 125},
    "no launcher": {"status_code": -1},
    "an unknown code": {"status_code": 42},
    "a numeric output": {"status_code": 0, "user_code_output": 1},
    "a null output": {"status_code": 0, "tests_output": None},
}


@pytest.mark.parametrize("reply", NO_VERDICT.values(), ids=NO_VERDICT.keys())
def test_a_reply_without_a_learners_verdict_means_the_runner_is_unavailable(
    reply: object,
) -> None:
    with pytest.raises(RunnerUnavailable) as error:
        interpret_reply(reply)
    assert error.value.message == "Couldn't communicate with tasks runner"


def test_a_result_body_omits_empty_tests_output() -> None:
    body = result_body(RunResult(verdict=Verdict.PASSED, user_code_output=""))
    assert json.dumps(body) == '{"status_code": 0, "user_code_output": ""}'


def test_a_result_body_keeps_tests_output_in_order() -> None:
    result = RunResult(verdict=Verdict.TESTS_FAILED, user_code_output="out", tests_output="no\n")
    assert json.dumps(result_body(result)) == (
        '{"status_code": 2, "user_code_output": "out", "tests_output": "no\\n"}'
    )


def test_an_internal_error_result_is_not_a_verdict_when_read_back() -> None:
    with pytest.raises(RunnerUnavailable):
        interpret_reply(result_body(RunResult(verdict=Verdict.INTERNAL_ERROR)))


@given(st.sampled_from(list(VERDICT_CODES.values())), st.text(), st.text())
def test_a_result_body_reads_back_as_the_same_verdict(
    verdict: Verdict, user_code_output: str, tests_output: str
) -> None:
    result = RunResult(
        verdict=verdict, user_code_output=user_code_output, tests_output=tests_output
    )
    assert interpret_reply(result_body(result)) == result


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
)
replies = json_values | st.dictionaries(
    st.sampled_from(["status_code", "user_code_output", "tests_output", "output", "error"]),
    json_values | st.sampled_from([0, 1, 2, 3, 124, 125, 137, -1]),
)


@given(replies)
def test_no_reply_passes_unless_it_says_status_code_zero(reply: object) -> None:
    try:
        verdict = interpret_reply(reply).verdict
    except RunnerUnavailable:
        return
    if verdict is Verdict.PASSED:
        assert isinstance(reply, dict)
        assert reply["status_code"] == 0
        assert type(reply["status_code"]) is int
