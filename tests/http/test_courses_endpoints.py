"""get_courses, get_course_info, get_course_description, update_course_progress, courses_stats
and course_stats: the original's shapes (original §2.1-§2.4, §2.10, §2.11) and the contract's
progress rules (contract §1, §3)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from handyman_store.catalogue_import import import_catalogue
from handyman_store.course_folder import read_course_folder
from tests.conftest import EXAMPLE_COURSES
from tests.http.conftest import (
    CHAPTER_1,
    CHAPTERS,
    COURSE,
    PROJECT,
    Api,
    complete_chapter,
    encoded,
    solve_task,
)

USER = 7
EXAMPLE_DESCRIPTION = (EXAMPLE_COURSES / COURSE / "description.md").read_text(encoding="utf-8")
WORD_COUNT_TREE = json.dumps(
    {
        "name": "project",
        "children": [{"name": "word_count.py", "contents": "print(1)", "is_main_file": True}],
    }
)


def course_status(api: Api, user_id: int = USER) -> str:
    response = api.post("/get_courses", {"status": "all"}, user_id=user_id)
    statuses: dict[str, str] = {course["course_id"]: course["status"] for course in response.json}
    return statuses[COURSE]


def update_course(api: Api, status: str, user_id: int = USER) -> dict[str, object]:
    response = api.post(
        "/update_course_progress", {"course_id": COURSE, "status": status}, user_id=user_id
    )
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json
    return body


def complete_every_chapter(api: Api, user_id: int = USER) -> None:
    for chapter_id in CHAPTERS:
        complete_chapter(api, user_id, chapter_id)


@pytest.fixture
def second_course(api: Api, tmp_path: Path) -> str:
    """Re-imports the catalogue with a second course, `alpha`, whose id sorts first."""
    shutil.copytree(EXAMPLE_COURSES / COURSE, tmp_path / COURSE)
    alpha = tmp_path / "alpha"
    (alpha / "alpha_chapter_0010").mkdir(parents=True)
    (alpha / "tags.json").write_text(json.dumps({"title": "Alpha"}), encoding="utf-8")
    (alpha / "description.md").write_text("The alpha course.\n", encoding="utf-8")
    (alpha / "alpha_chapter_0010" / "text.md").write_text("# Chapter 1. Start\n", encoding="utf-8")
    import_catalogue(api.engine, read_course_folder(tmp_path), str(tmp_path))
    return "alpha"


# --- get_courses -----------------------------------------------------------------------------


def test_get_courses_for_an_anonymous_visitor_has_the_original_keys_in_order_without_status(
    api: Api,
) -> None:
    response = api.post("/get_courses", {"status": "all"})
    assert response.status_code == 200
    (course,) = response.json
    assert list(course) == ["course_id", "type", "title", "description", "tags"]
    assert course["course_id"] == COURSE
    assert course["type"] == "free"
    assert course["title"] == "Python from scratch"
    assert course["description"] == EXAMPLE_DESCRIPTION


def test_get_courses_tags_is_a_json_string_the_site_loads(api: Api) -> None:
    (course,) = api.post("/get_courses", {"status": "all"}).json
    assert isinstance(course["tags"], str)
    tags = json.loads(course["tags"])
    assert tags["title"] == "Python from scratch"
    assert tags["projects"][0]["url"] == "https://pip.pypa.io/"


def test_get_courses_tags_use_the_jsonb_text_formatting(api: Api) -> None:
    (course,) = api.post("/get_courses", {"status": "all"}).json
    assert course["tags"].startswith('{"url": "https://www.python.org/", "tasks": "6 tasks", ')


def test_get_courses_with_status_all_gives_a_user_not_started_for_an_untouched_course(
    api: Api,
) -> None:
    response = api.post("/get_courses", {"status": "all"}, user_id=USER)
    (course,) = response.json
    assert list(course) == ["course_id", "type", "status", "title", "description", "tags"]
    assert course["status"] == "not_started"


def test_get_courses_shows_the_status_the_user_reached(api: Api) -> None:
    update_course(api, "in_progress")
    assert course_status(api) == "in_progress"


def test_get_courses_without_a_status_treats_the_request_as_all(api: Api) -> None:
    response = api.post("/get_courses", {}, user_id=USER)
    assert [course["status"] for course in response.json] == ["not_started"]


def test_get_courses_with_a_status_filter_lists_matching_courses_without_the_status_key(
    api: Api,
) -> None:
    update_course(api, "in_progress")
    response = api.post("/get_courses", {"status": "in_progress"}, user_id=USER)
    (course,) = response.json
    assert list(course) == ["course_id", "type", "title", "description", "tags"]


def test_get_courses_with_a_status_filter_leaves_out_courses_in_other_states(api: Api) -> None:
    response = api.post("/get_courses", {"status": "completed"}, user_id=USER)
    assert response.status_code == 200
    assert response.json == []


def test_get_courses_with_an_unknown_status_filter_is_a_client_error(api: Api) -> None:
    response = api.post("/get_courses", {"status": "finished"}, user_id=USER)
    assert response.status_code == 400
    assert "status" in response.json["fields"]


def test_get_courses_lists_anonymous_courses_by_id(api: Api, second_course: str) -> None:
    response = api.post("/get_courses", {"status": "all"})
    assert [course["course_id"] for course in response.json] == [second_course, COURSE]


def test_get_courses_orders_a_users_courses_by_status_text_then_id(
    api: Api, second_course: str
) -> None:
    update_course(api, "in_progress")
    response = api.post("/get_courses", {"status": "all"}, user_id=USER)
    assert [(c["course_id"], c["status"]) for c in response.json] == [
        (COURSE, "in_progress"),
        (second_course, "not_started"),
    ]


# --- get_course_info, get_course_description -------------------------------------------------


def test_get_course_info_answers_only_the_tags_string(api: Api) -> None:
    response = api.post("/get_course_info", {"course_id": COURSE})
    assert response.status_code == 200
    assert list(response.json) == ["tags"]
    assert json.loads(response.json["tags"])["chapters"] == "3 chapters"


def test_get_course_info_derives_the_course_from_a_chapter_id(api: Api) -> None:
    response = api.post("/get_course_info", {"chapter_id": CHAPTER_1})
    assert json.loads(response.json["tags"])["title"] == "Python from scratch"


def test_get_course_info_of_an_unknown_course_is_not_found(api: Api) -> None:
    response = api.post("/get_course_info", {"course_id": "nosuchcourse"})
    assert response.status_code == 404
    assert "error" in response.json


def test_get_course_description_answers_the_description_markdown(api: Api) -> None:
    response = api.post("/get_course_description", {"course_id": COURSE})
    assert response.status_code == 200
    assert response.json == {"description": EXAMPLE_DESCRIPTION}


def test_get_course_description_without_a_course_is_a_client_error_naming_it(api: Api) -> None:
    response = api.post("/get_course_description", {})
    assert response.status_code == 400
    assert "course_id" in response.json["fields"]


# --- update_course_progress: the transition table --------------------------------------------


def test_starting_an_untouched_course_is_ok(api: Api) -> None:
    assert update_course(api, "in_progress") == {"status": "ok"}
    assert course_status(api) == "in_progress"


def test_starting_a_course_already_in_progress_is_no_action(api: Api) -> None:
    update_course(api, "in_progress")
    assert update_course(api, "in_progress") == {"status": "no_action"}


def test_starting_a_completed_course_is_no_action_and_keeps_it_completed(api: Api) -> None:
    complete_every_chapter(api)
    assert update_course(api, "completed") == {"status": "ok"}
    assert update_course(api, "in_progress") == {"status": "no_action"}
    assert course_status(api) == "completed"


def test_an_unknown_target_status_is_refused_with_both_statuses_at_http_200(api: Api) -> None:
    update_course(api, "in_progress")
    body = update_course(api, "bogus")
    assert list(body) == ["current_status", "error", "new_status"]
    assert body == {
        "current_status": "in_progress",
        "error": "Couldn't change status",
        "new_status": "bogus",
    }


def test_leaving_blocked_is_refused_with_current_status_blocked(api: Api) -> None:
    assert update_course(api, "blocked") == {"status": "ok"}
    assert update_course(api, "in_progress") == {
        "current_status": "blocked",
        "error": "Couldn't change status",
        "new_status": "in_progress",
    }
    assert course_status(api) == "blocked"


def test_blocking_is_allowed_from_completed(api: Api) -> None:
    complete_every_chapter(api)
    update_course(api, "completed")
    assert update_course(api, "blocked") == {"status": "ok"}
    assert course_status(api) == "blocked"


def test_completing_a_completed_course_is_refused_with_current_status_completed(api: Api) -> None:
    complete_every_chapter(api)
    update_course(api, "completed")
    assert update_course(api, "completed") == {
        "current_status": "completed",
        "error": "Couldn't change status",
        "new_status": "completed",
    }


def test_a_refusal_for_a_user_without_a_course_row_reports_an_empty_current_status(
    api: Api,
) -> None:
    assert update_course(api, "bogus") == {
        "current_status": "",
        "error": "Couldn't change status",
        "new_status": "bogus",
    }


def test_completing_a_course_with_unfinished_chapters_is_refused_at_http_200(api: Api) -> None:
    update_course(api, "in_progress")
    complete_chapter(api, USER, CHAPTER_1)
    assert update_course(api, "completed") == {"error": "Not all materials in course are completed"}
    assert course_status(api) == "in_progress"


def test_completing_an_untouched_course_is_refused_until_its_chapters_are_done(
    api: Api,
) -> None:
    assert update_course(api, "completed") == {"error": "Not all materials in course are completed"}
    assert course_status(api) == "not_started"


def test_completing_a_course_whose_chapters_are_all_completed_is_ok(api: Api) -> None:
    complete_every_chapter(api)
    assert update_course(api, "completed") == {"status": "ok"}
    assert course_status(api) == "completed"


def test_completing_a_course_needs_its_chapters_only_not_its_practice_project(api: Api) -> None:
    complete_every_chapter(api)
    assert api.store.project_item(USER, PROJECT) is None
    assert update_course(api, "completed") == {"status": "ok"}


def test_update_course_progress_without_a_user_is_a_client_error_naming_user_id(
    api: Api,
) -> None:
    response = api.post("/update_course_progress", {"course_id": COURSE, "status": "in_progress"})
    assert response.status_code == 400
    assert "user_id" in response.json["fields"]


def test_update_course_progress_without_a_status_is_a_client_error_naming_status(
    api: Api,
) -> None:
    response = api.post("/update_course_progress", {"course_id": COURSE}, user_id=USER)
    assert response.status_code == 400
    assert "status" in response.json["fields"]
    assert course_status(api) == "not_started"


def test_update_course_progress_for_an_unknown_course_is_not_found(api: Api) -> None:
    response = api.post(
        "/update_course_progress",
        {"course_id": "nosuchcourse", "status": "in_progress"},
        user_id=USER,
    )
    assert response.status_code == 404


# --- courses_stats, course_stats -------------------------------------------------------------


STATS_KEYS = [
    "course_id",
    "title",
    "total_chapters",
    "finished_chapters",
    "total_tasks",
    "finished_tasks",
    "total_projects",
    "finished_projects",
    "status",
]


def test_courses_stats_is_an_empty_list_for_a_user_without_progress(api: Api) -> None:
    response = api.post("/courses_stats", {}, user_id=USER)
    assert response.status_code == 200
    assert response.json == []


def test_courses_stats_reports_a_started_course_with_all_nine_keys_in_order(api: Api) -> None:
    update_course(api, "in_progress")
    (entry,) = api.post("/courses_stats", {}, user_id=USER).json
    assert list(entry) == STATS_KEYS
    assert entry == {
        "course_id": COURSE,
        "title": "Python from scratch",
        "total_chapters": 3,
        "finished_chapters": 0,
        "total_tasks": 6,
        "finished_tasks": 0,
        "total_projects": 1,
        "finished_projects": 0,
        "status": "in_progress",
    }


def test_courses_stats_counts_finished_chapters_tasks_and_projects(api: Api) -> None:
    complete_chapter(api, USER, CHAPTER_1)
    solve_task(api, USER, "pythonstart_chapter_0030_task_0010")
    response = api.post(
        "/handle_practice_code",
        {
            "project_contents": WORD_COUNT_TREE,
            "project_id": PROJECT,
            "course_id": COURSE,
            "action": "test",
            "user_cmd_line_args": "",
        },
        user_id=USER,
    )
    assert response.json["status_code"] == 0
    (entry,) = api.post("/courses_stats", {}, user_id=USER).json
    assert (entry["finished_chapters"], entry["finished_tasks"], entry["finished_projects"]) == (
        1,
        4,
        1,
    )


def test_courses_stats_reports_a_completed_course_as_completed(api: Api) -> None:
    complete_every_chapter(api)
    update_course(api, "completed")
    (entry,) = api.post("/courses_stats", {}, user_id=USER).json
    assert (entry["status"], entry["finished_chapters"]) == ("completed", 3)


def test_courses_stats_leaves_out_a_blocked_course(api: Api) -> None:
    update_course(api, "blocked")
    assert api.post("/courses_stats", {}, user_id=USER).json == []


def test_courses_stats_without_a_user_is_a_client_error_naming_user_id(api: Api) -> None:
    response = api.post("/courses_stats", {})
    assert response.status_code == 400
    assert "user_id" in response.json["fields"]


def test_course_stats_is_a_list_of_the_one_requested_course(api: Api) -> None:
    update_course(api, "in_progress")
    response = api.post("/course_stats", {"course_id": COURSE}, user_id=USER)
    assert response.status_code == 200
    (entry,) = response.json
    assert list(entry) == STATS_KEYS
    assert entry["course_id"] == COURSE


def test_course_stats_of_a_course_the_user_has_not_started_is_an_empty_list(api: Api) -> None:
    response = api.post("/course_stats", {"course_id": COURSE}, user_id=USER)
    assert response.status_code == 200
    assert response.json == []


def test_course_stats_counts_only_the_requesting_users_progress(api: Api) -> None:
    solve_task(api, USER, "pythonstart_chapter_0020_task_0010")
    response = api.post(
        "/save_task",
        {"task_id": "pythonstart_chapter_0020_task_0010", "solution_text": encoded("y")},
        user_id=USER + 1,
    )
    assert response.status_code == 200
    (entry,) = api.post("/course_stats", {"course_id": COURSE}, user_id=USER).json
    assert entry["finished_tasks"] == 1
    assert api.post("/course_stats", {"course_id": COURSE}, user_id=USER + 1).json == []
