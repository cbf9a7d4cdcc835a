"""Catalogue import (contract §5): one transaction, idempotent, retire instead of delete, a report
of what changed; and the snapshot loader that reads the live catalogue back."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, event, insert, select

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
from handyman_core.errors import CatalogueInvalid
from handyman_core.ids import ChapterId, CourseId, ExampleId, ProjectId, TaskId
from handyman_store import schema
from handyman_store.catalogue_import import (
    ImportProgress,
    ImportReport,
    KindReport,
    Stored,
    classify,
    import_catalogue,
)
from handyman_store.catalogue_snapshot import catalogue_version, load_catalogue
from handyman_store.course_folder import FolderReading, read_course_folder

INJECT = "#INJECT-b585472fa"


def _course(course_id: str, title: str) -> Course:
    return Course(
        id=CourseId(course_id),
        title=title,
        tags='{"title": "' + title + '"}',
        description=f"About {title}",
        fallbacks=Wrappers(run=INJECT),
    )


def _chapter(chapter_id: str, title: str) -> Chapter:
    return Chapter(
        id=ChapterId(chapter_id),
        course_id=CourseId(chapter_id.split("_", 1)[0]),
        title=title,
        text=f"# {title}\n\nТекст главы.",
    )


def _task(task_id: str) -> Task:
    return Task(
        id=TaskId(task_id),
        chapter_id=ChapterId(task_id.rsplit("_task_", 1)[0]),
        wrappers=Wrappers(test=f"assert solution()\n{INJECT}"),
    )


def _example(chapter_id: str, example_id: str) -> Example:
    return Example(
        id=ExampleId(example_id),
        chapter_id=ChapterId(chapter_id),
        wrappers=Wrappers(playground=INJECT),
    )


SMALL = Catalogue(
    courses=[_course("python", "Python"), _course("rust", "Rust")],
    chapters=[
        _chapter("python_chapter_0010", "Глава 1. Начало"),
        _chapter("python_chapter_0020", "Глава 2. Функции"),
        _chapter("rust_chapter_0010", "Глава 1. Владение"),
    ],
    tasks=[
        _task("python_chapter_0010_task_0010"),
        _task("python_chapter_0010_task_0020"),
        _task("python_chapter_0020_task_0010"),
        _task("rust_chapter_0010_task_0010"),
    ],
    examples=[
        _example("python_chapter_0010", "example_for_playground_001"),
        _example("rust_chapter_0010", "example_for_playground_001"),
    ],
    projects=[
        PracticeProject(
            id=ProjectId("python_calculator"),
            course_id=CourseId("python"),
            title="Практика. Калькулятор",
            chapter_id=ChapterId("python_chapter_0020"),
            main_file="main.py",
            default_cmd_line_args="-L 2 ./data",
            text="# Практика. Калькулятор",
            hint="Разбейте задачу на части.",
            files=(
                ProjectFile("main.py", "print(calc())\n"),
                ProjectFile("lib/calc.py", "def calc(): ...\n"),
            ),
        )
    ],
)
SMALL_COUNTS = {"courses": 2, "chapters": 3, "tasks": 4, "examples": 2, "projects": 1}
SOURCE = "/courses/small"
RETIRED_TASK = TaskId("python_chapter_0010_task_0020")


def _without_task(catalogue: Catalogue, task_id: str) -> Catalogue:
    return attrs.evolve(catalogue, tasks=[t for t in catalogue.tasks if t.id != task_id])


def _with_chapter_title(catalogue: Catalogue, chapter_id: str, title: str) -> Catalogue:
    chapters = [
        attrs.evolve(chapter, title=title) if chapter.id == chapter_id else chapter
        for chapter in catalogue.chapters
    ]
    return attrs.evolve(catalogue, chapters=chapters)


@contextlib.contextmanager
def recorded_statements(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_connection: Connection, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _writes(statements: list[str]) -> list[str]:
    return [s for s in statements if s.lstrip().split(None, 1)[0].upper() in _WRITE_VERBS]


_WRITE_VERBS = {"INSERT", "UPDATE", "DELETE"}


def _live(engine: Engine) -> Catalogue:
    with engine.connect() as connection:
        return load_catalogue(connection)


def _version(engine: Engine) -> int:
    with engine.connect() as connection:
        return catalogue_version(connection).version


def _database_contents(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as connection:
        return {
            table.name: sorted((tuple(row) for row in connection.execute(select(table))), key=repr)
            for table in schema.metadata.sorted_tables
        }


def _counts(report: ImportReport, field: str) -> dict[str, int]:
    return {kind: getattr(counts, field) for kind, counts in report.by_kind.items()}


def _add_task_progress(engine: Engine, user_id: int, task_id: str) -> None:
    with engine.begin() as connection:
        connection.execute(
            insert(schema.task_progress).values(
                user_id=user_id,
                task_id=task_id,
                chapter_id=task_id.rsplit("_task_", 1)[0],
                course_id=task_id.split("_", 1)[0],
                status="completed",
                solution_text="print(42)",
                attempts_count=3,
            )
        )


def test_an_empty_database_is_at_catalogue_version_0(engine: Engine) -> None:
    assert _version(engine) == 0
    assert _live(engine) == Catalogue()


def test_the_first_import_adds_every_item(engine: Engine) -> None:
    report = import_catalogue(engine, SMALL, SOURCE)

    assert _counts(report, "added") == SMALL_COUNTS
    assert _counts(report, "live") == SMALL_COUNTS
    assert not any(_counts(report, "changed").values())
    assert report.changes_anything


def test_the_first_import_creates_catalogue_version_1_with_its_source(engine: Engine) -> None:
    report = import_catalogue(engine, SMALL, SOURCE)

    assert report.version == 1
    with engine.connect() as connection:
        state = connection.execute(select(schema.catalogue_state)).one()
    assert (state.version, state.source) == (1, SOURCE)


def test_load_catalogue_returns_exactly_what_was_imported(engine: Engine) -> None:
    import_catalogue(engine, SMALL, SOURCE)

    assert _live(engine) == SMALL


def test_reimporting_an_unchanged_catalogue_reports_everything_unchanged(engine: Engine) -> None:
    import_catalogue(engine, SMALL, SOURCE)

    report = import_catalogue(engine, SMALL, "/elsewhere")

    assert _counts(report, "unchanged") == SMALL_COUNTS
    assert not report.changes_anything
    assert report.version == 1


def test_reimporting_an_unchanged_catalogue_writes_nothing(engine: Engine) -> None:
    import_catalogue(engine, SMALL, SOURCE)

    with recorded_statements(engine) as statements:
        import_catalogue(engine, SMALL, SOURCE)

    assert statements, "the listener saw no statement at all"
    assert _writes(statements) == []


def test_changing_one_chapter_title_reports_exactly_one_change(engine: Engine) -> None:
    import_catalogue(engine, SMALL, SOURCE)
    renamed = _with_chapter_title(SMALL, "python_chapter_0020", "Глава 2. Функции и модули")

    report = import_catalogue(engine, renamed, SOURCE)

    assert report.chapters == KindReport(changed=1, unchanged=2)
    assert sum(_counts(report, "changed").values()) == 1
    assert report.version == _version(engine) == 2
    assert _live(engine) == renamed


def test_a_task_gone_from_the_folder_is_retired_and_hidden_not_deleted(engine: Engine) -> None:
    import_catalogue(engine, SMALL, SOURCE)

    report = import_catalogue(engine, _without_task(SMALL, RETIRED_TASK), SOURCE)

    assert report.tasks == KindReport(retired=1, unchanged=3)
    assert report.tasks.live == 3
    assert _live(engine).task(RETIRED_TASK) is None
    with engine.connect() as connection:
        retired = connection.execute(
            select(schema.tasks.c.retired).where(schema.tasks.c.task_id == RETIRED_TASK)
        ).scalar_one()
    assert retired


def test_retiring_a_task_keeps_its_progress_rows(engine: Engine) -> None:
    import_catalogue(engine, SMALL, SOURCE)
    _add_task_progress(engine, user_id=17, task_id=RETIRED_TASK)

    import_catalogue(engine, _without_task(SMALL, RETIRED_TASK), SOURCE)

    with engine.connect() as connection:
        kept = connection.execute(
            select(schema.task_progress.c.user_id, schema.task_progress.c.attempts_count)
        ).all()
    assert [tuple(row) for row in kept] == [(17, 3)]


def test_a_retired_task_that_returns_is_revived(engine: Engine) -> None:
    import_catalogue(engine, SMALL, SOURCE)
    import_catalogue(engine, _without_task(SMALL, RETIRED_TASK), SOURCE)

    report = import_catalogue(engine, SMALL, SOURCE)

    assert report.tasks == KindReport(revived=1, unchanged=3)
    assert report.version == 3
    assert _live(engine) == SMALL


def test_an_import_that_fails_midway_leaves_the_database_as_it_was(engine: Engine) -> None:
    import_catalogue(engine, SMALL, SOURCE)
    _add_task_progress(engine, user_id=17, task_id=RETIRED_TASK)
    before = _database_contents(engine)
    changed = attrs.evolve(
        _without_task(_with_chapter_title(SMALL, "python_chapter_0010", "Новое"), RETIRED_TASK),
        tasks=[*_without_task(SMALL, RETIRED_TASK).tasks, _task("rust_chapter_0010_task_0020")],
    )

    def fail_on_task_insert(_c: Connection, _cur: object, statement: str, *_a: object) -> None:
        if statement.startswith("INSERT INTO tasks"):
            raise RuntimeError("injected failure")

    with recorded_statements(engine) as statements:
        event.listen(engine, "before_cursor_execute", fail_on_task_insert)
        with pytest.raises(RuntimeError, match="injected failure"):
            import_catalogue(engine, changed, SOURCE)

    assert any(s.startswith("UPDATE chapters") for s in statements), "failed before any write"
    assert _database_contents(engine) == before


def test_a_dry_run_reports_the_changes_and_writes_nothing(engine: Engine) -> None:
    import_catalogue(engine, SMALL, SOURCE)
    before = _database_contents(engine)

    with recorded_statements(engine) as statements:
        report = import_catalogue(engine, _without_task(SMALL, RETIRED_TASK), SOURCE, dry_run=True)

    assert report.dry_run
    assert report.tasks == KindReport(retired=1, unchanged=3)
    assert report.version == 1
    assert _writes(statements) == []
    assert _database_contents(engine) == before


def test_a_folder_reading_with_errors_is_refused_before_anything_is_written(
    engine: Engine,
) -> None:
    reading = FolderReading(catalogue=SMALL, errors=("python: tags.json is not JSON",))

    with pytest.raises(CatalogueInvalid) as refused:
        import_catalogue(engine, reading, SOURCE)

    assert refused.value.errors == ["python: tags.json is not JSON"]
    assert _version(engine) == 0


def test_the_warnings_of_a_folder_reading_are_reported(engine: Engine) -> None:
    reading = FolderReading(catalogue=SMALL, warnings=("rust: wrapper_test starts with a BOM",))

    report = import_catalogue(engine, reading, SOURCE)

    assert report.warnings == ("rust: wrapper_test starts with a BOM",)


def test_a_catalogue_with_a_duplicate_id_is_refused(engine: Engine) -> None:
    duplicated = attrs.evolve(SMALL, tasks=[*SMALL.tasks, SMALL.tasks[0]])

    with pytest.raises(CatalogueInvalid, match="more than once"):
        import_catalogue(engine, duplicated, SOURCE)
    assert _version(engine) == 0


def test_progress_is_reported_after_every_step_until_complete(engine: Engine) -> None:
    seen: list[ImportProgress] = []

    import_catalogue(engine, SMALL, SOURCE, progress=seen.append)

    assert [step.completed for step in seen] == list(range(1, len(seen) + 1))
    assert {step.total for step in seen} == {len(seen)}
    assert seen[0].description == "compared courses"
    assert seen[-1].description == "wrote projects"


def test_concurrent_imports_of_the_same_catalogue_both_succeed_and_count_once(
    engine: Engine,
) -> None:
    reports: list[ImportReport] = []
    failures: list[BaseException] = []

    def run_import() -> None:
        try:
            reports.append(import_catalogue(engine, SMALL, SOURCE))
        except BaseException as error:
            failures.append(error)

    importers = [threading.Thread(target=run_import) for _ in range(2)]
    for importer in importers:
        importer.start()
    for importer in importers:
        importer.join()

    assert failures == []
    assert sorted(report.changes_anything for report in reports) == [False, True]
    assert _version(engine) == 1


# Rules of the classification, independent of any database.

_KEYS = st.integers(min_value=0, max_value=12)
_HASHES = st.sampled_from(["a", "b", "c"])
_STORED = st.dictionaries(_KEYS, st.builds(Stored, _HASHES, st.booleans()))
_INCOMING = st.dictionaries(_KEYS, _HASHES)


@given(_STORED, _INCOMING)
def test_every_incoming_item_falls_in_exactly_one_class(
    stored: dict[int, Stored], incoming: dict[int, str]
) -> None:
    changes = classify(stored, incoming)

    classes = [changes.added, changes.changed, changes.revived, changes.unchanged]
    assert sorted(key for keys in classes for key in keys) == sorted(incoming)


@given(_STORED, _INCOMING)
def test_each_class_is_decided_by_presence_retirement_and_hash(
    stored: dict[int, Stored], incoming: dict[int, str]
) -> None:
    changes = classify(stored, incoming)

    assert set(changes.added) == incoming.keys() - stored.keys()
    assert set(changes.revived) == {k for k in incoming if k in stored and stored[k].retired}
    live_before = {k for k, row in stored.items() if not row.retired}
    assert set(changes.changed) == {
        k for k in incoming.keys() & live_before if stored[k].content_hash != incoming[k]
    }
    assert set(changes.retired) == live_before - incoming.keys()


@given(st.dictionaries(_KEYS, _HASHES))
def test_classifying_a_catalogue_against_itself_finds_it_unchanged(
    hashes: dict[int, str],
) -> None:
    stored = {key: Stored(value, retired=False) for key, value in hashes.items()}

    changes = classify(stored, hashes)

    assert set(changes.unchanged) == hashes.keys()
    assert not (changes.added or changes.changed or changes.revived or changes.retired)


# Whole imports, on random catalogues.

_TEXTS = st.sampled_from(["", "один", "two", "three\n"])


@st.composite
def catalogues(draw: st.DrawFn) -> Catalogue:
    """Small consistent catalogues over a fixed pool of ids, so successive draws overlap."""
    courses, chapters, tasks, examples, projects = [], [], [], [], []
    for course_id in sorted(draw(st.sets(st.sampled_from(["python", "rust"])))):
        course = CourseId(course_id)
        courses.append(
            Course(course, draw(_TEXTS), "{}", draw(_TEXTS), Wrappers(run=draw(st.none() | _TEXTS)))
        )
        for number in sorted(draw(st.sets(st.sampled_from([0, 10, 20])))):
            chapter = ChapterId(f"{course}_chapter_{number:04d}")
            chapters.append(Chapter(chapter, course, draw(_TEXTS), draw(_TEXTS)))
            for task_number in sorted(draw(st.sets(st.sampled_from([10, 20])))):
                wrappers = Wrappers(test=draw(_TEXTS), run=draw(st.none() | _TEXTS))
                tasks.append(Task(TaskId(f"{chapter}_task_{task_number:04d}"), chapter, wrappers))
            for example in sorted(draw(st.sets(st.sampled_from(["e_001", "e_002"])))):
                examples.append(Example(ExampleId(example), chapter, Wrappers(playground="x")))
        if chapters and draw(st.booleans()):
            files = draw(st.lists(st.builds(ProjectFile, _TEXTS, _TEXTS), max_size=2))
            projects.append(
                PracticeProject(
                    ProjectId(f"{course}_calculator"),
                    course,
                    draw(_TEXTS),
                    chapters[-1].id,
                    "main",
                    "",
                    draw(_TEXTS),
                    "",
                    tuple(files),
                )
            )
    return Catalogue(courses, chapters, tasks, examples, projects)


# Few examples: each one runs up to three whole imports on a real database.
@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(catalogues(), min_size=1, max_size=3))
def test_after_any_sequence_of_imports_the_live_catalogue_is_the_last_one(
    engine: Engine, sequence: list[Catalogue]
) -> None:
    # The database carries over between examples; the property holds from any starting state.
    for catalogue in sequence:
        version_before = _version(engine)

        report = import_catalogue(engine, catalogue, SOURCE)

        assert _live(engine) == catalogue
        assert report.version == version_before + (1 if report.changes_anything else 0)
        assert _counts(report, "live") == {
            kind: len(getattr(catalogue, kind)) for kind in SMALL_COUNTS
        }


# The real catalogue.


@pytest.fixture(scope="module")
def real_reading(real_catalogue_path: Path) -> FolderReading:
    reading = read_course_folder(real_catalogue_path)
    assert reading.errors == ()
    return reading


def _timed(action: Callable[[], ImportReport]) -> tuple[ImportReport, float]:
    started = time.perf_counter()
    report = action()
    return report, time.perf_counter() - started


def test_the_real_catalogue_imports_whole(engine: Engine, real_reading: FolderReading) -> None:
    report, seconds = _timed(lambda: import_catalogue(engine, real_reading, "senjun"))

    live = _counts(report, "live")
    assert (live["courses"], live["chapters"], live["tasks"], live["projects"]) == (
        5,
        155,
        537,
        10,
    )
    assert _live(engine) == real_reading.catalogue
    print(f"\nfirst import of the real catalogue on {engine.dialect.name}: {seconds:.3f} s")


def test_reimporting_the_real_catalogue_writes_nothing(
    engine: Engine, real_reading: FolderReading
) -> None:
    import_catalogue(engine, real_reading, "senjun")

    with recorded_statements(engine) as statements:
        report, seconds = _timed(lambda: import_catalogue(engine, real_reading, "senjun"))

    assert not report.changes_anything
    assert _writes(statements) == []
    print(f"\nunchanged re-import of the real catalogue on {engine.dialect.name}: {seconds:.3f} s")
