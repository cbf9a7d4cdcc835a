"""merge_users and split_users (contract §4): admin-only, all or nothing, `{"status": 0}` on
success and `{"status": -1, "error": ...}` with a 4xx status on failure."""

from __future__ import annotations

import json
from collections.abc import Callable

from handyman_core.progress import ItemProgress
from handyman_core.run_protocol import RunResult, Verdict
from handyman_core.status import Status
from handyman_http.settings import Settings
from tests.http.conftest import (
    CHAPTER_1,
    CHAPTER_2,
    COURSE,
    PROJECT,
    TASKS,
    Api,
    database_rows,
    encoded,
    solve_task,
)

CUR, OLD, NEW = 100, 200, 300
FAILED = RunResult(Verdict.TESTS_FAILED, tests_output="no\n")
TREE = json.dumps(
    {
        "name": "project",
        "children": [{"name": "word_count.py", "contents": "", "is_main_file": True}],
    }
)


def merge(api: Api, cur: object = CUR, old: object = OLD, **extra: object) -> tuple[int, object]:
    response = api.post(
        "/merge_users", {"cur_user_id": cur, "old_user_id": old, **extra}, admin=True
    )
    return response.status_code, response.json


def split(api: Api, cur: object = CUR, new: object = NEW) -> tuple[int, object]:
    response = api.post("/split_users", {"cur_user_id": cur, "new_user_id": new}, admin=True)
    return response.status_code, response.json


def save(api: Api, user_id: int, task_id: str, code: str) -> None:
    response = api.post(
        "/save_task", {"task_id": task_id, "solution_text": encoded(code)}, user_id=user_id
    )
    assert response.json == {"status_code": 0}


def fail(api: Api, user_id: int, task_id: str, code: str) -> None:
    api.runner.answer(FAILED)
    response = api.post(
        "/run_task", {"task_id": task_id, "solution_text": encoded(code)}, user_id=user_id
    )
    assert response.json["status_code"] == 2


def practice(api: Api, user_id: int, action: str) -> None:
    response = api.post(
        "/handle_practice_code",
        {"project_contents": TREE, "project_id": PROJECT, "course_id": COURSE, "action": action},
        user_id=user_id,
    )
    assert response.status_code == 200, response.text


def has_no_progress(api: Api, user_id: int) -> bool:
    return api.store.user_progress(user_id).is_empty()


# --- merge_users -----------------------------------------------------------------------------


def test_merge_answers_status_0(api: Api) -> None:
    solve_task(api, OLD, TASKS[CHAPTER_1][0])
    assert merge(api) == (200, {"status": 0})


def test_merge_accepts_the_new_user_id_the_site_sends_and_ignores_it(api: Api) -> None:
    solve_task(api, OLD, TASKS[CHAPTER_1][0])
    assert merge(api, new_user_id=0) == (200, {"status": 0})


def test_merge_moves_the_old_users_progress_to_the_current_user(api: Api) -> None:
    solve_task(api, OLD, TASKS[CHAPTER_1][0], code="old")
    merge(api)
    progress = api.store.user_progress(CUR)
    assert progress.tasks == {TASKS[CHAPTER_1][0]: ItemProgress(Status.COMPLETED, 1, "old")}
    assert progress.chapters == {CHAPTER_1: Status.IN_PROGRESS}
    assert progress.courses == {COURSE: Status.IN_PROGRESS}


def test_merge_deletes_the_old_users_progress(api: Api) -> None:
    solve_task(api, OLD, TASKS[CHAPTER_1][0])
    merge(api)
    assert has_no_progress(api, OLD)


def test_merge_keeps_the_higher_status_and_sums_attempts(api: Api) -> None:
    task_id = TASKS[CHAPTER_1][0]
    solve_task(api, OLD, task_id, code="old_code")
    fail(api, CUR, task_id, "cur_code")
    fail(api, CUR, task_id, "cur_code")
    merge(api)
    assert api.store.task_item(CUR, task_id) == ItemProgress(Status.COMPLETED, 3, "old_code")


def test_merge_keeps_the_current_users_completed_solution_over_old_work_in_progress(
    api: Api,
) -> None:
    task_id = TASKS[CHAPTER_1][1]
    save(api, OLD, task_id, "old_wip")
    solve_task(api, CUR, task_id, code="cur_done")
    merge(api)
    assert api.store.task_item(CUR, task_id) == ItemProgress(Status.COMPLETED, 1, "cur_done")


def test_merge_prefers_a_non_empty_old_solution_when_neither_is_completed(api: Api) -> None:
    task_id = TASKS[CHAPTER_1][2]
    save(api, OLD, task_id, "old_nonempty")
    save(api, CUR, task_id, "cur_text")
    merge(api)
    item = api.store.task_item(CUR, task_id)
    assert item is not None
    assert item.solution == "old_nonempty"


