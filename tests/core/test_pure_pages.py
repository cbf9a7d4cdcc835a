"""The pure page builders and text checks, tested without HTTP or a database: the chapter page,
course statistics, course outline's active row, storable text and strict JSON structuring."""

from __future__ import annotations

import pytest
from attrs import frozen
from hypothesis import given
from hypothesis import strategies as st

from handyman_core.catalogue import Catalogue, Chapter, Course, PracticeProject, Task, Wrappers
from handyman_core.chapter_page import chapter_page
from handyman_core.course_outline import OutlineKind, active_row, course_outline
from handyman_core.course_statistics import course_statistics
from handyman_core.errors import InvalidInput
from handyman_core.ids import ChapterId, CourseId, ProjectId, TaskId
from handyman_core.progress import ItemProgress, UserProgress
from handyman_core.status import Status
from handyman_core.strict_json import STRICT_CONVERTER, structure_json
from handyman_core.unicode_text import (
    INVALID_UNICODE,
    check_storable_text,
    is_storable,
    is_storable_text,
)

COURSE = CourseId("demo")
CHAPTERS = tuple(ChapterId(f"demo_chapter_{n:04d}") for n in (10, 20))
TASKS = {
    chapter: tuple(TaskId(f"{chapter}_task_{n:04d}") for n in (10, 20)) for chapter in CHAPTERS
}
PROJECT = ProjectId("demo_calc")
CATALOGUE = Catalogue(
    courses=(Course(COURSE, "Demo", "{}", ""),),
    chapters=tuple(Chapter(c, COURSE, f"Title {c[-4:]}", "text") for c in CHAPTERS),
    tasks=tuple(Task(t, c, Wrappers()) for c in CHAPTERS for t in TASKS[c]),
    projects=(
        PracticeProject(
            id=PROJECT,
            course_id=COURSE,
            title="Calc",
            chapter_id=CHAPTERS[0],
            main_file="calc.py",
            default_cmd_line_args="",
            text="",
            hint="",
        ),
    ),
)
statuses = st.sampled_from(list(Status))
stored = st.sampled_from([s for s in Status if s.stored])


def test_an_anonymous_chapter_page_lists_every_task_not_started_without_code() -> None:
    page = chapter_page(CATALOGUE, CATALOGUE.chapters[0], None, None, {})
    assert [(line.task_id, line.code, line.status) for line in page.tasks] == [
        (task, "", Status.NOT_STARTED) for task in TASKS[CHAPTERS[0]]
    ]
    assert (page.status, page.course_status, page.tasks_completed) == (
        Status.NOT_STARTED,
        Status.NOT_STARTED,
        0,
    )


@given(items=st.dictionaries(st.sampled_from(TASKS[CHAPTERS[0]]), stored))
def test_a_chapter_page_counts_the_completed_tasks(items: dict[TaskId, Status]) -> None:
    progress = {task: ItemProgress(status, 1, "code") for task, status in items.items()}
    page = chapter_page(CATALOGUE, CATALOGUE.chapters[0], Status.IN_PROGRESS, None, progress)
    assert page.tasks_total == len(TASKS[CHAPTERS[0]])
    assert page.tasks_completed == sum(s is Status.COMPLETED for s in items.values())
    assert {line.task_id: line.code for line in page.tasks if line.task_id in items} == {
        task: "code" for task in items
    }


def test_a_chapter_page_names_what_comes_next() -> None:
    page = chapter_page(CATALOGUE, CATALOGUE.chapters[0], None, None, {})
    assert page.next_item_id is not None


@given(course=st.one_of(st.none(), statuses))
def test_statistics_list_a_course_only_in_the_statuses_that_count(course: Status | None) -> None:
    progress = UserProgress(courses={} if course is None else {COURSE: course})
    entries = course_statistics(CATALOGUE, progress)
    assert [entry.course_id for entry in entries] == (
        [COURSE] if course is not None and course.in_statistics else []
    )


def test_statistics_count_live_items_and_the_finished_ones() -> None:
    done = ItemProgress(Status.COMPLETED, 1, "")
    progress = UserProgress(
        courses={COURSE: Status.IN_PROGRESS},
        chapters={CHAPTERS[0]: Status.COMPLETED},
        tasks={TASKS[CHAPTERS[0]][0]: done, TaskId("demo_chapter_0990_task_0010"): done},
        projects={PROJECT: done},
    )
    (entry,) = course_statistics(CATALOGUE, progress)
    assert (entry.total_chapters, entry.finished_chapters) == (2, 1)
    assert (entry.total_tasks, entry.finished_tasks) == (4, 1)
    assert (entry.total_projects, entry.finished_projects) == (1, 1)


@given(chapter_statuses=st.lists(stored, min_size=2, max_size=2), project=st.none() | stored)
def test_the_active_row_is_the_first_one_still_to_do(
    chapter_statuses: list[Status], project: Status | None
) -> None:
    progress = UserProgress(
        chapters=dict(zip(CHAPTERS, chapter_statuses, strict=True)),
        projects={} if project is None else {PROJECT: ItemProgress(project)},
    )
    outline = course_outline(CATALOGUE, COURSE, progress)
    assert [row.kind for row in outline] == [
        OutlineKind.CHAPTER,
        OutlineKind.PROJECT,
        OutlineKind.CHAPTER,
    ]
    row = active_row(outline)
    to_do = [row for row in outline if row.status.still_to_do]
    assert row == (to_do[0] if to_do else None)


@given(text=st.text())
def test_storable_text_has_neither_nul_nor_lone_surrogates(text: str) -> None:
    if "\x00" in text or not is_storable(text):
        with pytest.raises(InvalidInput):
            check_storable_text(text, "field")
    else:
        assert check_storable_text(text, "field") == text


@given(
    text=st.text()
    | st.lists(st.sampled_from(["a", "é", "\x00", "😀", "\ud800", "\udfff"])).map("".join)
)
def test_one_string_is_storable_text_exactly_when_it_is_a_storable_value(text: str) -> None:
    assert is_storable_text(text) == is_storable(text)


def test_a_lone_surrogate_is_named_as_invalid_unicode() -> None:
    with pytest.raises(InvalidInput) as refused:
        check_storable_text("a\ud800", "solution_text")
    assert refused.value.fields == {"solution_text": INVALID_UNICODE}


@frozen
class _Shape:
    count: int
    name: str = ""


def test_strict_structuring_never_coerces_and_names_the_field() -> None:
    assert structure_json(STRICT_CONVERTER, {"count": 3}, _Shape, "") == _Shape(3)
    for wrong in ("3", 3.5, True):
        with pytest.raises(InvalidInput) as refused:
            structure_json(STRICT_CONVERTER, {"count": wrong}, _Shape, "")
        assert list(refused.value.fields) == ["count"]
