"""Reading a course folder: what becomes catalogue, what is a warning, what makes it unusable."""

from __future__ import annotations

import json
import os
import py_compile
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handyman_core.catalogue import ProjectFile, Wrappers
from handyman_core.jsonb_text import jsonb_text_of_document
from handyman_store.course_folder import (
    MAX_PROJECT_FILE_BYTES,
    FolderReading,
    read_course_folder,
)
from tests.conftest import EXAMPLE_COURSES

BOM = b"\xef\xbb\xbf"
WRAPPER = "#INJECT-b585472fa\n"
TEXT = "demo/demo_chapter_0010/text.md"
TASK = "demo/demo_chapter_0010/tasks/demo_chapter_0010_task_0010"

Tree = Mapping[str, str | bytes]


def minimal_course() -> dict[str, str | bytes]:
    """One course, one chapter, one mentioned task: reads with no finding at all."""
    return {
        "demo/tags.json": '{"title": "Demo course"}',
        "demo/description.md": "About the demo.",
        TEXT: (
            "# Chapter 1. Start\n\nDo it. {.task_text}\n\n"
            "```python {.task_source #demo_chapter_0010_task_0010}\n```\n"
        ),
        f"{TASK}/wrapper_test": WRAPPER,
    }


def write_tree(root: Path, tree: Tree) -> Path:
    for relative, contents in tree.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(contents, bytes):
            path.write_bytes(contents)
        else:
            path.write_text(contents, encoding="utf-8")
    return root


def read(tmp_path: Path, tree: Tree) -> FolderReading:
    return read_course_folder(write_tree(tmp_path / "courses", tree))


def test_a_minimal_course_reads_without_findings(tmp_path: Path) -> None:
    reading = read(tmp_path, minimal_course())

    assert reading.errors == ()
    assert reading.warnings == ()
    assert reading.usable
    catalogue = reading.catalogue
    assert [c.id for c in catalogue.courses] == ["demo"]
    assert [c.id for c in catalogue.chapters] == ["demo_chapter_0010"]
    assert catalogue.tasks_of("demo_chapter_0010")[0].wrappers == Wrappers(test=WRAPPER)


def test_course_fields_come_from_tags_description_and_fallbacks(tmp_path: Path) -> None:
    tree = minimal_course()
    tree["demo/wrapper_run_fallback"] = "run"
    tree["demo/wrapper_test_fallback"] = "test"
    tree["demo/wrapper_playground_fallback"] = "playground"

    course = read(tmp_path, tree).catalogue.courses[0]

    assert course.title == "Demo course"
    assert course.description == "About the demo."
    assert course.fallbacks == Wrappers(test="test", run="run", playground="playground")


def test_tags_are_rendered_as_jsonb_text(tmp_path: Path) -> None:
    tags = '{"version": "1", "title": "Demo", "url": "u", "projects": [{"url": "x", "name": "é"}]}'
    reading = read(tmp_path, {**minimal_course(), "demo/tags.json": tags})

    assert reading.catalogue.courses[0].tags == jsonb_text_of_document(tags)


def test_title_defaults_to_the_capitalised_folder_name(tmp_path: Path) -> None:
    reading = read(tmp_path, {**minimal_course(), "demo/tags.json": '{"version": "2"}'})

    assert reading.catalogue.courses[0].title == "Demo"


def test_a_title_that_is_not_a_string_is_an_error(tmp_path: Path) -> None:
    reading = read(tmp_path, {**minimal_course(), "demo/tags.json": '{"title": 5}'})

    assert reading.errors == ("demo/tags.json: title must be a string",)


def test_a_nul_character_in_tags_is_an_error_because_jsonb_cannot_hold_it(tmp_path: Path) -> None:
    reading = read(tmp_path, {**minimal_course(), "demo/tags.json": '{"title": "a\\u0000b"}'})

    assert reading.errors == ("demo/tags.json: contains a NUL character, which jsonb cannot store",)


