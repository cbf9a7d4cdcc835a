"""What `handyman import-courses` and `check-courses` print: every warning they count, once."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import text

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


def _cli_url(database_url: DatabaseUrl) -> str:
    return database_url.url.render_as_string(hide_password=False)


def _import_output(folder: Path, url: str, capsys: pytest.CaptureFixture[str]) -> list[str]:
    assert main(["import-courses", str(folder), "--database-url", url]) == 0
    printed = capsys.readouterr()
    return lines_of(printed.out + printed.err)


def test_an_unchanged_folder_is_reported_as_a_full_comparison_reports_it(
    folder_with_two_warnings: Path,
    database_url: DatabaseUrl,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The second import recognises the folder by its digest; the third, its digest forgotten,
    compares every item: both print the same lines."""
    url = _cli_url(database_url)
    first = _import_output(folder_with_two_warnings, url, capsys)
    recognised = _import_output(folder_with_two_warnings, url, capsys)
    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("UPDATE catalogue_state SET folder_digest = NULL"))
    finally:
        engine.dispose()

    compared = _import_output(folder_with_two_warnings, url, capsys)

    assert "The import changed the catalogue; version 1." in first
    assert "No change: the catalogue is already up to date (version 1)." in recognised
    assert recognised == compared


def test_a_changed_folder_is_imported_after_an_unchanged_one(
    folder_with_two_warnings: Path,
    database_url: DatabaseUrl,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = _cli_url(database_url)
    _import_output(folder_with_two_warnings, url, capsys)
    _import_output(folder_with_two_warnings, url, capsys)
    (folder_with_two_warnings / CHAPTER / "tasks" / "pythonstart_chapter_0020_task_0090").rmdir()

    lines = _import_output(folder_with_two_warnings, url, capsys)

    assert "The import changed the catalogue; version 2." in lines
    assert not [line for line in lines if line.startswith("warning:")]


_RUN_AND_LIST_MODULES = """
import sys
from handyman_cli.main import main
status = main(sys.argv[1:])
print("loaded:", " ".join(sorted(name for name in sys.modules if "." not in name)))
sys.exit(status)
"""


def _loaded_by_an_import(folder: Path, url: str) -> set[str]:
    completed = subprocess.run(
        [
            sys.executable,
            "-c",
            _RUN_AND_LIST_MODULES,
            "import-courses",
            str(folder),
            "--database-url",
            url,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    [listing] = [line for line in completed.stdout.splitlines() if line.startswith("loaded:")]
    return set(listing.split()[1:])


def test_importing_into_a_database_at_the_head_loads_no_sqlalchemy(
    database_url: DatabaseUrl,
) -> None:
    url = _cli_url(database_url)

    full = _loaded_by_an_import(EXAMPLE_COURSES, url)
    unchanged = _loaded_by_an_import(EXAMPLE_COURSES, url)

    assert "sqlalchemy" not in full | unchanged
    assert "alembic" not in full | unchanged
    if database_url.kind == "sqlite":
        assert "psycopg" not in full | unchanged


def test_a_database_never_migrated_is_migrated_by_the_import(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'data' / 'handyman.sqlite3'}"

    lines = _import_output(EXAMPLE_COURSES, url, capsys)

    assert "The import changed the catalogue; version 1." in lines
    assert "No change: the catalogue is already up to date (version 1)." in _import_output(
        EXAMPLE_COURSES, url, capsys
    )


def test_a_dry_run_of_an_unchanged_folder_says_so(
    database_url: DatabaseUrl, capsys: pytest.CaptureFixture[str]
) -> None:
    url = _cli_url(database_url)
    _import_output(EXAMPLE_COURSES, url, capsys)

    assert main(["import-courses", str(EXAMPLE_COURSES), "--database-url", url, "--dry-run"]) == 0
    lines = lines_of(capsys.readouterr().out)

    assert any(line.endswith("(dry run)") for line in lines)
    assert "No change: the catalogue is already up to date (version 1)." in lines
