"""get_task, run_task and save_task (original §2.12-§2.14, §3): progress never goes backwards
because of a run, a run without a verdict records nothing, and a save stores the code only
(contract §3)."""

from __future__ import annotations

from handyman_core.errors import RunnerUnavailable
from handyman_core.run_protocol import Language, RunKind, RunResult, Verdict
from tests.http.conftest import (
    CHAPTER_1,
    CHAPTER_2,
    COURSE,
    TASK,
    TASKS,
    Api,
    complete_chapter,
    database_rows,
    encoded,
    solve_task,
)

USER = 7
FAILED = RunResult(Verdict.TESTS_FAILED, user_code_output="out", tests_output="expected 42\n")


def run(api: Api, code: str = "x", task_id: str = TASK, **extra: object) -> dict[str, object]:
    response = api.post(
        "/run_task", {"task_id": task_id, "solution_text": encoded(code), **extra}, user_id=USER
    )
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json
    return body


def save(api: Api, code: str, task_id: str = TASK) -> dict[str, object]:
    response = api.post(
        "/save_task", {"task_id": task_id, "solution_text": encoded(code)}, user_id=USER
    )
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json
    return body


def task(api: Api, task_id: str = TASK) -> dict[str, object]:
    body: dict[str, object] = api.post("/get_task", {"task_id": task_id}, user_id=USER).json
    return body


def statuses(api: Api, chapter_id: str = CHAPTER_1) -> tuple[str, str]:
    page = api.post("/get_chapter", {"chapter_id": chapter_id}, user_id=USER).json
    return page["status"], page["course_status"]


def update(api: Api, path: str, body: dict[str, str]) -> None:
    response = api.post(path, body, user_id=USER)
    assert response.json.get("status") == "ok", response.text


# --- get_task --------------------------------------------------------------------------------


def test_get_task_of_an_untouched_task_is_not_started_with_empty_code(api: Api) -> None:
    body = task(api)
    assert list(body) == ["task_id", "task_code", "status"]
    assert body == {"task_id": TASK, "task_code": "", "status": "not_started"}


def test_get_task_of_an_unknown_task_is_not_found(api: Api) -> None:
    response = api.post(
        "/get_task", {"task_id": "pythonstart_chapter_0010_task_0990"}, user_id=USER
    )
    assert response.status_code == 404


# --- run_task --------------------------------------------------------------------------------


def test_a_passing_run_answers_status_code_0_without_empty_tests_output(api: Api) -> None:
    assert run(api) == {"status_code": 0, "user_code_output": "ok\n"}


def test_a_failing_run_answers_status_code_2_with_the_tests_output(api: Api) -> None:
    api.runner.answer(FAILED)
    body = run(api)
    assert list(body) == ["status_code", "user_code_output", "tests_output"]
    assert body == {"status_code": 2, "user_code_output": "out", "tests_output": "expected 42\n"}


def test_a_run_that_fails_to_start_answers_status_code_1(api: Api) -> None:
    api.runner.answer(RunResult(Verdict.RUN_FAILED, user_code_output="SyntaxError"))
    assert run(api) == {"status_code": 1, "user_code_output": "SyntaxError"}


def test_a_passing_run_completes_the_task_and_stores_the_code(api: Api) -> None:
    run(api, "area = 42")
    assert task(api) == {"task_id": TASK, "task_code": "area = 42", "status": "completed"}


def test_a_failing_run_leaves_an_untouched_task_in_progress(api: Api) -> None:
    api.runner.answer(FAILED)
    run(api, "area = 41")
    assert task(api) == {"task_id": TASK, "task_code": "area = 41", "status": "in_progress"}


def test_a_failing_rerun_does_not_uncomplete_a_task(api: Api) -> None:
    run(api, "area = 42")
    api.runner.answer(FAILED)
    run(api, "area = 41")
    assert task(api)["status"] == "completed"


def test_a_failing_rerun_stores_the_new_code_as_what_the_editor_shows(api: Api) -> None:
    run(api, "area = 42")
    api.runner.answer(FAILED)
    run(api, "area = 41")
    assert task(api)["task_code"] == "area = 41"