def test_an_escaped_backslash_before_u0000_is_plain_text_in_tags(tmp_path: Path) -> None:
    reading = read(tmp_path, {**minimal_course(), "demo/tags.json": '{"title": "a\\\\u0000"}'})

    assert reading.errors == ()
    assert reading.catalogue.courses[0].title == "a\\u0000"


def test_plain_files_beside_the_courses_are_skipped_silently(tmp_path: Path) -> None:
    reading = read(tmp_path, {**minimal_course(), "LICENSE": "text", ".hidden/x": "y"})

    assert reading.warnings == ()
    assert [c.id for c in reading.catalogue.courses] == ["demo"]


def test_a_folder_without_tags_json_is_skipped_with_a_warning(tmp_path: Path) -> None:
    reading = read(tmp_path, {**minimal_course(), "about/readme.md": "x"})

    assert reading.warnings == ("about: skipped, no tags.json (not a course)",)
    assert [c.id for c in reading.catalogue.courses] == ["demo"]


@pytest.mark.parametrize("name", ["Demo", "my-course", "1course", "my_course"])
def test_a_course_folder_name_outside_the_id_grammar_is_an_error(tmp_path: Path, name: str) -> None:
    reading = read(tmp_path, {f"{name}/tags.json": "{}"})

    assert len(reading.errors) == 1
    assert reading.errors[0].startswith(f"{name}: ")
    assert not reading.usable


@pytest.mark.parametrize(
    ("relative", "document"),
    [
        ("demo/tags.json", '{"title": "x",}'),
        ("demo/tags.json", "[1, 2]"),
        ("demo/tags.json", '{"title": NaN}'),
        ("demo/practice/demo_project/data.json", "{chapter_id}"),
    ],
)
def test_invalid_json_is_an_error_naming_the_file(
    tmp_path: Path, relative: str, document: str
) -> None:
    reading = read(tmp_path, {**minimal_course(), relative: document})

    assert len(reading.errors) == 1
    assert reading.errors[0].startswith(f"{relative}: ")


def test_a_missing_description_is_a_warning_and_empty(tmp_path: Path) -> None:
    tree = minimal_course()
    del tree["demo/description.md"]

    reading = read(tmp_path, tree)

    assert reading.warnings == ("demo: no description.md; the description is empty",)
    assert reading.catalogue.courses[0].description == ""


@pytest.mark.parametrize(
    ("first_line", "title"),
    [
        ("# Chapter 1. Start", "Chapter 1. Start"),
        ("## Chapter 1 ##", "Chapter 1"),
        ("#Chapter#\r", "Chapter"),
        ("   Plain title  ", "Plain title"),
    ],
)
def test_chapter_title_is_the_first_line_without_hashes_and_blanks(
    tmp_path: Path, first_line: str, title: str
) -> None:
    text = f"{first_line}\nbody #demo_chapter_0010_task_0010\n"
    reading = read(tmp_path, {**minimal_course(), TEXT: text})

    assert reading.catalogue.chapters[0].title == title
    assert reading.catalogue.chapters[0].text == text


def test_a_chapter_without_text_md_keeps_its_id_as_title_with_a_warning(tmp_path: Path) -> None:
    tree = minimal_course()
    del tree[TEXT]

    reading = read(tmp_path, tree)

    chapter = reading.catalogue.chapters[0]
    assert (chapter.title, chapter.text) == ("demo_chapter_0010", "")
    assert (
        "demo/demo_chapter_0010: no text.md; imported with its id as title and an empty text"
        in reading.warnings
    )
    assert reading.errors == ()


@pytest.mark.parametrize(
    "entry", ["demo_chapter_list.md", "demo_chapter_10", "demo_chapter_00100", "demos"]
)
def test_an_entry_starting_with_the_course_id_that_is_no_chapter_is_skipped(
    tmp_path: Path, entry: str
) -> None:
    reading = read(tmp_path, {**minimal_course(), f"demo/{entry}": "x"})

    assert [c.id for c in reading.catalogue.chapters] == ["demo_chapter_0010"]
    assert len(reading.warnings) == 1
    assert reading.warnings[0].startswith(f"demo/{entry}: ")


