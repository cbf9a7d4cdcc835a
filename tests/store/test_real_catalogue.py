"""The published course catalogue, read as externally written input (original-handyman.md §5)."""

from __future__ import annotations

from pathlib import Path

import pytest

from handyman_store.course_folder import FolderReading, read_course_folder

PYTHON_TAGS = (
    '{"url": "https://www.python.org/", "tasks": "193 задачи", "title": "Python", '
    '"version": "Python 3.14.0", "chapters": "39 глав", "projects": ['
    '{"url": "https://docs.celeryq.dev/en/stable/", '
    '"name": "Celery — распределенная очередь задач"}, '
    '{"url": "https://www.openstack.org/", '
    '"name": "OpenStack — платформа для организации облачной инфраструктуры"}, '
    '{"url": "https://www.ansible.com/", "name": "Ansible — система управления конфигурациями"}], '
    '"practice_projects": "3 проекта"}'
)


@pytest.fixture(scope="module")
def reading(real_catalogue_path: Path) -> FolderReading:
    return read_course_folder(real_catalogue_path)


def test_the_catalogue_reads_without_errors(reading: FolderReading) -> None:
    assert reading.errors == ()


def test_totals_match_the_published_counts(reading: FolderReading) -> None:
    catalogue = reading.catalogue
    assert [c.id for c in catalogue.courses] == ["cpp", "golang", "haskell", "python", "rust"]
    assert len(catalogue.chapters) == 155
    assert len(catalogue.tasks) == 537
    assert len(catalogue.projects) == 10


@pytest.mark.parametrize(
    ("course_id", "chapters", "tasks"),
    [
        ("python", 39, 203),
        ("cpp", 63, 179),
        ("haskell", 25, 76),
        ("golang", 20, 54),
        ("rust", 8, 25),
    ],
)
def test_each_course_has_its_published_chapter_and_task_counts(
    reading: FolderReading, course_id: str, chapters: int, tasks: int
) -> None:
    catalogue = reading.catalogue
    course_chapters = catalogue.chapters_of(course_id)
    assert len(course_chapters) == chapters
    assert sum(len(catalogue.tasks_of(chapter.id)) for chapter in course_chapters) == tasks


def test_practice_projects_follow_their_chapters(reading: FolderReading) -> None:
    placement = {(p.id, p.chapter_id) for p in reading.catalogue.projects}
    assert {
        ("python_calculator", "python_chapter_0150"),
        ("python_tree_util", "python_chapter_0250"),
        ("python_search_engine", "python_chapter_0330"),
        ("golang_calculator", "golang_chapter_0120"),
        ("cpp_lru_cache", "cpp_chapter_0121"),
    } <= placement


def test_project_arguments_and_files_are_read(reading: FolderReading) -> None:
    project = reading.catalogue.project("python_tree_util")
    assert project is not None
    assert project.main_file == "tree.py"
    assert project.default_cmd_line_args == "-L 2 ./test_data"
    paths = [file.path for file in project.files]
    assert "tree.py" in paths
    assert "test_data/movies/fantasy/LOTR/The Two Towers.avi" in paths


def test_the_four_unreferenced_cpp_task_folders_are_warned_about(reading: FolderReading) -> None:
    unmentioned = [w for w in reading.warnings if "no chapter text mentions" in w]
    assert unmentioned == [
        f"cpp/cpp_chapter_0010/tasks/cpp_chapter_0010_task_00{n}0: "
        f"no chapter text mentions #cpp_chapter_0010_task_00{n}0"
        for n in (1, 2, 3, 4)
    ]


def test_the_six_wrappers_with_a_bom_are_reported(reading: FolderReading) -> None:
    boms = [w for w in reading.warnings if w.startswith("BOM removed from ")]
    assert sorted(boms) == [
        "BOM removed from rust/rust_chapter_0020/tasks/rust_chapter_0020_task_0010/wrapper_test",
        "BOM removed from rust/rust_chapter_0030/tasks/rust_chapter_0030_task_0010/wrapper_test",
        "BOM removed from rust/rust_chapter_0030/tasks/rust_chapter_0030_task_0020/wrapper_run",
        "BOM removed from rust/rust_chapter_0030/tasks/rust_chapter_0030_task_0030/wrapper_run",
        "BOM removed from rust/rust_chapter_0030/tasks/rust_chapter_0030_task_0040/wrapper_run",
        "BOM removed from rust/rust_chapter_0040/tasks/rust_chapter_0040_task_0010/wrapper_run",
    ]
    task = reading.catalogue.task("rust_chapter_0020_task_0010")
    assert task is not None and task.wrappers.test is not None
    assert not task.wrappers.test.startswith("\ufeff")


def test_python_tags_render_as_get_course_info_returns_them(reading: FolderReading) -> None:
    python = reading.catalogue.course("python")
    assert python is not None
    assert python.tags == PYTHON_TAGS


def test_titles_come_from_tags_and_first_lines(reading: FolderReading) -> None:
    catalogue = reading.catalogue
    assert [c.title for c in catalogue.courses] == [
        "C++ по спирали",
        "Golang",
        "Haskell",
        "Python",
        "Rust",
    ]
    chapter = catalogue.chapter("cpp_chapter_0000")
    assert chapter is not None
    assert chapter.title == "Глава 0. О курсе"
    project = catalogue.project("python_tree_util")
    assert project is not None
    assert project.title == "Практика. Утилита tree"


def test_fallback_wrappers_are_read_where_the_courses_have_them(reading: FolderReading) -> None:
    with_playground = [c.id for c in reading.catalogue.courses if c.fallbacks.playground]
    with_test = [c.id for c in reading.catalogue.courses if c.fallbacks.test]
    assert with_playground == ["cpp", "rust"]
    assert with_test == ["cpp"]
    assert all(c.fallbacks.run for c in reading.catalogue.courses)
