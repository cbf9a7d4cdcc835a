"""run_code, get_playground_code and inject_playground_code (original §2.19-§2.21). Unlike the
original, run_code keeps the playground's code so that get_playground_code can give it back."""

from __future__ import annotations

import json

from attrs import evolve

from handyman_core.catalogue import Catalogue
from handyman_core.errors import RunnerUnavailable
from handyman_core.run_protocol import Language, RunKind, RunResult, Verdict
from handyman_store.catalogue_import import import_catalogue
from handyman_store.course_folder import read_course_folder
from tests.conftest import EXAMPLE_COURSES
from tests.http.conftest import (
    CHAPTER_1,
    CHAPTER_3,
    COURSE,
    EXAMPLE,
    TASK,
    Api,
    database_rows,
    encoded,
)

USER = 7
TREE = json.dumps(
    {
        "name": "project",
        "children": [{"name": "main.py", "contents": "print(1)", "is_main_file": True}],
    }
)
EXAMPLE_WRAPPER = (
    EXAMPLE_COURSES / COURSE / CHAPTER_1 / "examples" / EXAMPLE / "wrapper_playground"
).read_text("utf-8")


def run_code(api: Api, **body: str) -> dict[str, object]:
    response = api.post("/run_code", {"lang_id": "python", "project": TREE, **body}, user_id=USER)
    assert response.status_code == 200, response.text
    result: dict[str, object] = response.json
    return result


def inject(api: Api, code: str, task_id: str = TASK, example_id: str = "") -> dict[str, object]:
    response = api.post(
        "/inject_playground_code",
        {"task_id": task_id, "solution_text": code, "example_id": example_id},
        user_id=USER,
    )
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json
    return body


# --- run_code --------------------------------------------------------------------------------


def test_run_code_answers_the_runners_result(api: Api) -> None:
    api.runner.answer(RunResult(Verdict.PASSED, user_code_output="1\n"))
    assert run_code(api, playground_id="pg1") == {"status_code": 0, "user_code_output": "1\n"}


def test_run_code_runs_the_projects_main_file_in_the_named_language(api: Api) -> None:
    run_code(api, playground_id="pg1")
    (request,) = api.runner.requests
    assert (request.kind, request.language, request.main_file) == (
        RunKind.PLAYGROUND,
        Language.PYTHON,
        "main.py",
    )


def test_run_code_maps_go_to_golang_as_the_original(api: Api) -> None:
    run_code(api, lang_id="go")
    assert api.runner.requests[0].language is Language.GOLANG


def test_run_code_stores_the_playground_code_and_get_playground_code_returns_it(
    api: Api,
) -> None:
    run_code(api, playground_id="pg1")
    response = api.post("/get_playground_code", {"playground_id": "pg1"})
    assert response.status_code == 200
    assert response.json == {"user_code": TREE}


def test_a_later_run_code_replaces_the_stored_playground_code(api: Api) -> None:
    run_code(api, playground_id="pg1")
    newer = TREE.replace("print(1)", "print(2)")
    run_code(api, playground_id="pg1", project=newer)
    assert api.post("/get_playground_code", {"playground_id": "pg1"}).json == {"user_code": newer}


def test_run_code_works_for_an_anonymous_visitor(api: Api) -> None:
    response = api.post("/run_code", {"lang_id": "python", "project": TREE, "playground_id": "a1"})
    assert response.status_code == 200
    assert api.post("/get_playground_code", {"playground_id": "a1"}).json == {"user_code": TREE}


def test_run_code_without_a_playground_id_stores_nothing(api: Api) -> None:
    before = database_rows(api.engine)
    run_code(api)
    assert database_rows(api.engine) == before


def test_run_code_without_a_project_is_a_client_error_and_runs_nothing(api: Api) -> None:
    response = api.post("/run_code", {"lang_id": "python"}, user_id=USER)
    assert response.status_code == 400
    assert "project" in response.json["fields"]
    assert api.runner.requests == []


def test_run_code_in_an_unknown_language_is_a_client_error(api: Api) -> None:
    response = api.post("/run_code", {"lang_id": "cobol", "project": TREE}, user_id=USER)
    assert response.status_code == 400
    assert "lang_id" in response.json["fields"]


def test_run_code_without_a_verdict_answers_503(api: Api) -> None:
    api.runner.answer(RunnerUnavailable("refused"))
    response = api.post("/run_code", {"lang_id": "python", "project": TREE}, user_id=USER)
    assert response.status_code == 503
    assert response.json == {"error": "Couldn't communicate with tasks runner"}


def test_get_playground_code_of_an_unknown_playground_is_not_found(api: Api) -> None:
    response = api.post("/get_playground_code", {"playground_id": "never-run"})
    assert response.status_code == 404