def test_a_course_without_chapters_is_a_warning(tmp_path: Path) -> None:
    reading = read(tmp_path, {"empty/tags.json": "{}", "empty/description.md": ""})

    assert reading.warnings == ("empty: the course has no chapters",)
    assert [c.id for c in reading.catalogue.courses] == ["empty"]


@pytest.mark.parametrize(
    "entry", ["demo_chapter_0010_task_1", "demo_chapter_0020_task_0010", "notes"]
)
def test_a_task_folder_outside_the_grammar_or_chapter_is_skipped(
    tmp_path: Path, entry: str
) -> None:
    tasks = "demo/demo_chapter_0010/tasks"
    reading = read(tmp_path, {**minimal_course(), f"{tasks}/{entry}/wrapper_test": WRAPPER})

    assert [t.id for t in reading.catalogue.tasks] == ["demo_chapter_0010_task_0010"]
    assert len(reading.warnings) == 1
    assert reading.warnings[0].startswith(f"{tasks}/{entry}: ")


def test_task_wrappers_are_read_and_absent_ones_are_none(tmp_path: Path) -> None:
    tree = minimal_course()
    tree[f"{TASK}/wrapper_run"] = "run it"

    task = read(tmp_path, tree).catalogue.tasks[0]

    assert task.wrappers == Wrappers(test=WRAPPER, run="run it", playground=None)


def test_a_task_without_wrapper_test_is_imported_with_a_missing_wrapper_warning(
    tmp_path: Path,
) -> None:
    tree = minimal_course()
    del tree[f"{TASK}/wrapper_test"]
    tree[f"{TASK}/wrapper_run"] = WRAPPER

    reading = read(tmp_path, tree)

    assert reading.warnings == (f"{TASK}: missing wrapper wrapper_test",)
    assert reading.catalogue.tasks[0].wrappers.test is None


def test_a_course_test_fallback_covers_a_task_without_wrapper_test(tmp_path: Path) -> None:
    tree = minimal_course()
    del tree[f"{TASK}/wrapper_test"]
    tree[f"{TASK}/wrapper_run"] = WRAPPER
    tree["demo/wrapper_test_fallback"] = WRAPPER

    reading = read(tmp_path, tree)

    assert reading.warnings == ()


@given(
    numbers=st.sets(st.integers(min_value=1, max_value=9999), min_size=1, max_size=6),
    data=st.data(),
)
def test_exactly_the_task_folders_no_chapter_text_mentions_are_reported(
    numbers: set[int], data: st.DataObject
) -> None:
    task_ids = sorted(f"demo_chapter_0010_task_{n:04d}" for n in numbers)
    mentioned = data.draw(st.sets(st.sampled_from(task_ids)))
    text = "# Chapter\n" + "".join(
        f"```python {{.task_source #{task_id}}}\n```\n" for task_id in sorted(mentioned)
    )
    tree: dict[str, str | bytes] = {
        "demo/tags.json": "{}",
        "demo/description.md": "",
        "demo/demo_chapter_0010/text.md": text,
    }
    tree.update({f"demo/demo_chapter_0010/tasks/{t}/wrapper_test": WRAPPER for t in task_ids})
    with tempfile.TemporaryDirectory() as directory:
        reading = read_course_folder(write_tree(Path(directory), tree))

    assert reading.warnings == tuple(
        f"demo/demo_chapter_0010/tasks/{t}: no chapter text mentions #{t}"
        for t in task_ids
        if t not in mentioned
    )
    assert [t.id for t in reading.catalogue.tasks] == task_ids


