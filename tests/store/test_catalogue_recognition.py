"""An import of a folder the database already holds is answered from the database, with the
report a full comparison would give; anything that could make the full comparison differ
(a changed file, a catalogue written from elsewhere, a gating segment deleted, a schema behind
the release) makes it a full one. And the import on a bare driver connection, which the command
line uses, does what the import through SQLAlchemy does."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from handyman_core.catalogue import Catalogue
from handyman_core.errors import CatalogueInvalid
from handyman_core.segments import NewSegment, SegmentName
from handyman_store.catalogue_import import ImportReport, import_catalogue, import_on_driver
from handyman_store.catalogue_recognition import recognised_import
from handyman_store.course_folder import FolderReading, read_course_folder
from handyman_store.database import DatabaseUrl
from handyman_store.database_location import driver_location, sqlite_location
from handyman_store.driver_connection import DriverConnection, connect
from handyman_store.store import Store
from tests.conftest import EXAMPLE_COURSES
from tests.store.test_catalogue_import import (
    SMALL,
    SOURCE,
    _database_contents,
    _live,
    _version,
    catalogues,
)

NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)
CHAPTER = "pythonstart/pythonstart_chapter_0020"


@pytest.fixture
def driver(database_url: DatabaseUrl) -> Iterator[DriverConnection]:
    """A bare driver connection to the test's database, as `handyman import-courses` opens."""
    if database_url.sqlite_path is not None:
        location = sqlite_location(database_url.sqlite_path)
    else:
        found = driver_location(database_url.url.render_as_string(hide_password=False))
        assert found is not None
        location = found
    connection = connect(location)
    assert connection is not None
    yield connection
    connection.close()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """The example course plus a task folder that makes two warnings."""
    copy = tmp_path / "courses"
    shutil.copytree(EXAMPLE_COURSES, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / CHAPTER / "tasks" / "pythonstart_chapter_0020_task_0090").mkdir()
    return copy


def recognised(
    driver: DriverConnection, reading: FolderReading, *, dry_run: bool = False
) -> ImportReport | None:
    assert reading.digest is not None
    return recognised_import(driver.driver, reading.digest, SOURCE, dry_run=dry_run)


def test_an_imported_folder_is_recognised_with_the_report_of_a_full_comparison(
    engine: Engine, driver: DriverConnection, folder: Path
) -> None:
    reading = read_course_folder(folder)
    import_catalogue(engine, reading, SOURCE)

    compared = import_catalogue(engine, reading, SOURCE)

    assert len(compared.warnings) == 2
    assert not compared.changes_anything
    assert recognised(driver, reading) == compared


def test_a_dry_run_is_recognised_as_one(
    engine: Engine, driver: DriverConnection, folder: Path
) -> None:
    reading = read_course_folder(folder)
    import_catalogue(engine, reading, SOURCE)

    compared = import_catalogue(engine, reading, SOURCE, dry_run=True)

    assert recognised(driver, reading, dry_run=True) == compared


def test_nothing_is_recognised_in_a_database_never_imported_into(
    driver: DriverConnection, folder: Path
) -> None:
    assert recognised(driver, read_course_folder(folder)) is None


def test_a_folder_with_a_changed_file_is_not_recognised(
    engine: Engine, driver: DriverConnection, folder: Path
) -> None:
    import_catalogue(engine, read_course_folder(folder), SOURCE)
    text_file = folder / CHAPTER / "text.md"
    text_file.write_text(text_file.read_text() + "\nOne more line.\n")

    changed = read_course_folder(folder)

    assert recognised(driver, changed) is None
    assert import_catalogue(engine, changed, SOURCE).chapters.changed == 1


def test_a_catalogue_written_from_elsewhere_makes_the_folder_unknown(
    engine: Engine, driver: DriverConnection, folder: Path
) -> None:
    reading = read_course_folder(folder)
    import_catalogue(engine, reading, SOURCE)

    import_catalogue(engine, SMALL, SOURCE)

    assert recognised(driver, reading) is None
    assert import_catalogue(engine, reading, SOURCE).changes_anything


