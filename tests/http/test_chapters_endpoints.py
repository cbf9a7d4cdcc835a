"""get_chapters, get_chapter, update_chapter_progress, get_active_chapter and get_progress: the
original's shapes (original §2.5-§2.9) with the contract's fixes (contract §3): anonymous task
lists, tasks in id order, filled counts, navigation from the resolved chapter, and `no_action`
answers that never name a practice project."""

from __future__ import annotations

import json

from tests.conftest import EXAMPLE_COURSES
from tests.http.conftest import (
    CHAPTER_1,
    CHAPTER_2,
    CHAPTER_3,
    CHAPTERS,
    COURSE,
    PROJECT,
    TASKS,
    Api,
    complete_chapter,
    encoded,
    solve_task,
)

USER = 7
PAGE_KEYS_WITH_NEXT = [
    "chapter_id",
    "status",
    "course_status",
    "title",
    "next_chapter_id",
    "tasks_total",
    "tasks_completed",
    "content",
    "tasks",
    "is_practice",
]
WORD_COUNT_TREE = json.dumps(
    {
        "name": "project",
        "children": [{"name": "word_count.py", "contents": "print(1)", "is_main_file": True}],
    }
)


def chapter_text(chapter_id: str) -> str:
    return (EXAMPLE_COURSES / COURSE / chapter_id / "text.md").read_text(encoding="utf-8")


def update_chapter(
    api: Api, chapter_id: str, status: str, user_id: int = USER
) -> dict[str, object]:
    response = api.post(
        "/update_chapter_progress", {"chapter_id": chapter_id, "status": status}, user_id=user_id
    )
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json
    return body


def chapter_status(api: Api, chapter_id: str, user_id: int = USER) -> str:
    status: str = api.post("/get_chapter", {"chapter_id": chapter_id}, user_id=user_id).json[
        "status"
    ]
    return status


def complete_project(api: Api, user_id: int = USER) -> None:
    response = api.post(
        "/handle_practice_code",
        {
            "project_contents": WORD_COUNT_TREE,
            "project_id": PROJECT,
            "course_id": COURSE,
            "action": "test",
            "user_cmd_line_args": "",
        },
        user_id=user_id,
    )
    assert response.json["status_code"] == 0, response.text


def start_course(api: Api, user_id: int = USER) -> None:
    response = api.post(
        "/update_course_progress", {"course_id": COURSE, "status": "in_progress"}, user_id=user_id
    )
    assert response.json == {"status": "ok"}


# --- get_chapters ----------------------------------------------------------------------------


def test_get_chapters_lists_chapters_then_the_project_after_the_chapter_it_follows(
    api: Api,
) -> None:
    response = api.post("/get_chapters", {"course_id": COURSE})
    assert response.status_code == 200
    assert [row["chapter_id"] for row in response.json] == [*CHAPTERS, PROJECT]


def test_get_chapters_rows_have_the_original_keys_in_order(api: Api) -> None:
    rows = api.post("/get_chapters", {"course_id": COURSE}).json
    for row in rows:
        assert list(row) == [
            "chapter_id",
            "status",
            "course_status",
            "title",
            "tasks_total",
            "tasks_completed",
        ]


def test_get_chapters_for_an_anonymous_visitor_shows_titles_and_task_totals(api: Api) -> None:
    rows = api.post("/get_chapters", {"course_id": COURSE}).json
    assert rows[0] == {
        "chapter_id": CHAPTER_1,
        "status": "not_started",
        "course_status": "not_started",
        "title": "Chapter 1. Names and values",
        "tasks_total": 3,
        "tasks_completed": 0,
    }
    assert [row["tasks_total"] for row in rows] == [3, 1, 2, 1]


def test_get_chapters_gives_a_practice_row_its_title_and_one_task(api: Api) -> None:
    project_row = api.post("/get_chapters", {"course_id": COURSE}).json[-1]
    assert project_row == {
        "chapter_id": PROJECT,
        "status": "not_started",
        "course_status": "not_started",
        "title": "Practice. Word counter",
        "tasks_total": 1,
        "tasks_completed": 0,
    }


