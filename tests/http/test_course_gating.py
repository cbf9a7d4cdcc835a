"""A course gated by a segment (`"segment"` in its tags.json), on SQLite and PostgreSQL: only
the segment's members see it; to everybody else every catalogue read and write naming it, or
anything in it, answers exactly as for a course that does not exist."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from handyman_core.errors import CatalogueInvalid
from handyman_core.segment_changes import read_change
from handyman_core.segments import NewSegment, Percentage, SegmentName
from handyman_store.catalogue_import import import_catalogue
from handyman_store.course_folder import read_course_folder
from handyman_store.store import Store
from tests.conftest import EXAMPLE_COURSES
from tests.http.conftest import FIXED_NOW, Api, build_api, encoded

BETA = SegmentName("BETA_PYTHON")
MEMBER, OUTSIDER = 7, 8
COURSE = "pythonstart"
UNKNOWN = "cobol"
CHAPTER = f"{COURSE}_chapter_0010"
TASK = f"{CHAPTER}_task_0010"
PROJECT = f"{COURSE}_word_count"
TREE = json.dumps(
    {"name": "p", "children": [{"name": "word_count.py", "contents": "", "is_main_file": True}]}
)


def gated_copy(tmp_path: Path, segment: object) -> Path:
    folder = tmp_path / "courses"
    shutil.copytree(EXAMPLE_COURSES, folder, ignore=shutil.ignore_patterns("__pycache__"))
    tags_file = folder / COURSE / "tags.json"
    tags = json.loads(tags_file.read_text())
    tags["segment"] = segment
    tags_file.write_text(json.dumps(tags))
    return folder


@pytest.fixture
def api(engine: Engine, tmp_path: Path) -> Api:
    built = build_api(engine)
    store = Store(engine)
    store.create_segment(NewSegment(BETA), salt="s", now=FIXED_NOW)
    store.change_memberships(MEMBER, read_change({"add": [{"name": BETA}]}), now=FIXED_NOW)
    folder = gated_copy(tmp_path, BETA)
    import_catalogue(engine, read_course_folder(folder), str(folder))
    return built


REQUESTS: list[tuple[str, dict[str, Any]]] = [
    ("/get_course_info", {"course_id": COURSE}),
    ("/get_course_description", {"course_id": COURSE}),
    ("/update_course_progress", {"course_id": COURSE, "status": "in_progress"}),
    ("/get_chapters", {"course_id": COURSE}),
    ("/get_chapter", {"course_id": COURSE}),
    ("/get_chapter", {"chapter_id": CHAPTER}),
    ("/get_active_chapter", {"course_id": COURSE}),
    ("/update_chapter_progress", {"chapter_id": CHAPTER, "status": "in_progress"}),
    ("/get_progress", {"chapter_id": CHAPTER}),
    ("/course_stats", {"course_id": COURSE}),
    ("/get_task", {"task_id": TASK}),
    ("/run_task", {"task_id": TASK, "solution_text": encoded("print(1)")}),
    ("/save_task", {"task_id": TASK, "solution_text": encoded("print(1)")}),
    ("/inject_playground_code", {"task_id": TASK, "solution_text": encoded("x"), "example_id": ""}),
    ("/get_practice", {"course_id": COURSE, "task_id": PROJECT}),
    (
        "/handle_practice_code",
        {"course_id": COURSE, "project_id": PROJECT, "project_contents": TREE, "action": "save"},
    ),
]


def unknown_instead(value: Any) -> Any:
    return json.loads(json.dumps(value).replace(COURSE, UNKNOWN))


@pytest.mark.parametrize(("path", "body"), REQUESTS, ids=[f"{p} {b}"[:70] for p, b in REQUESTS])
def test_to_a_non_member_a_gated_course_answers_as_an_unknown_one(
    api: Api, path: str, body: dict[str, Any]
) -> None:
    for user_id in (OUTSIDER, None):
        gated = api.post(path, body, user_id=user_id)
        unknown = api.post(path, unknown_instead(body), user_id=user_id)
        assert (gated.status_code, unknown_instead(gated.json)) == (
            unknown.status_code,
            unknown.json,
        ), (user_id, gated.text)


@pytest.mark.parametrize(("path", "body"), REQUESTS, ids=[f"{p} {b}"[:70] for p, b in REQUESTS])
def test_a_member_reaches_the_gated_course(api: Api, path: str, body: dict[str, Any]) -> None:
    assert api.post(path, body, user_id=MEMBER).status_code == 200


def test_the_course_list_shows_a_gated_course_to_members_only(api: Api) -> None:
    def listed(user_id: int | None) -> list[str]:
        body = api.post("/get_courses", {"status": "all"}, user_id=user_id).json
        return [course["course_id"] for course in body]

    assert COURSE in listed(MEMBER)
    assert COURSE not in listed(OUTSIDER)
    assert COURSE not in listed(None)


def test_statistics_of_a_learner_who_left_the_segment_leave_the_course_out(api: Api) -> None:
    api.post("/run_task", {"task_id": TASK, "solution_text": encoded("x")}, user_id=MEMBER)
    assert api.post("/courses_stats", {}, user_id=MEMBER).json != []
    Store(api.engine).change_memberships(MEMBER, read_change({"remove": [BETA]}), now=FIXED_NOW)
    assert api.post("/courses_stats", {}, user_id=MEMBER).json == []
    assert api.post("/get_task", {"task_id": TASK}, user_id=MEMBER).status_code == 404


def test_a_rollout_opens_the_course_to_its_share_of_users(engine: Engine, tmp_path: Path) -> None:
    api = build_api(engine)
    store = Store(engine)
    store.create_segment(NewSegment(BETA, "", Percentage(10_000)), salt="s", now=FIXED_NOW)
    folder = gated_copy(tmp_path, BETA)
    import_catalogue(engine, read_course_folder(folder), str(folder))
    assert api.post("/get_course_info", {"course_id": COURSE}, user_id=12345).status_code == 200
    assert api.post("/get_course_info", {"course_id": COURSE}).status_code == 404


def test_an_import_naming_an_unknown_or_deleted_segment_is_refused(
    engine: Engine, tmp_path: Path
) -> None:
    folder = gated_copy(tmp_path, "NO_SUCH_SEGMENT")
    with pytest.raises(CatalogueInvalid, match="NO_SUCH_SEGMENT, which does not exist"):
        import_catalogue(engine, read_course_folder(folder), str(folder))
    store = Store(engine)
    store.create_segment(NewSegment(BETA), salt="s", now=FIXED_NOW)
    store.delete_segment(BETA, now=FIXED_NOW)
    folder = gated_copy(tmp_path / "again", BETA)
    with pytest.raises(CatalogueInvalid, match="which is deleted"):
        import_catalogue(engine, read_course_folder(folder), str(folder))


@pytest.mark.parametrize("segment", ["beta", 5, ["BETA"]])
def test_a_folder_naming_no_segment_name_is_an_error_of_the_reading(
    tmp_path: Path, segment: object
) -> None:
    reading = read_course_folder(gated_copy(tmp_path, segment))
    assert any("tags.json: segment" in error for error in reading.errors)