def test_every_run_with_a_verdict_counts_an_attempt(api: Api) -> None:
    run(api)
    api.runner.answer(FAILED)
    run(api)
    item = api.store.task_item(USER, TASK)
    assert item is not None
    assert item.attempts == 2


def test_a_run_starts_the_chapter_and_the_course(api: Api) -> None:
    run(api)
    assert statuses(api) == ("in_progress", "in_progress")


def test_a_run_does_not_reset_a_completed_chapter(api: Api) -> None:
    complete_chapter(api, USER, CHAPTER_1)
    api.runner.answer(FAILED)
    run(api)
    assert statuses(api)[0] == "completed"


def test_a_run_does_not_unblock_a_blocked_chapter(api: Api) -> None:
    update(api, "/update_chapter_progress", {"chapter_id": CHAPTER_1, "status": "blocked"})
    run(api)
    assert statuses(api)[0] == "blocked"


def test_a_run_does_not_change_a_course_that_already_has_a_status(api: Api) -> None:
    update(api, "/update_course_progress", {"course_id": COURSE, "status": "blocked"})
    run(api)
    assert statuses(api)[1] == "blocked"


def test_a_run_without_a_verdict_answers_503_with_the_originals_message(api: Api) -> None:
    api.runner.answer(RunnerUnavailable("connection refused"))
    response = api.post("/run_task", {"task_id": TASK, "solution_text": encoded("x")}, user_id=USER)
    assert response.status_code == 503
    assert response.json == {"error": "Couldn't communicate with tasks runner"}


def test_a_run_without_a_verdict_records_nothing(api: Api) -> None:
    run(api, "first")
    before = database_rows(api.engine)
    api.runner.answer(RunnerUnavailable("timed out"))
    api.post("/run_task", {"task_id": TASK, "solution_text": encoded("second")}, user_id=USER)
    assert database_rows(api.engine) == before


def test_an_internal_error_of_the_runner_is_no_verdict_and_records_nothing(api: Api) -> None:
    before = database_rows(api.engine)
    api.runner.answer(RunResult(Verdict.INTERNAL_ERROR, user_code_output="Internal error"))
    response = api.post("/run_task", {"task_id": TASK, "solution_text": encoded("x")}, user_id=USER)
    assert response.status_code == 503
    assert response.json == {"error": "Couldn't communicate with tasks runner"}
    assert database_rows(api.engine) == before


def test_a_busy_runner_answers_503_with_retry_after(api: Api) -> None:
    api.runner.answer(RunnerUnavailable("busy", retry_after=7))
    response = api.post("/run_task", {"task_id": TASK, "solution_text": encoded("x")}, user_id=USER)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "7"


def test_run_task_sends_the_runner_the_code_inside_the_tasks_test_wrapper(api: Api) -> None:
    run(api, "width = 7", color_output=True, run_static_type_checker=True)
    (request,) = api.runner.requests
    assert request.kind is RunKind.TASK
    assert request.language is Language.PYTHON
    assert "width = 7" in request.source_test
    assert "#INJECT-b585472fa" not in request.source_test
    assert (request.color, request.type_check, request.task_type) == (True, True, "code")


def test_run_task_of_a_plain_text_task_runs_the_tests_only(api: Api) -> None:
    run(api, "9", task_id=TASKS[CHAPTER_1][2], task_type="plain_text")
    (request,) = api.runner.requests
    assert (request.task_type, request.source_run) == ("plain_text", "")


def test_run_task_normalises_typographic_characters_before_running_and_storing(
    api: Api,
) -> None:
    response = api.post(
        "/run_task",
        {"task_id": TASK, "solution_text": "eCA9IOKAnDHigJ3igKbCoA=="},
        user_id=USER,
    )
    assert response.status_code == 200
    assert task(api)["task_code"] == 'x = "1"... '
    assert 'x = "1"... ' in api.runner.requests[0].source_test


def test_run_task_takes_a_single_space_as_the_empty_editor_not_as_base64(api: Api) -> None:
    response = api.post("/run_task", {"task_id": TASK, "solution_text": " "}, user_id=USER)
    assert response.status_code == 200
    assert task(api)["task_code"] == " "