def test_get_chapters_counts_the_users_completed_tasks_and_shows_statuses(api: Api) -> None:
    solve_task(api, USER, TASKS[CHAPTER_1][0])
    solve_task(api, USER, TASKS[CHAPTER_1][2])
    rows = api.post("/get_chapters", {"course_id": COURSE}, user_id=USER).json
    assert (rows[0]["status"], rows[0]["tasks_completed"]) == ("in_progress", 2)
    assert rows[0]["course_status"] == "in_progress"
    assert (rows[1]["status"], rows[1]["tasks_completed"]) == ("not_started", 0)


def test_get_chapters_marks_a_completed_project_with_one_completed_task(api: Api) -> None:
    complete_project(api)
    project_row = api.post("/get_chapters", {"course_id": COURSE}, user_id=USER).json[-1]
    assert (project_row["status"], project_row["tasks_completed"]) == ("completed", 1)


def test_get_chapters_of_an_unknown_course_is_not_found(api: Api) -> None:
    response = api.post("/get_chapters", {"course_id": "nosuchcourse"})
    assert response.status_code == 404


# --- get_chapter -----------------------------------------------------------------------------


def test_get_chapter_has_the_original_keys_in_order(api: Api) -> None:
    response = api.post("/get_chapter", {"chapter_id": CHAPTER_1}, user_id=USER)
    assert response.status_code == 200
    assert list(response.json) == PAGE_KEYS_WITH_NEXT


def test_get_chapter_answers_title_content_and_is_practice_false(api: Api) -> None:
    page = api.post("/get_chapter", {"chapter_id": CHAPTER_2}).json
    assert page["chapter_id"] == CHAPTER_2
    assert page["title"] == "Chapter 2. Making decisions"
    assert page["content"] == chapter_text(CHAPTER_2)
    assert page["is_practice"] is False


def test_get_chapter_lists_every_task_for_an_anonymous_visitor_as_not_started(
    api: Api,
) -> None:
    page = api.post("/get_chapter", {"chapter_id": CHAPTER_1}).json
    assert page["tasks"] == [
        {"task_id": task_id, "task_code": "", "status": "not_started"}
        for task_id in TASKS[CHAPTER_1]
    ]


def test_get_chapter_for_an_anonymous_visitor_reports_not_started(api: Api) -> None:
    page = api.post("/get_chapter", {"chapter_id": CHAPTER_1}).json
    assert (page["status"], page["course_status"]) == ("not_started", "not_started")


def test_get_chapter_lists_tasks_ordered_by_id(api: Api) -> None:
    solve_task(api, USER, TASKS[CHAPTER_1][2])
    solve_task(api, USER, TASKS[CHAPTER_1][0])
    page = api.post("/get_chapter", {"chapter_id": CHAPTER_1}, user_id=USER).json
    task_ids = [task["task_id"] for task in page["tasks"]]
    assert task_ids == sorted(task_ids) == list(TASKS[CHAPTER_1])


def test_get_chapter_shows_the_users_code_and_status_per_task(api: Api) -> None:
    solve_task(api, USER, TASKS[CHAPTER_1][0], code="area = 42")
    api.post(
        "/save_task",
        {"task_id": TASKS[CHAPTER_1][1], "solution_text": encoded("print(3)")},
        user_id=USER,
    )
    tasks = api.post("/get_chapter", {"chapter_id": CHAPTER_1}, user_id=USER).json["tasks"]
    assert tasks == [
        {"task_id": TASKS[CHAPTER_1][0], "task_code": "area = 42", "status": "completed"},
        {"task_id": TASKS[CHAPTER_1][1], "task_code": "print(3)", "status": "in_progress"},
        {"task_id": TASKS[CHAPTER_1][2], "task_code": "", "status": "not_started"},
    ]


