"""A course gated by a segment is, to a learner outside it, as if it did not exist."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handyman_core.catalogue import (
    Catalogue,
    Chapter,
    Course,
    Example,
    PracticeProject,
    Task,
    Wrappers,
    segment_in_tags,
)
from handyman_core.course_gating import gating_segments, hidden_courses, without_courses
from handyman_core.errors import InvalidInput
from handyman_core.ids import ChapterId, CourseId, ExampleId, ProjectId, TaskId
from handyman_core.segments import SegmentName

COURSES = (CourseId("python"), CourseId("rust"), CourseId("go"))
SEGMENTS = (SegmentName("BETA_RUST_COURSE"), SegmentName("STAFF"))


def tags_gated_by(segment: SegmentName | None) -> str:
    return "{}" if segment is None else json.dumps({"title": "x", "segment": segment})


def build_catalogue(gates: dict[CourseId, SegmentName | None]) -> Catalogue:
    chapters = [
        Chapter(ChapterId(f"{course}_chapter_{n:04d}"), course, f"{course} {n}", "")
        for course in COURSES
        for n in (10, 20)
    ]
    return Catalogue(
        courses=[Course(c, c.title(), tags_gated_by(gates.get(c)), "") for c in COURSES],
        chapters=chapters,
        tasks=[
            Task(TaskId(f"{chapter.id}_task_{t:04d}"), chapter.id, Wrappers())
            for chapter in chapters
            for t in (10, 20)
        ],
        examples=[
            Example(ExampleId("example_for_playground_001"), chapter.id, Wrappers())
            for chapter in chapters
        ],
        projects=[
            PracticeProject(
                ProjectId(f"{course}_calculator"),
                course,
                "Calculator",
                ChapterId(f"{course}_chapter_0010"),
                "main.py",
                "",
                "",
                "",
            )
            for course in COURSES
        ],
    )


gate_maps = st.dictionaries(st.sampled_from(COURSES), st.none() | st.sampled_from(SEGMENTS))
memberships = st.sets(st.sampled_from([*SEGMENTS, SegmentName("UNRELATED")]))


def ids_of_course(catalogue: Catalogue, course_id: CourseId) -> list[tuple[str, str]]:
    """Every lookup that names something of the course, as (kind, id)."""
    ids = [("course", course_id)]
    for chapter in catalogue.chapters_of(course_id):
        ids.append(("chapter", chapter.id))
        ids += [("task", task.id) for task in catalogue.tasks_of(chapter.id)]
        if catalogue.example(chapter.id, "example_for_playground_001") is not None:
            ids.append(("example", chapter.id))
    ids += [("project", project.id) for project in catalogue.projects_of(course_id)]
    return ids


def lookup(catalogue: Catalogue, kind: str, item_id: str) -> object:
    if kind == "example":
        return catalogue.example(item_id, "example_for_playground_001")
    finder = {
        "course": catalogue.course,
        "chapter": catalogue.chapter,
        "task": catalogue.task,
        "project": catalogue.project,
    }[kind]
    return finder(item_id)


@given(gates=gate_maps, member_of=memberships)
def test_a_non_member_finds_nothing_of_a_gated_course(
    gates: dict[CourseId, SegmentName | None], member_of: set[SegmentName]
) -> None:
    catalogue = build_catalogue(gates)
    view = without_courses(catalogue, hidden_courses(catalogue, member_of))
    for course in catalogue.courses:
        visible = course.segment is None or course.segment in member_of
        for kind, item_id in ids_of_course(catalogue, course.id):
            found = lookup(view, kind, item_id)
            assert (found == lookup(catalogue, kind, item_id)) if visible else found is None
        if not visible:
            assert view.chapters_of(course.id) == ()
            assert view.projects_of(course.id) == ()
    assert [c.id for c in view.courses] == [
        c.id for c in catalogue.courses if c.segment is None or c.segment in member_of
    ]


@given(gates=gate_maps, member_of=memberships)
def test_a_view_depends_only_on_the_gating_segments_the_learner_is_in(
    gates: dict[CourseId, SegmentName | None], member_of: set[SegmentName]
) -> None:
    catalogue = build_catalogue(gates)
    relevant = member_of & gating_segments(catalogue)
    assert hidden_courses(catalogue, member_of) == hidden_courses(catalogue, relevant)


@given(gates=gate_maps)
def test_a_member_of_every_gating_segment_sees_the_whole_catalogue(
    gates: dict[CourseId, SegmentName | None],
) -> None:
    catalogue = build_catalogue(gates)
    everything = gating_segments(catalogue)
    assert hidden_courses(catalogue, everything) == frozenset()
    assert without_courses(catalogue, frozenset()) is catalogue


def test_an_ungated_course_is_seen_by_everybody() -> None:
    catalogue = build_catalogue({CourseId("rust"): SegmentName("BETA_RUST_COURSE")})
    assert hidden_courses(catalogue, set()) == {CourseId("rust")}
    view = without_courses(catalogue, {CourseId("rust")})
    assert view.course("python") == catalogue.course("python")
    assert view.chapter_after(ChapterId("python_chapter_0010")) == catalogue.chapter(
        "python_chapter_0020"
    )


def test_a_course_is_gated_by_the_segment_its_tags_name() -> None:
    assert Course(CourseId("rust"), "Rust", tags_gated_by(None), "").segment is None
    gated = Course(CourseId("rust"), "Rust", tags_gated_by(SegmentName("BETA_RUST")), "")
    assert gated.segment == "BETA_RUST"


@pytest.mark.parametrize("value", ["beta", 5, "", ["BETA"]])
def test_tags_naming_no_segment_name_are_refused(value: object) -> None:
    with pytest.raises(InvalidInput) as refused:
        segment_in_tags({"segment": value})
    assert "segment" in refused.value.fields
