"""get_practice and handle_practice_code (original §2.17, §2.18): practice projects follow the
task rules (contract §3): `save` stores, `run` never completes, a passing `test` completes, and
nothing downgrades a completed project."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from handyman_core.errors import RunnerUnavailable
from handyman_core.run_protocol import Language, RunKind, RunResult, Verdict
from tests.conftest import EXAMPLE_COURSES
from tests.http.conftest import CHAPTER_3, COURSE, PROJECT, Api, database_rows

USER = 7
PROJECT_FOLDER = EXAMPLE_COURSES / COURSE / "practice" / PROJECT
TREE = json.dumps(
    {
        "name": "project",
        "children": [
            {"name": "word_count.py", "contents": "print('the: 3')", "is_main_file": True},
            {"name": "test_word_count.py", "contents": "import word_count"},
        ],
    }
)
FAILED = RunResult(Verdict.TESTS_FAILED, user_code_output="", tests_output="1 failed\n")


def practice(
    api: Api, action: str, tree: str = TREE, args: str = "", user_id: int | None = USER
) -> dict[str, object]:
    response = api.post(
        "/handle_practice_code",
        {
            "project_contents": tree,
            "project_id": PROJECT,
            "course_id": COURSE,
            "action": action,
            "user_cmd_line_args": args,
        },
        user_id=user_id,
    )
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json
    return body


def project_status(api: Api) -> str:
    item = api.store.project_item(USER, PROJECT)
    return "not_started" if item is None else item.status.value


def get_practice(api: Api, user_id: int | None = USER) -> dict[str, object]:
    response = api.post("/get_practice", {"course_id": COURSE, "task_id": PROJECT}, user_id=user_id)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json
    return body


# --- get_practice ----------------------------------------------------------------------------


def test_get_practice_has_the_original_keys_in_order(api: Api) -> None:
    assert list(get_practice(api, user_id=None)) == [
        "title",
        "chapter_id",
        "status",
        "project_path",
        "project_description",
        "project_hint",
        "tags",
        "main_file",
        "default_cmd_line_args",
    ]


def test_get_practice_answers_the_projects_texts_and_settings(api: Api) -> None:
    body = get_practice(api, user_id=None)
    assert body["title"] == "Practice. Word counter"
    assert body["chapter_id"] == CHAPTER_3
    assert body["status"] == "not_started"
    assert body["project_description"] == (PROJECT_FOLDER / "text.md").read_text("utf-8")
    assert body["project_hint"] == (PROJECT_FOLDER / "hint.md").read_text("utf-8")
    assert (body["main_file"], body["default_cmd_line_args"]) == ("word_count.py", "--top 3")


def test_get_practice_tags_are_the_course_tags_as_a_json_string(api: Api) -> None:
    tags = get_practice(api)["tags"]
    assert isinstance(tags, str)
    assert json.loads(tags)["title"] == "Python from scratch"


def test_get_practice_project_path_is_the_absolute_project_folder(api: Api) -> None:
    project_path = get_practice(api)["project_path"]
    assert isinstance(project_path, str)
    assert Path(project_path).is_absolute()
    assert Path(project_path).resolve() == (PROJECT_FOLDER / "project").resolve()


def test_get_practice_after_the_last_chapter_has_no_next_chapter(api: Api) -> None:
    assert "next_chapter_id" not in get_practice(api)


def test_get_practice_leaves_out_the_project_until_one_is_saved(api: Api) -> None:
    assert "project" not in get_practice(api)


def test_get_practice_answers_the_saved_project_and_its_status(api: Api) -> None:
    practice(api, "save")
    body = get_practice(api)
    assert (body["project"], body["status"]) == (TREE, "in_progress")


def test_get_practice_of_a_project_of_another_course_is_not_found(api: Api) -> None:
    response = api.post("/get_practice", {"course_id": "python", "task_id": PROJECT})
    assert response.status_code == 404


def test_get_practice_of_an_unknown_project_is_not_found(api: Api) -> None:
    response = api.post("/get_practice", {"course_id": COURSE, "task_id": "pythonstart_nothing"})
    assert response.status_code == 404


# --- handle_practice_code: save --------------------------------------------------------------


def test_save_answers_the_zero_result_and_runs_nothing(api: Api) -> None:
    assert practice(api, "save") == {"status_code": 0, "user_code_output": ""}
    assert api.runner.requests == []


def test_save_stores_the_project_in_progress_without_an_attempt(api: Api) -> None:
    practice(api, "save")
    item = api.store.project_item(USER, PROJECT)
    assert item is not None
    assert (item.status.value, item.attempts, item.solution) == ("in_progress", 0, TREE)


def test_save_starts_the_course(api: Api) -> None:
    practice(api, "save")
    response = api.post("/get_courses", {"status": "all"}, user_id=USER)
    assert response.json[0]["status"] == "in_progress"


def test_save_keeps_a_completed_project_completed(api: Api) -> None:
    practice(api, "test")
    practice(api, "save")
    assert project_status(api) == "completed"


def test_save_of_a_tree_that_is_not_json_is_a_client_error_and_writes_nothing(
    api: Api,
) -> None:
    before = database_rows(api.engine)
    response = api.post(
        "/handle_practice_code",
        {"project_contents": "{", "project_id": PROJECT, "course_id": COURSE, "action": "save"},
        user_id=USER,
    )
    assert response.status_code == 400
    assert "project_contents" in response.json["fields"]
    assert database_rows(api.engine) == before


# --- handle_practice_code: run and test ------------------------------------------------------


def test_a_run_answers_the_runners_result(api: Api) -> None:
    api.runner.answer(RunResult(Verdict.PASSED, user_code_output="the: 3\n"))
    assert practice(api, "run") == {"status_code": 0, "user_code_output": "the: 3\n"}


def test_a_run_sends_the_tree_main_file_and_arguments_to_the_runner(api: Api) -> None:
    practice(api, "run", args="--top 3")
    (request,) = api.runner.requests
    assert (request.kind, request.language) == (RunKind.PRACTICE_RUN, Language.PYTHON)
    assert request.main_file == "word_count.py"
    assert request.cmd_line_args == "--top 3"
    assert {file.path for file in request.files} == {"word_count.py", "test_word_count.py"}


@pytest.mark.parametrize("args", ["x" * 200_000, "a " * 300, "'unclosed"])
def test_an_unusable_command_line_is_a_400_naming_it_and_runs_nothing(api: Api, args: str) -> None:
    before = database_rows(api.engine)
    response = api.post(
        "/handle_practice_code",
        {
            "project_contents": TREE,
            "project_id": PROJECT,
            "course_id": COURSE,
            "action": "run",
            "user_cmd_line_args": args,
        },
        user_id=USER,
    )
    assert response.status_code == 400
    assert list(response.json["fields"]) == ["user_cmd_line_args"]
    assert api.runner.requests == []
    assert database_rows(api.engine) == before


def test_a_passing_run_never_completes_the_project(api: Api) -> None:
    practice(api, "run")
    assert project_status(api) == "in_progress"


def test_a_run_does_not_downgrade_a_completed_project(api: Api) -> None:
    practice(api, "test")
    practice(api, "run")
    assert project_status(api) == "completed"


def test_a_passing_test_completes_the_project(api: Api) -> None:
    body = practice(api, "test")
    assert body["status_code"] == 0
    assert api.runner.requests[0].kind is RunKind.PRACTICE_TEST
    assert project_status(api) == "completed"


def test_a_failing_test_leaves_the_project_in_progress(api: Api) -> None:
    api.runner.answer(FAILED)
    body = practice(api, "test")
    assert body == {"status_code": 2, "user_code_output": "", "tests_output": "1 failed\n"}
    assert project_status(api) == "in_progress"


def test_a_later_failing_test_does_not_uncomplete_the_project(api: Api) -> None:
    practice(api, "test")
    api.runner.answer(FAILED)
    practice(api, "test")
    assert project_status(api) == "completed"


def test_runs_and_tests_count_attempts_and_store_the_latest_tree(api: Api) -> None:
    practice(api, "run")
    other_tree = TREE.replace("the: 3", "the: 4")
    practice(api, "test", tree=other_tree)
    item = api.store.project_item(USER, PROJECT)
    assert item is not None
    assert (item.attempts, item.solution) == (2, other_tree)


def test_a_practice_run_without_a_verdict_answers_503_and_records_nothing(api: Api) -> None:
    before = database_rows(api.engine)
    api.runner.answer(RunnerUnavailable("refused"))
    response = api.post(
        "/handle_practice_code",
        {"project_contents": TREE, "project_id": PROJECT, "course_id": COURSE, "action": "test"},
        user_id=USER,
    )
    assert response.status_code == 503
    assert response.json == {"error": "Couldn't communicate with tasks runner"}
    assert database_rows(api.engine) == before


@pytest.mark.parametrize("action", ["", "build", "Test"])
def test_an_action_other_than_save_run_or_test_is_a_client_error_and_runs_nothing(
    api: Api, action: str
) -> None:
    response = api.post(
        "/handle_practice_code",
        {"project_contents": TREE, "project_id": PROJECT, "course_id": COURSE, "action": action},
        user_id=USER,
    )
    assert response.status_code == 400
    assert "action" in response.json["fields"]
    assert api.runner.requests == []


def test_handle_practice_code_without_a_user_is_a_client_error_naming_user_id(
    api: Api,
) -> None:
    response = api.post(
        "/handle_practice_code",
        {"project_contents": TREE, "project_id": PROJECT, "course_id": COURSE, "action": "save"},
    )
    assert response.status_code == 400
    assert "user_id" in response.json["fields"]


def test_handle_practice_code_for_a_project_of_another_course_is_not_found(api: Api) -> None:
    response = api.post(
        "/handle_practice_code",
        {"project_contents": TREE, "project_id": PROJECT, "course_id": "python", "action": "run"},
        user_id=USER,
    )
    assert response.status_code == 404
    assert api.runner.requests == []
