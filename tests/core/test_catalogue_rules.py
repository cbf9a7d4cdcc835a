"""The catalogue's validity rules (`core.catalogue_rules`), over catalogues Hypothesis draws."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from handyman_core.catalogue import (
    Catalogue,
    Chapter,
    Course,
    Example,
    PracticeProject,
    ProjectFile,
    Task,
    Wrappers,
)
from handyman_core.catalogue_rules import check_catalogue, marked_task_ids
from handyman_core.ids import ChapterId, CourseId, ExampleId, ProjectId, TaskId

COURSE = CourseId("demo")
CHAPTERS = tuple(ChapterId(f"demo_chapter_{n:04d}") for n in (10, 20))
WRAPPER = "#INJECT-b585472fa"


@st.composite
def catalogues(draw: st.DrawFn) -> Catalogue:
    """One course, two chapters, tasks with or without test wrappers, mentioned or not, examples
    with or without playground wrappers, and projects following a chapter of this course or not."""
    fallbacks = Wrappers(
        test=draw(st.sampled_from([None, WRAPPER])),
        playground=draw(st.sampled_from([None, WRAPPER])),
    )
    course = Course(COURSE, "Demo", "{}", "", fallbacks)
    tasks: list[Task] = []
    chapters: list[Chapter] = []
    examples: list[Example] = []
    for chapter_id in CHAPTERS:
        numbers = draw(st.sets(st.integers(1, 9999), max_size=4))
        own = [TaskId(f"{chapter_id}_task_{n:04d}") for n in sorted(numbers)]
        mentioned = draw(st.sets(st.sampled_from(own))) if own else set()
        marked = draw(st.sets(st.integers(1, 9999), max_size=2))
        text = "# Title\n" + "".join(f"see #{task_id}\n" for task_id in sorted(mentioned))
        text += "".join(
            f"```python {{.task_source #{chapter_id}_task_{n:04d}}}\n```\n" for n in sorted(marked)
        )
        chapters.append(Chapter(chapter_id, COURSE, "Title", text))
        for task_id in own:
            test = draw(st.sampled_from([None, WRAPPER]))
            tasks.append(Task(task_id, chapter_id, Wrappers(test=test)))
        for n in sorted(draw(st.sets(st.integers(1, 99), max_size=2))):
            playground = draw(st.sampled_from([None, WRAPPER]))
            examples.append(
                Example(ExampleId(f"example_{n:03d}"), chapter_id, Wrappers(playground=playground))
            )
    projects = [
        PracticeProject(
            id=ProjectId(f"demo_{name}"),
            course_id=COURSE,
            title=name,
            chapter_id=ChapterId(draw(st.sampled_from([*CHAPTERS, "other_chapter_0010"]))),
            main_file=draw(st.sampled_from(["main.py", "app.py"])),
            default_cmd_line_args="",
            text="",
            hint="",
            files=(ProjectFile("main.py", ""),),
        )
        for name in sorted(draw(st.sets(st.sampled_from(["calc", "tree", "chapterx", "v2024"]))))
    ]
    return Catalogue(
        courses=(course,), chapters=chapters, tasks=tasks, examples=examples, projects=projects
    )


@given(catalogues())
def test_a_task_without_any_test_wrapper_is_named_once(catalogue: Catalogue) -> None:
    check = check_catalogue(catalogue)
    fallback = catalogue.courses[0].fallbacks.test
    for task in catalogue.tasks:
        warning = f"demo/{task.chapter_id}/tasks/{task.id}: missing wrapper wrapper_test"
        expected = 1 if task.wrappers.test is None and fallback is None else 0
        assert check.warnings.count(warning) == expected


@given(catalogues())
def test_exactly_the_tasks_their_chapter_text_does_not_mention_are_named(
    catalogue: Catalogue,
) -> None:
    check = check_catalogue(catalogue)
    for task in catalogue.tasks:
        chapter = catalogue.chapter(task.chapter_id)
        assert chapter is not None
        warning = f"demo/{task.chapter_id}/tasks/{task.id}: no chapter text mentions #{task.id}"
        mentioned = re.search(f"#{task.id}(?![A-Za-z0-9_])", chapter.text) is not None
        assert (warning in check.warnings) == (not mentioned)


@given(catalogues())
def test_a_task_marked_in_a_text_without_a_folder_is_named(catalogue: Catalogue) -> None:
    check = check_catalogue(catalogue)
    for chapter in catalogue.chapters:
        known = {task.id for task in catalogue.tasks_of(chapter.id)}
        for marked in marked_task_ids(chapter.text):
            warning = f"demo/{chapter.id}/text.md: marks task {marked}, which has no folder here"
            assert (warning in check.warnings) == (marked not in known)


@given(catalogues())
def test_an_example_without_any_playground_wrapper_is_named(catalogue: Catalogue) -> None:
    check = check_catalogue(catalogue)
    fallback = catalogue.courses[0].fallbacks.playground
    for example in catalogue.examples:
        warning = (
            f"demo/{example.chapter_id}/examples/{example.id}: missing wrapper wrapper_playground"
        )
        assert (warning in check.warnings) == (
            example.wrappers.playground is None and fallback is None
        )


@given(catalogues())
def test_only_projects_following_a_chapter_of_their_course_with_plain_ids_are_kept(
    catalogue: Catalogue,
) -> None:
    check = check_catalogue(catalogue)
    kept = {project.id for project in check.catalogue.projects}
    for project in catalogue.projects:
        plain = "chapter" not in project.id and not project.id[-4:].isdigit()
        assert (project.id in kept) == (plain and project.chapter_id in CHAPTERS)
        misplaced = f"demo/practice/{project.id}/data.json: chapter_id {project.chapter_id!r}"
        assert any(error.startswith(misplaced) for error in check.errors) == (
            plain and project.chapter_id not in CHAPTERS
        )


@given(catalogues())
def test_a_main_file_missing_from_a_kept_project_is_named(catalogue: Catalogue) -> None:
    check = check_catalogue(catalogue)
    for project in check.catalogue.projects:
        warning = f"demo/practice/{project.id}: main_file {project.main_file!r} is not among"
        assert any(w.startswith(warning) for w in check.warnings) == (
            project.main_file != "main.py"
        )


@given(catalogues())
def test_checking_changes_nothing_but_the_projects_it_leaves_out(catalogue: Catalogue) -> None:
    checked = check_catalogue(catalogue).catalogue
    assert (checked.courses, checked.chapters, checked.tasks, checked.examples) == (
        catalogue.courses,
        catalogue.chapters,
        catalogue.tasks,
        catalogue.examples,
    )
    again = check_catalogue(checked)
    assert again.catalogue == checked
    assert again.errors == ()


def test_a_course_without_chapters_is_named() -> None:
    catalogue = Catalogue(courses=(Course(COURSE, "Demo", "{}", ""),))
    assert check_catalogue(catalogue).warnings == ("demo: the course has no chapters",)
