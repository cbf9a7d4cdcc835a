"""The order of every list the site renders (docs/site-compatibility.md, "Order of lists"): fixed
by ids alone, whatever order the catalogue's items arrive in (folder listing, database rows)."""

from __future__ import annotations

from typing import TypeVar

from hypothesis import given
from hypothesis import strategies as st

from handyman_core.catalogue import Catalogue, Chapter, Course, PracticeProject, Task, Wrappers
from handyman_core.completion import chapter_summary
from handyman_core.course_outline import OutlineKind, course_outline
from handyman_core.course_statistics import course_statistics
from handyman_core.ids import ChapterId, CourseId, ProjectId, TaskId
from handyman_core.progress import UserProgress
from handyman_core.status import Status

COURSES = ("cpp", "golang", "python")
_T = TypeVar("_T")


@st.composite
def catalogues(draw: st.DrawFn) -> tuple[Catalogue, Catalogue]:
    """One catalogue, built twice from its items in two independent orders."""
    courses = [Course(CourseId(c), c.title(), "{}", "") for c in COURSES]
    chapters = [
        Chapter(ChapterId(f"{course}_chapter_{number:04}"), CourseId(course), "", "")
        for course in COURSES
        for number in draw(st.sets(st.integers(0, 9999), min_size=1, max_size=4))
    ]
    tasks = [
        Task(TaskId(f"{chapter.id}_task_{number:04}"), chapter.id, Wrappers())
        for chapter in chapters
        for number in draw(st.sets(st.integers(0, 9999), max_size=3))
    ]
    projects = [
        PracticeProject(
            ProjectId(f"{course}_{name}"),
            CourseId(course),
            "",
            draw(st.sampled_from([c.id for c in chapters if c.course_id == course])),
            "main",
            "",
            "",
            "",
        )
        for course in COURSES
        for name in draw(st.sets(st.from_regex(r"[a-z]{1,6}", fullmatch=True), max_size=3))
    ]

    def shuffled(items: list[_T]) -> list[_T]:
        return list(draw(st.permutations(items)))

    built = [
        Catalogue(
            courses=shuffled(courses),
            chapters=shuffled(chapters),
            tasks=shuffled(tasks),
            projects=shuffled(projects),
        )
        for _ in range(2)
    ]
    return built[0], built[1]


@given(catalogues())
def test_courses_chapters_and_tasks_are_listed_by_id(pair: tuple[Catalogue, Catalogue]) -> None:
    catalogue, _ = pair
    assert [c.id for c in catalogue.courses] == sorted(COURSES)
    for course in catalogue.courses:
        chapter_ids = [c.id for c in catalogue.chapters_of(course.id)]
        assert chapter_ids == sorted(chapter_ids)
        for chapter_id in chapter_ids:
            task_ids = [t.id for t in catalogue.tasks_of(chapter_id)]
            assert task_ids == sorted(task_ids)


@given(catalogues())
def test_projects_are_listed_by_the_chapter_they_follow_then_by_id(
    pair: tuple[Catalogue, Catalogue],
) -> None:
    catalogue, _ = pair
    for course in catalogue.courses:
        keys = [(p.chapter_id, p.id) for p in catalogue.projects_of(course.id)]
        assert keys == sorted(keys)


@given(catalogues())
def test_the_course_outline_puts_each_project_right_after_its_chapter(
    pair: tuple[Catalogue, Catalogue],
) -> None:
    catalogue, _ = pair
    for course in catalogue.courses:
        rows = course_outline(catalogue, course.id, UserProgress())
        expected: list[str] = []
        for chapter in catalogue.chapters_of(course.id):
            expected.append(chapter.id)
            expected.extend(
                sorted(p.id for p in catalogue.projects_of(course.id) if p.chapter_id == chapter.id)
            )
        assert [row.item_id for row in rows] == expected
        assert [row.kind for row in rows].count(OutlineKind.CHAPTER) == len(
            catalogue.chapters_of(course.id)
        )


@given(catalogues())
def test_every_list_is_the_same_whatever_order_the_items_came_in(
    pair: tuple[Catalogue, Catalogue],
) -> None:
    first, second = pair
    assert first == second
    for course in first.courses:
        assert course_outline(first, course.id, UserProgress()) == course_outline(
            second, course.id, UserProgress()
        )
        assert first.projects_of(course.id) == second.projects_of(course.id)


@given(catalogues(), st.data())
def test_unfinished_tasks_keep_the_chapters_task_order(
    pair: tuple[Catalogue, Catalogue], data: st.DataObject
) -> None:
    catalogue, _ = pair
    chapter = data.draw(st.sampled_from(catalogue.chapters))
    task_ids = [t.id for t in catalogue.tasks_of(chapter.id)]
    done = data.draw(st.sets(st.sampled_from(task_ids))) if task_ids else set()
    summary = chapter_summary(task_ids, dict.fromkeys(done, Status.COMPLETED), Status.IN_PROGRESS)
    assert list(summary.not_completed_tasks) == [t for t in task_ids if t not in done]


@given(catalogues(), st.data())
def test_course_statistics_are_listed_by_course_id(
    pair: tuple[Catalogue, Catalogue], data: st.DataObject
) -> None:
    catalogue, _ = pair
    started = data.draw(st.permutations(COURSES))
    progress = UserProgress(courses={CourseId(c): Status.IN_PROGRESS for c in started})
    listed = [entry.course_id for entry in course_statistics(catalogue, progress)]
    assert listed == sorted(COURSES)