def test_a_task_mention_must_be_the_whole_id(tmp_path: Path) -> None:
    text = "# Chapter\n#demo_chapter_0010_task_00100 and #demo_chapter_0010_task_001\n"
    reading = read(tmp_path, {**minimal_course(), TEXT: text})

    assert reading.warnings == (f"{TASK}: no chapter text mentions #demo_chapter_0010_task_0010",)


def test_a_task_marked_in_the_text_without_a_folder_is_a_warning(tmp_path: Path) -> None:
    text = (
        "# Chapter\n```python {.task_source #demo_chapter_0010_task_0010}\n```\n"
        "```consoleoutput {.task_source #demo_chapter_0010_task_0020}\n```\n"
    )
    reading = read(tmp_path, {**minimal_course(), TEXT: text})

    assert reading.warnings == (
        "demo/demo_chapter_0010/text.md: marks task demo_chapter_0010_task_0020, "
        "which has no folder here",
    )


def test_examples_are_read_with_their_wrappers(tmp_path: Path) -> None:
    examples = "demo/demo_chapter_0010/examples"
    tree = {
        **minimal_course(),
        f"{examples}/example_for_playground_001/wrapper_playground": "snippet",
        f"{examples}/example 002 copy/wrapper_playground": "snippet",
    }

    reading = read(tmp_path, tree)

    example = reading.catalogue.example("demo_chapter_0010", "example_for_playground_001")
    assert example is not None
    assert example.wrappers == Wrappers(playground="snippet")
    assert len(reading.catalogue.examples) == 1
    assert reading.warnings == (
        f"{examples}/example 002 copy: not a valid example id ([a-z0-9_]+); skipped",
    )


def practice_tree(**data: object) -> dict[str, str | bytes]:
    project = "demo/practice/demo_calculator"
    fields = {"chapter_id": "demo_chapter_0010", "main_file": "calc.py"} | data
    return {
        **minimal_course(),
        f"{project}/data.json": json.dumps(fields),
        f"{project}/text.md": "# Practice. Calculator\n\nBuild it.",
        f"{project}/hint.md": "Use a stack.",
        f"{project}/project/calc.py": "def calc(): ...\n",
        f"{project}/project/tests/test_calc.py": "import calc\n",
        f"{project}/project/docs/empty.txt": "",
    }


def test_a_practice_project_is_read_with_its_files(tmp_path: Path) -> None:
    reading = read(tmp_path, practice_tree(default_cmd_line_args="-L 2"))

    assert reading.errors == ()
    assert reading.warnings == ()
    project = reading.catalogue.project("demo_calculator")
    assert project is not None
    assert (project.course_id, project.chapter_id) == ("demo", "demo_chapter_0010")
    assert (project.title, project.text) == (
        "Practice. Calculator",
        "# Practice. Calculator\n\nBuild it.",
    )
    assert (project.main_file, project.default_cmd_line_args) == ("calc.py", "-L 2")
    assert project.hint == "Use a stack."
    assert project.files == (
        ProjectFile("calc.py", "def calc(): ...\n"),
        ProjectFile("docs/empty.txt", ""),
        ProjectFile("tests/test_calc.py", "import calc\n"),
    )


def test_default_command_line_arguments_may_be_left_out(tmp_path: Path) -> None:
    project = read(tmp_path, practice_tree()).catalogue.project("demo_calculator")

    assert project is not None
    assert project.default_cmd_line_args == ""


def test_a_project_following_a_chapter_outside_its_course_is_an_error(tmp_path: Path) -> None:
    reading = read(tmp_path, practice_tree(chapter_id="demo_chapter_0020"))

    assert reading.errors == (
        "demo/practice/demo_calculator/data.json: chapter_id 'demo_chapter_0020' "
        "is not a chapter of demo",
    )
    assert reading.catalogue.projects == ()


