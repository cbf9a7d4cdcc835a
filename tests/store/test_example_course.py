"""The example course under examples/courses reads cleanly and matches its solutions file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from handyman_store.course_folder import FolderReading, read_course_folder

SOLUTIONS = Path(__file__).resolve().parents[2] / "examples" / "solutions" / "pythonstart.json"


@pytest.fixture(scope="module")
def reading(example_courses_path: Path) -> FolderReading:
    return read_course_folder(example_courses_path)


def test_the_example_course_reads_without_errors_or_warnings(reading: FolderReading) -> None:
    assert reading.errors == ()
    assert reading.warnings == ()


def test_there_is_one_python_course(reading: FolderReading) -> None:
    [course] = reading.catalogue.courses
    assert course.id == "pythonstart"
    assert course.title == "Python from scratch"
    assert course.fallbacks.run == "#INJECT-b585472fa"
    assert json.loads(course.tags)["chapters"] == "3 chapters"


def test_chapters_and_their_tasks_are_as_written(reading: FolderReading) -> None:
    catalogue = reading.catalogue
    tasks_per_chapter = {
        chapter.title: len(catalogue.tasks_of(chapter.id))
        for chapter in catalogue.chapters_of("pythonstart")
    }
    assert tasks_per_chapter == {
        "Chapter 1. Names and values": 3,
        "Chapter 2. Making decisions": 1,
        "Chapter 3. Loops and lists": 2,
    }
    assert len(catalogue.examples) == 1


def test_every_task_has_a_test_wrapper_with_the_marker(reading: FolderReading) -> None:
    for task in reading.catalogue.tasks:
        assert task.wrappers.test is not None
        assert "#INJECT-b585472fa" in task.wrappers.test or (
            "#INJECT-ESCAPED-b585472fa" in task.wrappers.test
        )


def test_one_task_is_a_plain_text_question(reading: FolderReading) -> None:
    chapter = reading.catalogue.chapter("pythonstart_chapter_0010")
    assert chapter is not None
    assert "```consoleoutput {.task_source #pythonstart_chapter_0010_task_0030}" in chapter.text


def test_the_practice_project_follows_the_last_chapter(reading: FolderReading) -> None:
    [project] = reading.catalogue.projects
    assert project.id == "pythonstart_word_count"
    assert project.chapter_id == "pythonstart_chapter_0030"
    assert project.title == "Practice. Word counter"
    assert project.main_file == "word_count.py"
    assert project.default_cmd_line_args == "--top 3"
    assert [f.path for f in project.files] == ["test_word_count.py", "word_count.py"]


def test_every_task_and_project_has_a_known_solution(reading: FolderReading) -> None:
    solutions = json.loads(SOLUTIONS.read_text(encoding="utf-8"))
    catalogue = reading.catalogue
    expected = {t.id for t in catalogue.tasks} | {p.id for p in catalogue.projects}
    assert set(solutions) == expected
    for project in catalogue.projects:
        project_paths = {f.path for f in project.files}
        assert set(solutions[project.id]) <= project_paths