def test_get_playground_code_without_an_id_is_a_client_error(api: Api) -> None:
    response = api.post("/get_playground_code", {})
    assert response.status_code == 400
    assert "playground_id" in response.json["fields"]


# --- inject_playground_code ------------------------------------------------------------------


def test_inject_puts_the_code_into_the_examples_playground_wrapper(api: Api) -> None:
    body = inject(api, encoded("print(1)"), task_id=f"{CHAPTER_1}_task_0000", example_id=EXAMPLE)
    assert body == {"user_code": EXAMPLE_WRAPPER.replace("#INJECT-b585472fa", "print(1)")}


def test_inject_for_a_task_without_a_playground_wrapper_answers_the_code_unchanged(
    api: Api,
) -> None:
    assert inject(api, encoded("a = 1\nb = 2")) == {"user_code": "a = 1\nb = 2"}


def test_inject_normalises_the_code_like_run_task(api: Api) -> None:
    """The original did not (its bug 18): the playground would then show code that run_task
    would have cleaned up."""
    assert inject(api, encoded("x = “1”")) == {"user_code": 'x = "1"'}


def test_inject_takes_a_single_space_as_the_empty_editor(api: Api) -> None:
    assert inject(api, " ") == {"user_code": " "}


def test_inject_writes_nothing_and_runs_nothing(api: Api) -> None:
    before = database_rows(api.engine)
    inject(api, encoded("x"))
    assert database_rows(api.engine) == before
    assert api.runner.requests == []


def test_inject_of_a_plain_code_example_answers_the_code(api: Api) -> None:
    """The site's request for a `{.example_for_playground}` block without a number: the pseudo
    task `_task_0000` and an empty example id. pythonstart has no playground fallback."""
    body = inject(api, encoded("print(1)"), task_id=f"{CHAPTER_1}_task_0000")
    assert body == {"user_code": "print(1)"}


def test_inject_with_an_example_the_chapter_lacks_answers_the_code(api: Api) -> None:
    """Some chapter texts name example folders that do not exist."""
    body = inject(
        api,
        encoded("print(1)"),
        task_id=f"{CHAPTER_1}_task_0000",
        example_id="example_for_playground_999",
    )
    assert body == {"user_code": "print(1)"}


def test_inject_for_a_task_the_chapter_lacks_answers_the_code(api: Api) -> None:
    assert inject(api, encoded("x"), task_id=f"{CHAPTER_1}_task_0990") == {"user_code": "x"}


def test_inject_in_an_unknown_chapter_is_not_found(api: Api) -> None:
    response = api.post(
        "/inject_playground_code",
        {"task_id": f"{COURSE}_chapter_0990_task_0000", "solution_text": encoded("x")},
        user_id=USER,
    )
    assert response.status_code == 404


def test_inject_in_an_unknown_course_is_not_found(api: Api) -> None:
    response = api.post(
        "/inject_playground_code",
        {
            "task_id": "python_chapter_0010_task_0000",
            "solution_text": encoded("x"),
            "example_id": EXAMPLE,
        },
        user_id=USER,
    )
    assert response.status_code == 404


def test_inject_in_a_retired_chapter_is_not_found(api: Api) -> None:
    reading = read_course_folder(EXAMPLE_COURSES)
    catalogue = reading.catalogue
    import_catalogue(
        api.engine,
        evolve(
            catalogue,
            chapters=[c for c in catalogue.chapters if c.id != CHAPTER_3],
            tasks=[t for t in catalogue.tasks if t.chapter_id != CHAPTER_3],
            projects=[p for p in catalogue.projects if p.chapter_id != CHAPTER_3],
        ),
        "without chapter 3",
    )
    response = api.post(
        "/inject_playground_code",
        {"task_id": f"{CHAPTER_3}_task_0000", "solution_text": encoded("x")},
        user_id=USER,
    )
    assert response.status_code == 404


def test_inject_in_a_retired_course_is_not_found(api: Api) -> None:
    import_catalogue(api.engine, Catalogue(), "no courses")
    response = api.post(
        "/inject_playground_code",
        {"task_id": TASK, "solution_text": encoded("x"), "example_id": ""},
        user_id=USER,
    )
    assert response.status_code == 404


def test_inject_refuses_a_traversal_in_the_example_id(api: Api) -> None:
    response = api.post(
        "/inject_playground_code",
        {
            "task_id": f"{CHAPTER_1}_task_0000",
            "solution_text": encoded("x"),
            "example_id": "../../" + EXAMPLE,
        },
        user_id=USER,
    )
    assert response.status_code == 400
    assert "example_id" in response.json["fields"]


def test_inject_without_a_user_is_a_client_error_naming_user_id(api: Api) -> None:
    response = api.post("/inject_playground_code", {"task_id": TASK, "solution_text": encoded("x")})
    assert response.status_code == 400
    assert "user_id" in response.json["fields"]