def test_get_chapter_fills_in_tasks_total_and_tasks_completed(api: Api) -> None:
    solve_task(api, USER, TASKS[CHAPTER_1][1])
    page = api.post("/get_chapter", {"chapter_id": CHAPTER_1}, user_id=USER).json
    assert (page["tasks_total"], page["tasks_completed"]) == (3, 1)


def test_get_chapter_fills_in_tasks_total_for_an_anonymous_visitor(api: Api) -> None:
    page = api.post("/get_chapter", {"chapter_id": CHAPTER_3}).json
    assert (page["tasks_total"], page["tasks_completed"]) == (2, 0)


def test_get_chapter_with_a_course_only_resolves_the_first_chapter(api: Api) -> None:
    page = api.post("/get_chapter", {"course_id": COURSE}).json
    assert page["chapter_id"] == CHAPTER_1
    assert page["title"] == "Chapter 1. Names and values"


def test_get_chapter_with_a_course_only_points_next_to_the_second_chapter(api: Api) -> None:
    page = api.post("/get_chapter", {"course_id": COURSE}).json
    assert page["next_chapter_id"] == CHAPTER_2


def test_get_chapter_points_next_to_the_following_chapter(api: Api) -> None:
    page = api.post("/get_chapter", {"chapter_id": CHAPTER_2}).json
    assert page["next_chapter_id"] == CHAPTER_3


def test_get_chapter_points_next_to_the_project_that_follows_the_chapter(api: Api) -> None:
    page = api.post("/get_chapter", {"chapter_id": CHAPTER_3}).json
    assert page["next_chapter_id"] == PROJECT


def test_get_chapter_derives_the_chapter_from_a_task_id(api: Api) -> None:
    page = api.post("/get_chapter", {"task_id": TASKS[CHAPTER_2][0]}).json
    assert page["chapter_id"] == CHAPTER_2


def test_get_chapter_of_a_top_level_chapter_has_no_parent_keys(api: Api) -> None:
    page = api.post("/get_chapter", {"chapter_id": CHAPTER_1}).json
    assert "parent_chapter_id" not in page
    assert "parent_chapter_title" not in page


def test_get_chapter_reports_the_users_course_and_chapter_status(api: Api) -> None:
    update_chapter(api, CHAPTER_2, "in_progress")
    page = api.post("/get_chapter", {"chapter_id": CHAPTER_2}, user_id=USER).json
    assert (page["status"], page["course_status"]) == ("in_progress", "in_progress")


def test_get_chapter_of_an_unknown_chapter_is_not_found(api: Api) -> None:
    response = api.post("/get_chapter", {"chapter_id": "pythonstart_chapter_0990"})
    assert response.status_code == 404
    assert "error" in response.json


def test_get_chapter_without_any_id_is_a_client_error(api: Api) -> None:
    response = api.post("/get_chapter", {})
    assert response.status_code == 400
    assert "chapter_id" in response.json["fields"]


# --- update_chapter_progress: the transition table -------------------------------------------


def test_starting_an_untouched_chapter_is_ok_and_names_chapter_and_course(api: Api) -> None:
    body = update_chapter(api, CHAPTER_1, "in_progress")
    assert list(body) == ["chapter_id", "course_id", "status"]
    assert body == {"chapter_id": CHAPTER_1, "course_id": COURSE, "status": "ok"}
    assert chapter_status(api, CHAPTER_1) == "in_progress"


def test_starting_a_chapter_starts_its_course(api: Api) -> None:
    update_chapter(api, CHAPTER_2, "in_progress")
    response = api.post("/get_courses", {"status": "all"}, user_id=USER)
    assert response.json[0]["status"] == "in_progress"


