"""The service answers on both databases: the cheapest proof the wiring holds."""

from __future__ import annotations

from tests.http.conftest import Api


def test_get_courses_lists_the_example_course_for_an_anonymous_visitor(api: Api) -> None:
    response = api.post("/get_courses", {"status": "all"})
    assert response.status_code == 200
    assert [course["course_id"] for course in response.json] == ["pythonstart"]


def test_a_passing_run_completes_the_task(api: Api) -> None:
    response = api.post(
        "/run_task",
        {"task_id": "pythonstart_chapter_0010_task_0010", "solution_text": "eA=="},
        user_id=7,
    )
    assert response.status_code == 200
    assert response.json["status_code"] == 0
    task = api.post("/get_task", {"task_id": "pythonstart_chapter_0010_task_0010"}, user_id=7)
    assert task.json == {
        "task_id": "pythonstart_chapter_0010_task_0010",
        "task_code": "x",
        "status": "completed",
    }