def test_a_project_without_main_file_is_an_error(tmp_path: Path) -> None:
    tree = practice_tree()
    tree["demo/practice/demo_calculator/data.json"] = '{"chapter_id": "demo_chapter_0010"}'

    reading = read(tmp_path, tree)

    assert reading.errors == (
        "demo/practice/demo_calculator/data.json: main_file must be a non-empty string",
    )


def test_a_main_file_missing_from_the_project_is_a_warning(tmp_path: Path) -> None:
    reading = read(tmp_path, practice_tree(main_file="main.py"))

    assert reading.warnings == (
        "demo/practice/demo_calculator: main_file 'main.py' is not among the project files",
    )


@pytest.mark.parametrize("name", ["demo_chapter_0090", "demo_calc2024", "other_calc", "demo"])
def test_a_project_id_that_could_be_taken_for_a_chapter_or_another_course_is_skipped(
    tmp_path: Path, name: str
) -> None:
    tree = practice_tree()
    tree[f"demo/practice/{name}/data.json"] = tree["demo/practice/demo_calculator/data.json"]

    reading = read(tmp_path, tree)

    assert [p.id for p in reading.catalogue.projects] == ["demo_calculator"]
    assert len(reading.warnings) == 1
    assert reading.warnings[0].startswith(f"demo/practice/{name}: ")


def test_binary_project_files_are_left_out_with_a_warning(tmp_path: Path) -> None:
    project = "demo/practice/demo_calculator/project"
    tree = {
        **practice_tree(),
        f"{project}/logo.png": b"\x89PNG\r\n\x1a\n\x00\x00",
        f"{project}/legacy.txt": "caf\u00e9".encode("latin-1"),
    }

    reading = read(tmp_path, tree)

    assert reading.errors == ()
    assert reading.warnings == (
        f"{project}/legacy.txt: not UTF-8 text; left out of the project",
        f"{project}/logo.png: binary (contains NUL bytes); left out of the project",
    )
    project_files = reading.catalogue.projects[0].files
    assert [f.path for f in project_files] == ["calc.py", "docs/empty.txt", "tests/test_calc.py"]


def test_bytecode_caches_in_a_project_are_passed_over_silently(tmp_path: Path) -> None:
    """What pip leaves in the installed example course when it compiles the project files."""
    project = "demo/practice/demo_calculator/project"
    tree = {
        **practice_tree(),
        f"{project}/__pycache__/calc.cpython-311.pyc": b"\xa7\r\r\n\x00\x00\x00\x00",
        f"{project}/tests/__pycache__/test_calc.cpython-311.pyc": b"\x00",
        f"{project}/old.pyc": b"\x00",
    }

    reading = read(tmp_path, tree)

    assert (reading.errors, reading.warnings) == ((), ())
    project_files = reading.catalogue.projects[0].files
    assert [f.path for f in project_files] == ["calc.py", "docs/empty.txt", "tests/test_calc.py"]


def test_hidden_files_and_folders_anywhere_are_passed_over_silently(tmp_path: Path) -> None:
    project = "demo/practice/demo_calculator/project"
    tree = {
        **practice_tree(),
        "demo/.DS_Store": b"\x00\x00",
        "demo/demo_chapter_0010/.text.md.swp": b"\x00",
        f"{TASK}/.wrapper_run": "never read",
        "demo/demo_chapter_0010/examples/.git/HEAD": "ref: refs/heads/main",
        f"{project}/.gitignore": "*.pyc",
        f"{project}/.cache/state": "x",
    }

    reading = read(tmp_path, tree)

    assert (reading.errors, reading.warnings) == ((), ())
    assert reading.catalogue.tasks[0].wrappers == Wrappers(test=WRAPPER)
    assert reading.catalogue.examples == ()
    project_files = reading.catalogue.projects[0].files
    assert [f.path for f in project_files] == ["calc.py", "docs/empty.txt", "tests/test_calc.py"]