def test_an_unchanged_catalogue_under_a_new_digest_records_it_and_keeps_its_version(
    engine: Engine, driver: DriverConnection, folder: Path
) -> None:
    """A new release, or a file no item is read from: the rows match, the digest does not."""
    before = read_course_folder(folder)
    import_catalogue(engine, before, SOURCE)
    (folder / "pythonstart" / "README").write_text("Notes for authors.")
    after = read_course_folder(folder)
    assert after.catalogue == before.catalogue
    assert after.digest != before.digest

    report = import_catalogue(engine, after, SOURCE)

    assert not report.changes_anything
    assert _version(engine) == 1
    assert recognised(driver, after) == report
    assert recognised(driver, before) is None


def test_a_dry_run_records_no_digest(
    engine: Engine, driver: DriverConnection, folder: Path
) -> None:
    reading = read_course_folder(folder)

    import_catalogue(engine, reading, SOURCE, dry_run=True)

    assert recognised(driver, reading) is None


def test_a_course_gated_by_a_segment_deleted_since_is_compared_in_full(
    engine: Engine, driver: DriverConnection, folder: Path
) -> None:
    beta = SegmentName("BETA_PYTHON")
    store = Store(engine)
    store.create_segment(NewSegment(beta), salt="s", now=NOW)
    tags_file = folder / "pythonstart" / "tags.json"
    tags_file.write_text(json.dumps({**json.loads(tags_file.read_text()), "segment": beta}))
    reading = read_course_folder(folder)
    import_catalogue(engine, reading, SOURCE)
    assert recognised(driver, reading) is not None

    store.delete_segment(beta, now=NOW)

    assert recognised(driver, reading) is None
    with pytest.raises(CatalogueInvalid, match="which is deleted"):
        import_catalogue(engine, reading, SOURCE)


def test_a_database_behind_the_release_is_compared_in_full(
    engine: Engine, driver: DriverConnection, folder: Path
) -> None:
    reading = read_course_folder(folder)
    import_catalogue(engine, reading, SOURCE)

    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0005'"))

    assert recognised(driver, reading) is None


# The import on a bare driver connection.


def test_an_import_on_the_driver_records_the_folder(
    engine: Engine, driver: DriverConnection, folder: Path
) -> None:
    reading = read_course_folder(folder)

    report = import_on_driver(driver, reading, SOURCE)

    assert report.changes_anything
    assert _live(engine) == reading.catalogue
    assert recognised(driver, reading) == import_catalogue(engine, reading, SOURCE)


def test_an_import_on_the_driver_that_fails_midway_leaves_the_database_as_it_was(
    engine: Engine, driver: DriverConnection
) -> None:
    import_catalogue(engine, SMALL, SOURCE)
    before = _database_contents(engine)
    orphan = attrs.evolve(SMALL.chapters[0], id="cobol_chapter_0010", course_id="cobol")
    broken = attrs.evolve(SMALL, courses=SMALL.courses[:1], chapters=[*SMALL.chapters, orphan])

    with pytest.raises(driver.driver.errors):
        import_on_driver(driver, broken, SOURCE)

    assert _database_contents(engine) == before


# Few examples: each one runs up to three whole imports on a real database.
@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(catalogues(), min_size=1, max_size=3))
def test_after_any_sequence_of_imports_on_the_driver_the_live_catalogue_is_the_last_one(
    engine: Engine, driver: DriverConnection, sequence: list[Catalogue]
) -> None:
    for catalogue in sequence:
        version_before = _version(engine)

        report = import_on_driver(driver, catalogue, SOURCE)

        assert _live(engine) == catalogue
        assert report.version == version_before + (1 if report.changes_anything else 0)
        assert {kind: counts.live for kind, counts in report.by_kind.items()} == {
            kind: len(getattr(catalogue, kind)) for kind in report.by_kind
        }