def test_starting_a_chapter_in_progress_is_no_action_naming_the_first_chapter_to_do(
    api: Api,
) -> None:
    update_chapter(api, CHAPTER_1, "in_progress")
    body = update_chapter(api, CHAPTER_1, "in_progress")
    assert list(body) == ["chapter_id", "course_id", "status"]
    assert body == {"chapter_id": CHAPTER_1, "course_id": COURSE, "status": "no_action"}


def test_no_action_names_the_first_chapter_not_yet_completed_not_the_requested_one(
    api: Api,
) -> None:
    complete_chapter(api, USER, CHAPTER_1)
    update_chapter(api, CHAPTER_3, "in_progress")
    body = update_chapter(api, CHAPTER_3, "in_progress")
    assert body == {"chapter_id": CHAPTER_2, "course_id": COURSE, "status": "no_action"}


def test_no_action_skips_blocked_chapters(api: Api) -> None:
    update_chapter(api, CHAPTER_1, "blocked")
    complete_chapter(api, USER, CHAPTER_2)
    update_chapter(api, CHAPTER_3, "in_progress")
    body = update_chapter(api, CHAPTER_2, "in_progress")
    assert body["chapter_id"] == CHAPTER_3


def test_no_action_never_names_the_practice_project(api: Api) -> None:
    for chapter_id in CHAPTERS:
        complete_chapter(api, USER, chapter_id)
    body = update_chapter(api, CHAPTER_1, "in_progress")
    assert body["status"] == "no_action"
    assert body["chapter_id"] != PROJECT
    assert body["chapter_id"] == CHAPTER_1


def test_starting_a_completed_chapter_is_no_action_and_keeps_it_completed(api: Api) -> None:
    complete_chapter(api, USER, CHAPTER_2)
    assert update_chapter(api, CHAPTER_2, "in_progress")["status"] == "no_action"
    assert chapter_status(api, CHAPTER_2) == "completed"


def test_completing_a_chapter_with_unsolved_tasks_is_refused_at_http_200(api: Api) -> None:
    update_chapter(api, CHAPTER_1, "in_progress")
    solve_task(api, USER, TASKS[CHAPTER_1][0])
    assert update_chapter(api, CHAPTER_1, "completed") == {
        "error": "Not all tasks in chapter are completed"
    }
    assert chapter_status(api, CHAPTER_1) == "in_progress"


def test_completing_a_chapter_whose_tasks_are_all_solved_is_ok(api: Api) -> None:
    for task_id in TASKS[CHAPTER_1]:
        solve_task(api, USER, task_id)
    assert update_chapter(api, CHAPTER_1, "completed") == {
        "chapter_id": CHAPTER_1,
        "course_id": COURSE,
        "status": "ok",
    }
    assert chapter_status(api, CHAPTER_1) == "completed"


def test_completing_a_chapter_does_not_start_the_next_one(api: Api) -> None:
    complete_chapter(api, USER, CHAPTER_1)
    assert chapter_status(api, CHAPTER_2) == "not_started"


def test_completing_an_untouched_chapter_checks_its_tasks(api: Api) -> None:
    assert update_chapter(api, CHAPTER_2, "completed") == {
        "error": "Not all tasks in chapter are completed"
    }
    assert chapter_status(api, CHAPTER_2) == "not_started"


def test_completing_a_completed_chapter_is_refused_with_both_statuses(api: Api) -> None:
    complete_chapter(api, USER, CHAPTER_2)
    body = update_chapter(api, CHAPTER_2, "completed")
    assert list(body) == ["chapter_id", "course_id", "current_status", "error", "new_status"]
    assert body == {
        "chapter_id": CHAPTER_2,
        "course_id": COURSE,
        "current_status": "completed",
        "error": "Couldn't change status",
        "new_status": "completed",
    }


def test_blocking_a_chapter_is_allowed_from_any_state(api: Api) -> None:
    complete_chapter(api, USER, CHAPTER_2)
    assert update_chapter(api, CHAPTER_2, "blocked")["status"] == "ok"
    assert chapter_status(api, CHAPTER_2) == "blocked"


