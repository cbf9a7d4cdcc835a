"""What `handyman import-courses` and `check-courses` print: every warning they count, once."""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

import pytest

from handyman_cli.courses_commands import print_import_report, run_import
from handyman_cli.demo import prepare_demo
from handyman_cli.main import main
from handyman_store.course_folder import read_course_folder
from handyman_store.database import DatabaseUrl, create_engine
from handyman_store.migrate import upgrade
from tests.conftest import EXAMPLE_COURSES

CHAPTER = "pythonstart/pythonstart_chapter_0020"
WARNINGS = (
    f"{CHAPTER}/tasks/pythonstart_chapter_0020_task_0090: missing wrapper wrapper_test",
    f"{CHAPTER}/tasks/pythonstart_chapter_0020_task_0090: "
    "no chapter text mentions #pythonstart_chapter_0020_task_0090",
)


@pytest.fixture
def folder_with_two_warnings(tmp_path: Path) -> Path:
    """The example course plus a task folder with no wrapper that no chapter text mentions."""
    folder = tmp_path / "courses"
    shutil.copytree(EXAMPLE_COURSES, folder)
    (folder / CHAPTER / "tasks" / "pythonstart_chapter_0020_task_0090").mkdir()
    return folder


def lines_of(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines()]


def test_import_lists_every_warning_it_counts(
    folder_with_two_warnings: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'handyman.sqlite3'}"
    assert main(["import-courses", str(folder_with_two_warnings), "--database-url", url]) == 0
    printed = capsys.readouterr()
    lines = lines_of(printed.out + printed.err)
    assert "2 warnings:" in lines
    assert [line for line in lines if line.startswith("warning:")] == [
        f"warning: {warning}" for warning in WARNINGS
    ]


def test_check_lists_every_warning_once(
    folder_with_two_warnings: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check-courses", str(folder_with_two_warnings)]) == 0
    printed = capsys.readouterr()
    warned = [line for line in lines_of(printed.out + printed.err) if line.startswith("warning:")]
    assert warned == [f"warning: {warning}" for warning in WARNINGS]


def test_an_invalid_folder_lists_its_warnings_and_errors_and_writes_nothing(
    folder_with_two_warnings: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (folder_with_two_warnings / "pythonstart" / "tags.json").write_text("{", encoding="utf-8")
    (folder_with_two_warnings / "pythonstart" / "other").mkdir()
    database = tmp_path / "handyman.sqlite3"
    code = main(
        ["import-courses", str(folder_with_two_warnings), "--database-url", f"sqlite:///{database}"]
    )
    printed = capsys.readouterr()
    lines = lines_of(printed.out + printed.err)
    assert code == 1
    assert any(line.startswith("error: pythonstart/tags.json") for line in lines)
    assert not database.exists()


def test_a_clean_import_prints_no_warning_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'handyman.sqlite3'}"
    assert main(["import-courses", str(EXAMPLE_COURSES), "--database-url", url]) == 0
    printed = capsys.readouterr()
    assert "warning" not in (printed.out + printed.err).lower()


def test_the_report_serve_prints_lists_the_warnings_of_the_reading(
    folder_with_two_warnings: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`serve --courses` and `serve --demo` import without printing the reading first: the
    report is the only place the warnings can appear."""
    engine = create_engine(DatabaseUrl.sqlite_file(tmp_path / "handyman.sqlite3"))
    try:
        upgrade(engine)
        report = run_import(engine, read_course_folder(folder_with_two_warnings), "folder")
    finally:
        engine.dispose()
    capsys.readouterr()
    print_import_report(report)
    printed = capsys.readouterr()
    lines = lines_of(printed.out + printed.err)
    assert "2 warnings:" in lines
    assert [line for line in lines if line.startswith("warning:")] == [
        f"warning: {warning}" for warning in WARNINGS
    ]


def test_the_demo_imports_the_example_course_without_warnings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setenv("HANDYMAN_ADMIN_TOKEN", "restored after the test")
    prepare_demo(argparse.Namespace(host="127.0.0.1", port=8080))
    printed = capsys.readouterr()
    assert "warning" not in (printed.out + printed.err).lower()