def test_merge_keeps_a_blocked_course_blocked_over_in_progress(api: Api) -> None:
    api.post("/update_course_progress", {"course_id": COURSE, "status": "blocked"}, user_id=CUR)
    solve_task(api, OLD, TASKS[CHAPTER_2][0])
    merge(api)
    assert api.store.course_statuses(CUR) == {COURSE: Status.BLOCKED}


def test_merge_moves_practice_progress_too(api: Api) -> None:
    practice(api, OLD, "test")
    merge(api)
    item = api.store.project_item(CUR, PROJECT)
    assert item is not None
    assert (item.status, item.attempts, item.solution) == (Status.COMPLETED, 1, TREE)
    assert api.store.project_item(OLD, PROJECT) is None


def test_merge_moves_the_attempt_log_to_the_current_user(api: Api) -> None:
    solve_task(api, OLD, TASKS[CHAPTER_1][0])
    merge(api)
    assert api.store.attempts_of(OLD) == []
    assert len(api.store.attempts_of(CUR)) == 1


def test_merge_of_a_user_into_itself_is_refused_with_status_minus_1_and_keeps_progress(
    api: Api,
) -> None:
    solve_task(api, CUR, TASKS[CHAPTER_1][0])
    before = database_rows(api.engine)
    status, body = merge(api, CUR, CUR)
    assert status == 409
    assert isinstance(body, dict)
    assert body["status"] == -1
    assert "old_user_id" in body["error"]
    assert database_rows(api.engine) == before


def test_merge_with_a_missing_id_is_refused(api: Api) -> None:
    response = api.post("/merge_users", {"cur_user_id": CUR}, admin=True)
    assert response.status_code == 400
    assert response.json["status"] == -1
    assert "old_user_id" in response.json["fields"]


def test_merge_with_string_ids_is_refused_naming_the_fields(api: Api) -> None:
    status, body = merge(api, str(CUR), str(OLD))
    assert status == 400
    assert isinstance(body, dict)
    assert body["status"] == -1
    assert set(body["fields"]) == {"cur_user_id", "old_user_id"}


def test_merge_without_the_admin_token_is_unauthorized_and_writes_nothing(api: Api) -> None:
    solve_task(api, OLD, TASKS[CHAPTER_1][0])
    before = database_rows(api.engine)
    response = api.post("/merge_users", {"cur_user_id": CUR, "old_user_id": OLD})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json["status"] == -1
    assert "error" in response.json
    assert database_rows(api.engine) == before


def test_merge_with_a_wrong_admin_token_is_forbidden(api: Api) -> None:
    response = api.post(
        "/merge_users",
        {"cur_user_id": CUR, "old_user_id": OLD},
        headers={"Authorization": "Bearer not-the-token"},
    )
    assert response.status_code == 403


def test_merge_is_forbidden_even_with_a_token_when_no_admin_token_is_configured(
    make_api: Callable[[Settings], Api],
) -> None:
    api = make_api(Settings(admin_token=None))
    response = api.post("/merge_users", {"cur_user_id": CUR, "old_user_id": OLD}, admin=True)
    assert response.status_code == 403


# --- split_users -----------------------------------------------------------------------------


def test_split_answers_status_0(api: Api) -> None:
    solve_task(api, CUR, TASKS[CHAPTER_1][0])
    assert split(api) == (200, {"status": 0})


def test_split_copies_every_progress_row_and_keeps_the_current_users(api: Api) -> None:
    solve_task(api, CUR, TASKS[CHAPTER_1][0], code="mine")
    save(api, CUR, TASKS[CHAPTER_2][0], "draft")
    api.post(
        "/update_chapter_progress", {"chapter_id": CHAPTER_2, "status": "blocked"}, user_id=CUR
    )
    split(api)
    assert api.store.user_progress(NEW) == api.store.user_progress(CUR)
    assert not has_no_progress(api, CUR)


def test_split_copies_practice_progress_too(api: Api) -> None:
    practice(api, CUR, "save")
    split(api)
    assert api.store.project_item(NEW, PROJECT) == api.store.project_item(CUR, PROJECT)


def test_split_into_a_user_with_progress_is_a_conflict_and_writes_nothing(api: Api) -> None:
    solve_task(api, CUR, TASKS[CHAPTER_1][0])
    save(api, NEW, TASKS[CHAPTER_2][0], "theirs")
    before = database_rows(api.engine)
    status, body = split(api)
    assert status == 409
    assert isinstance(body, dict)
    assert body["status"] == -1
    assert "error" in body
    assert database_rows(api.engine) == before


def test_split_into_the_same_user_is_refused(api: Api) -> None:
    status, body = split(api, CUR, CUR)
    assert status == 409
    assert isinstance(body, dict)
    assert body["status"] == -1


def test_split_without_the_admin_token_is_unauthorized(api: Api) -> None:
    response = api.post("/split_users", {"cur_user_id": CUR, "new_user_id": NEW})
    assert response.status_code == 401
    assert response.json["status"] == -1