def test_leaving_a_blocked_chapter_is_refused_with_current_status_blocked(api: Api) -> None:
    update_chapter(api, CHAPTER_1, "blocked")
    assert update_chapter(api, CHAPTER_1, "in_progress") == {
        "chapter_id": CHAPTER_1,
        "course_id": COURSE,
        "current_status": "blocked",
        "error": "Couldn't change status",
        "new_status": "in_progress",
    }


def test_an_unknown_chapter_target_status_is_refused_naming_not_started(api: Api) -> None:
    assert update_chapter(api, CHAPTER_1, "bogus") == {
        "chapter_id": CHAPTER_1,
        "course_id": COURSE,
        "current_status": "not_started",
        "error": "Couldn't change status",
        "new_status": "bogus",
    }


def test_update_chapter_progress_accepts_a_task_id_for_its_chapter(api: Api) -> None:
    response = api.post(
        "/update_chapter_progress",
        {"task_id": TASKS[CHAPTER_2][0], "status": "in_progress"},
        user_id=USER,
    )
    assert response.json == {"chapter_id": CHAPTER_2, "course_id": COURSE, "status": "ok"}


def test_update_chapter_progress_of_an_unknown_chapter_is_not_found(api: Api) -> None:
    response = api.post(
        "/update_chapter_progress",
        {"chapter_id": "pythonstart_chapter_0990", "status": "in_progress"},
        user_id=USER,
    )
    assert response.status_code == 404


def test_update_chapter_progress_without_a_user_is_a_client_error_naming_user_id(
    api: Api,
) -> None:
    response = api.post(
        "/update_chapter_progress", {"chapter_id": CHAPTER_1, "status": "in_progress"}
    )
    assert response.status_code == 400
    assert "user_id" in response.json["fields"]


# --- get_active_chapter ----------------------------------------------------------------------


def test_get_active_chapter_of_a_course_not_started_is_an_error_at_http_200(api: Api) -> None:
    response = api.post("/get_active_chapter", {"course_id": COURSE}, user_id=USER)
    assert response.status_code == 200
    assert response.json == {"error": "Course is not in state 'in_progress' for user"}


def test_get_active_chapter_of_a_completed_course_is_an_error_at_http_200(api: Api) -> None:
    for chapter_id in CHAPTERS:
        complete_chapter(api, USER, chapter_id)
    api.post("/update_course_progress", {"course_id": COURSE, "status": "completed"}, user_id=USER)
    response = api.post("/get_active_chapter", {"course_id": COURSE}, user_id=USER)
    assert response.status_code == 200
    assert response.json == {"error": "Course is not in state 'in_progress' for user"}


def test_get_active_chapter_is_the_first_chapter_not_completed(api: Api) -> None:
    start_course(api)
    complete_chapter(api, USER, CHAPTER_1)
    page = api.post("/get_active_chapter", {"course_id": COURSE}, user_id=USER).json
    assert page["chapter_id"] == CHAPTER_2
    assert page["is_practice"] is False
    assert page["content"] == chapter_text(CHAPTER_2)
    assert page["tasks"] == [
        {"task_id": TASKS[CHAPTER_2][0], "task_code": "", "status": "not_started"}
    ]


def test_get_active_chapter_is_the_practice_project_when_every_chapter_is_done(
    api: Api,
) -> None:
    start_course(api)
    for chapter_id in CHAPTERS:
        complete_chapter(api, USER, chapter_id)
    page = api.post("/get_active_chapter", {"course_id": COURSE}, user_id=USER).json
    assert (page["chapter_id"], page["is_practice"]) == (PROJECT, True)


def test_get_active_chapter_when_nothing_is_left_is_an_error_at_http_200(api: Api) -> None:
    start_course(api)
    for chapter_id in CHAPTERS:
        update_chapter(api, chapter_id, "blocked")
    complete_project(api)
    response = api.post("/get_active_chapter", {"course_id": COURSE}, user_id=USER)
    assert response.status_code == 200
    assert response.json == {"error": "No active chapter for user"}


