"""What makes a catalogue valid, as one pure function over the catalogue a folder reader built.

The reader (`handyman_store.course_folder`) only reads: files, their encodings, the id grammar of
folder names. The rules about the items themselves live here, so that they hold whatever the
catalogue came from:
- a task needs a test wrapper, its own or the course's fallback (warning);
- a code example needs a playground wrapper, its own or the course's fallback (warning);
- a chapter text mentions each of its tasks (`#<task id>`), and marks no task that has no folder
  (`{.task_source #<id>}`) (warnings);
- a course has chapters (warning);
- a practice project id neither contains `chapter` nor ends in four digits, because the site and
  the service tell projects from chapters by exactly those traits (the project is left out, with
  a warning);
- a practice project follows a chapter of its own course (error: the project is left out);
- its main file is among its files (warning).

Messages name items by the folder paths they are read from (`<course>/<chapter>/tasks/<task>`),
which follow from the ids.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from attrs import evolve, frozen

from handyman_core.catalogue import Catalogue, Chapter, Example, PracticeProject, Task

_ANCHOR = re.compile(r"#([A-Za-z0-9_]+)")
_TASK_SOURCE_ATTRIBUTES = re.compile(r"\{([^{}\n]*\.task_source\b[^{}\n]*)\}")
_ENDS_IN_FOUR_DIGITS = re.compile(r".*[0-9]{4}")


@frozen
class CatalogueCheck:
    """The catalogue without the items the rules leave out, and what the rules found."""

    catalogue: Catalogue
    warnings: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()


def check_catalogue(catalogue: Catalogue) -> CatalogueCheck:
    warnings: list[str] = []
    errors: list[str] = []
    examples = _examples_by_chapter(catalogue)
    for course in catalogue.courses:
        for chapter in catalogue.chapters_of(course.id):
            tasks = catalogue.tasks_of(chapter.id)
            mentioned = mentioned_ids(chapter.text)
            for task in tasks:
                warnings.extend(_task_problems(catalogue, chapter, task, mentioned))
            warnings.extend(_unknown_marked_tasks(chapter, tasks))
            for example in examples.get(chapter.id, ()):
                warnings.extend(_example_problems(catalogue, chapter, example))
        if not catalogue.chapters_of(course.id):
            warnings.append(f"{course.id}: the course has no chapters")
    kept: list[PracticeProject] = []
    for project in catalogue.projects:
        where = f"{project.course_id}/practice/{project.id}"
        if taken_for_a_chapter(project.id):
            warnings.append(f"{where}: {TAKEN_FOR_A_CHAPTER}")
            continue
        followed = catalogue.chapter(project.chapter_id)
        if followed is None or followed.course_id != project.course_id:
            errors.append(
                f"{where}/data.json: chapter_id {project.chapter_id!r} is not a chapter of "
                f"{project.course_id}"
            )
            continue
        if not any(_names_file(project.main_file, file.path) for file in project.files):
            warnings.append(
                f"{where}: main_file {project.main_file!r} is not among the project files"
            )
        kept.append(project)
    return CatalogueCheck(evolve(catalogue, projects=kept), tuple(warnings), tuple(errors))


def mentioned_ids(text: str) -> set[str]:
    """Every `#<id>` of a chapter text."""
    return set(_ANCHOR.findall(text))


def marked_task_ids(text: str) -> list[str]:
    """Ids of the `{.task_source #<id>}` blocks of a chapter text, in order."""
    return [
        anchor
        for attributes in _TASK_SOURCE_ATTRIBUTES.findall(text)
        for anchor in _ANCHOR.findall(attributes)
    ]


def _task_problems(
    catalogue: Catalogue, chapter: Chapter, task: Task, mentioned: set[str]
) -> list[str]:
    where = f"{chapter.course_id}/{chapter.id}/tasks/{task.id}"
    problems = []
    course = catalogue.course(chapter.course_id)
    if task.wrappers.test is None and (course is None or course.fallbacks.test is None):
        problems.append(f"{where}: missing wrapper wrapper_test")
    if task.id not in mentioned:
        problems.append(f"{where}: no chapter text mentions #{task.id}")
    return problems


def _unknown_marked_tasks(chapter: Chapter, tasks: tuple[Task, ...]) -> list[str]:
    known = {task.id for task in tasks}
    return [
        f"{chapter.course_id}/{chapter.id}/text.md: marks task {marked}, which has no folder here"
        for marked in marked_task_ids(chapter.text)
        if marked not in known
    ]


def _examples_by_chapter(catalogue: Catalogue) -> dict[str, list[Example]]:
    """Each chapter's examples, in the catalogue's order."""
    by_chapter: dict[str, list[Example]] = {}
    for example in catalogue.examples:
        by_chapter.setdefault(example.chapter_id, []).append(example)
    return by_chapter


def _example_problems(catalogue: Catalogue, chapter: Chapter, example: Example) -> list[str]:
    course = catalogue.course(chapter.course_id)
    if example.wrappers.playground is None and (
        course is None or course.fallbacks.playground is None
    ):
        where = f"{chapter.course_id}/{chapter.id}/examples/{example.id}"
        return [f"{where}: missing wrapper wrapper_playground"]
    return []


TAKEN_FOR_A_CHAPTER = (
    "a project id must neither contain 'chapter' nor end in four digits, or it is taken for a "
    "chapter; skipped"
)


def taken_for_a_chapter(project_id: str) -> bool:
    """The folder reader skips such project folders before reading them, with this rule."""
    return "chapter" in project_id or bool(_ENDS_IN_FOUR_DIGITS.fullmatch(project_id))


def _names_file(main_file: str, path: str) -> bool:
    return path == main_file or PurePosixPath(path).name == main_file