def test_run_task_of_an_unknown_task_is_not_found_and_runs_nothing(api: Api) -> None:
    response = api.post(
        "/run_task",
        {"task_id": "pythonstart_chapter_0010_task_0990", "solution_text": encoded("x")},
        user_id=USER,
    )
    assert response.status_code == 404
    assert api.runner.requests == []


def test_run_task_without_a_user_is_a_client_error_and_runs_nothing(api: Api) -> None:
    response = api.post("/run_task", {"task_id": TASK, "solution_text": encoded("x")})
    assert response.status_code == 400
    assert "user_id" in response.json["fields"]
    assert api.runner.requests == []


def test_run_task_with_empty_source_code_is_a_client_error_naming_solution_text(
    api: Api,
) -> None:
    response = api.post("/run_task", {"task_id": TASK, "solution_text": ""}, user_id=USER)
    assert response.status_code == 400
    assert "solution_text" in response.json["fields"]


def test_run_task_with_an_unknown_task_type_is_a_client_error(api: Api) -> None:
    response = api.post(
        "/run_task",
        {"task_id": TASK, "solution_text": encoded("x"), "task_type": "essay"},
        user_id=USER,
    )
    assert response.status_code == 400
    assert "task_type" in response.json["fields"]


# --- save_task -------------------------------------------------------------------------------


def test_save_task_answers_status_code_0(api: Api) -> None:
    assert save(api, "draft") == {"status_code": 0}


def test_saving_an_untouched_task_stores_the_code_in_progress_with_no_attempts(
    api: Api,
) -> None:
    save(api, "draft")
    item = api.store.task_item(USER, TASK)
    assert item is not None
    assert (item.status.value, item.attempts, item.solution) == ("in_progress", 0, "draft")


def test_saving_a_completed_task_keeps_its_status_and_attempts(api: Api) -> None:
    run(api, "area = 42")
    save(api, "area = 42  # tidy")
    item = api.store.task_item(USER, TASK)
    assert item is not None
    assert (item.status.value, item.attempts, item.solution) == (
        "completed",
        1,
        "area = 42  # tidy",
    )


def test_saving_a_task_does_not_touch_chapter_or_course(api: Api) -> None:
    save(api, "draft", task_id=TASKS[CHAPTER_2][0])
    assert statuses(api, CHAPTER_2) == ("not_started", "not_started")


def test_saving_a_task_runs_nothing_and_logs_no_attempt(api: Api) -> None:
    save(api, "draft")
    assert api.runner.requests == []
    assert api.store.attempts_of(USER) == []


def test_save_task_normalises_typographic_characters(api: Api) -> None:
    response = api.post(
        "/save_task", {"task_id": TASK, "solution_text": "eCA9IOKAnDHigJ3igKbCoA=="}, user_id=USER
    )
    assert response.json == {"status_code": 0}
    assert task(api)["task_code"] == 'x = "1"... '


def test_save_task_of_an_unknown_task_is_not_found_and_writes_nothing(api: Api) -> None:
    before = database_rows(api.engine)
    response = api.post(
        "/save_task",
        {"task_id": "pythonstart_chapter_0010_task_0990", "solution_text": encoded("x")},
        user_id=USER,
    )
    assert response.status_code == 404
    assert database_rows(api.engine) == before


def test_save_task_with_a_nul_byte_is_a_client_error_and_writes_nothing(api: Api) -> None:
    before = database_rows(api.engine)
    response = api.post(
        "/save_task", {"task_id": TASK, "solution_text": encoded(b"a\x00b")}, user_id=USER
    )
    assert response.status_code == 400
    assert "solution_text" in response.json["fields"]
    assert database_rows(api.engine) == before


def test_solved_tasks_of_a_chapter_let_it_be_completed(api: Api) -> None:
    for task_id in TASKS[CHAPTER_2]:
        solve_task(api, USER, task_id)
    response = api.post(
        "/update_chapter_progress", {"chapter_id": CHAPTER_2, "status": "completed"}, user_id=USER
    )
    assert response.json["status"] == "ok"