def test_get_active_chapter_without_a_user_is_a_client_error_naming_user_id(api: Api) -> None:
    response = api.post("/get_active_chapter", {"course_id": COURSE})
    assert response.status_code == 400
    assert "user_id" in response.json["fields"]


# --- get_progress ----------------------------------------------------------------------------


def test_get_progress_of_an_unfinished_chapter_lists_its_unsolved_tasks(api: Api) -> None:
    solve_task(api, USER, TASKS[CHAPTER_1][1])
    body = api.post("/get_progress", {"chapter_id": CHAPTER_1}, user_id=USER).json
    assert list(body) == [
        "user_status_on_chapter",
        "not_completed_tasks",
        "next_chapter_id",
        "course_id",
    ]
    assert body == {
        "user_status_on_chapter": "chapter_not_completed",
        "not_completed_tasks": [TASKS[CHAPTER_1][0], TASKS[CHAPTER_1][2]],
        "next_chapter_id": CHAPTER_2,
        "course_id": COURSE,
    }


def test_get_progress_of_a_chapter_with_every_task_solved_is_completed(api: Api) -> None:
    for task_id in TASKS[CHAPTER_1]:
        solve_task(api, USER, task_id)
    body = api.post("/get_progress", {"chapter_id": CHAPTER_1}, user_id=USER).json
    assert body == {
        "user_status_on_chapter": "chapter_completed",
        "next_chapter_id": CHAPTER_2,
        "course_id": COURSE,
    }


def test_get_progress_of_the_last_chapter_points_next_to_the_practice_project(
    api: Api,
) -> None:
    body = api.post("/get_progress", {"chapter_id": CHAPTER_3}, user_id=USER).json
    assert body["next_chapter_id"] == PROJECT


def test_get_progress_ignores_check_practice_as_the_site_sends_it(api: Api) -> None:
    with_flag = api.post(
        "/get_progress", {"chapter_id": CHAPTER_2, "check_practice": True}, user_id=USER
    )
    without = api.post("/get_progress", {"chapter_id": CHAPTER_2}, user_id=USER)
    assert with_flag.status_code == 200
    assert with_flag.json == without.json


def test_get_progress_once_every_chapter_is_completed_reports_the_course_and_projects(
    api: Api,
) -> None:
    for chapter_id in CHAPTERS:
        complete_chapter(api, USER, chapter_id)
    body = api.post("/get_progress", {"chapter_id": CHAPTER_3}, user_id=USER).json
    assert list(body) == [
        "user_status_on_chapter",
        "next_chapter_id",
        "is_course_completed",
        "course_id",
        "practice_projects",
    ]
    assert body["is_course_completed"] is True
    assert body["practice_projects"] == [
        {"title": "Practice. Word counter", "project_id": PROJECT, "status": "not_started"}
    ]


def test_get_progress_lists_the_projects_status_once_the_course_is_done(api: Api) -> None:
    for chapter_id in CHAPTERS:
        complete_chapter(api, USER, chapter_id)
    complete_project(api)
    body = api.post("/get_progress", {"chapter_id": CHAPTER_1}, user_id=USER).json
    assert body["practice_projects"][0]["status"] == "completed"


def test_get_progress_leaves_out_course_completion_while_chapters_remain(api: Api) -> None:
    complete_chapter(api, USER, CHAPTER_1)
    body = api.post("/get_progress", {"chapter_id": CHAPTER_1}, user_id=USER).json
    assert "is_course_completed" not in body
    assert "practice_projects" not in body


def test_get_progress_without_a_chapter_is_a_client_error_naming_chapter_id(api: Api) -> None:
    response = api.post("/get_progress", {"course_id": COURSE}, user_id=USER)
    assert response.status_code == 400
    assert "chapter_id" in response.json["fields"]