def test_the_example_course_reads_the_same_with_bytecode_caches_beside_it(tmp_path: Path) -> None:
    """An installed copy of the example course (pip compiled its .py files) reads as the
    checkout does: no finding that the checkout lacks."""
    copy = tmp_path / "courses"
    shutil.copytree(EXAMPLE_COURSES, copy)
    for source in list(copy.rglob("*.py")):
        py_compile.compile(str(source), doraise=True)
    assert list(copy.rglob("__pycache__"))

    assert read_course_folder(copy) == read_course_folder(EXAMPLE_COURSES)


def test_oversized_project_files_are_left_out_with_a_warning(tmp_path: Path) -> None:
    project = "demo/practice/demo_calculator/project"
    tree = {**practice_tree(), f"{project}/big.txt": "x" * (MAX_PROJECT_FILE_BYTES + 1)}

    reading = read(tmp_path, tree)

    assert reading.warnings == (
        f"{project}/big.txt: larger than {MAX_PROJECT_FILE_BYTES} bytes; left out of the project",
    )


@given(st.text(st.characters(exclude_characters="\x00", exclude_categories=["Cs"])))
def test_a_wrapper_reads_back_exactly_with_any_leading_bom_removed(text: str) -> None:
    with tempfile.TemporaryDirectory() as directory:
        tree = minimal_course()
        tree[f"{TASK}/wrapper_test"] = text.encode()
        tree[f"{TASK}/wrapper_run"] = BOM + text.encode()
        reading = read_course_folder(write_tree(Path(directory), tree))

    assert reading.catalogue.tasks[0].wrappers == Wrappers(test=text, run=text)
    assert reading.warnings == (f"BOM removed from {TASK}/wrapper_run",)


@pytest.mark.parametrize(
    "relative",
    ["demo/tags.json", "demo/description.md", "demo/demo_chapter_0010/text.md"],
)
def test_a_bom_is_removed_from_any_text_file_with_a_warning(tmp_path: Path, relative: str) -> None:
    tree = minimal_course()
    contents = tree[relative]
    assert isinstance(contents, str)
    tree[relative] = BOM + contents.encode()

    reading = read(tmp_path, tree)

    assert reading.errors == ()
    assert reading.warnings == (f"BOM removed from {relative}",)


@pytest.mark.parametrize(
    "relative", ["demo/tags.json", "demo/demo_chapter_0010/text.md", f"{TASK}/wrapper_test"]
)
def test_a_text_file_that_is_not_utf8_is_an_error_naming_it(tmp_path: Path, relative: str) -> None:
    reading = read(tmp_path, {**minimal_course(), relative: b"\xff\xfe# title"})

    assert reading.errors == (f"{relative}: not UTF-8 text",)
    assert not reading.usable


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="the platform has no symlinks")
def test_symlinks_are_skipped_with_a_warning_and_never_followed(tmp_path: Path) -> None:
    outside = write_tree(tmp_path / "outside", {"secret/wrapper_test": "secret", "file": "s"})
    root = write_tree(tmp_path / "courses", minimal_course())
    tasks = root / "demo/demo_chapter_0010/tasks"
    (tasks / "demo_chapter_0010_task_0020").symlink_to(outside / "secret")
    (root / "demo/wrapper_run_fallback").symlink_to(outside / "file")
    (root / "elsewhere").symlink_to(outside)

    reading = read_course_folder(root)

    assert reading.warnings == (
        "elsewhere: symlink skipped",
        "demo/wrapper_run_fallback: symlink skipped",
        "demo/demo_chapter_0010/tasks/demo_chapter_0010_task_0020: symlink skipped",
    )
    assert reading.catalogue.courses[0].fallbacks.run is None
    assert [t.id for t in reading.catalogue.tasks] == ["demo_chapter_0010_task_0010"]


def test_a_root_that_is_not_a_folder_is_an_error(tmp_path: Path) -> None:
    reading = read_course_folder(tmp_path / "nowhere")

    assert len(reading.errors) == 1
    assert reading.catalogue.courses == ()
