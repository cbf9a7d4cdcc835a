"""`python -m bench.store`: the store's slow paths on PostgreSQL and SQLite, as medians.

Measured, each repeated: reading the course folder; a full import into an empty migrated
database (a fresh copy per repetition); a re-import of the unchanged folder, which must write
nothing; merging two users with hundreds of task rows each (fresh users per repetition); and the
chapter list of the largest course (`get_chapters`: the store read plus the core's outline) with
10,000 users of progress in the tables. Targets are for PostgreSQL; SQLite is shown for
comparison. Run from the project root (it imports `tests.postgres_server`).
"""

from __future__ import annotations

import argparse
import contextlib
import random
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from attrs import frozen
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, func, select

from bench.bulk_load import load_rows, settle
from bench.courses import course_folder, describe_catalogue, largest_course, read_usable_folder
from bench.datasets import Dataset, learners_dataset, merge_pair
from bench.errors import BenchmarkError
from bench.fresh_databases import FreshDatabases, Kind, postgres_databases, sqlite_databases
from bench.machine import describe_machine
from bench.measure import Timings, format_seconds, timed
from bench.postgres import describe_server, postgres_server
from bench.report_run import run_report
from handyman_core.catalogue import Catalogue
from handyman_core.course_outline import course_outline
from handyman_core.ids import CourseId
from handyman_store.catalogue_import import import_catalogue
from handyman_store.catalogue_snapshot import load_catalogue
from handyman_store.course_folder import FolderReading, read_course_folder
from handyman_store.database import create_engine
from handyman_store.merge_split import PROGRESS_TABLES
from handyman_store.schema import task_progress
from handyman_store.store import Store

FULL_IMPORT_TARGET = 2.0
REIMPORT_TARGET = 0.5
MERGE_TARGET = 0.050
CHAPTER_LIST_TARGET = 0.005
WARM_UP_READS = 20
MERGE_USER_OFFSET = 1_000_000
"""Merged users get ids far above the generated learners, so they start without progress."""


@frozen
class Measurement:
    name: str
    database: str
    timings: Timings
    target: float | None = None
    detail: str = ""


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return run_report(
        "bench.store", "databases removed", lambda console: _report_all(args, console)
    )


def _report_all(args: argparse.Namespace, console: Console) -> int:
    _run(args, console)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.store", description=__doc__)
    parser.add_argument("--courses", metavar="DIR", help="course folder (default: the real one)")
    parser.add_argument(
        "--databases",
        nargs="+",
        choices=("postgresql", "sqlite"),
        default=["postgresql", "sqlite"],
    )
    parser.add_argument("--repeat", type=int, default=9, help="repetitions of the slow steps")
    parser.add_argument("--reads", type=int, default=300, help="timed chapter-list reads")
    parser.add_argument("--users", type=int, default=10_000, help="users of generated progress")
    parser.add_argument("--merge-tasks", type=int, default=500, help="task rows per merged user")
    return parser


def _run(args: argparse.Namespace, console: Console) -> None:
    if args.repeat < 1 or args.reads < 1 or args.users < 1:
        raise BenchmarkError("--repeat, --reads and --users must be at least 1")
    folder = course_folder(args.courses, console)
    reading = read_usable_folder(folder)
    catalogue = reading.catalogue
    course_id = largest_course(catalogue)
    console.rule("Handyman store benchmark")
    console.print(f"Catalogue: {folder} ({describe_catalogue(catalogue)})")
    console.print(f"Machine: {describe_machine()}")
    console.print(f"Chapter lists are read for the largest course, {course_id!r}")
    measurements = [_folder_reading(folder, args.repeat)]
    with console.status(f"generating progress for {args.users} users"):
        dataset = learners_dataset(catalogue, args.users)
    rows = dataset.rows
    console.print(
        f"Generated progress: {args.users} users, {len(dataset.learners)} (user, course) pairs, "
        f"{len(rows.tasks)} task, {len(rows.chapters)} chapter, {len(rows.courses)} course and "
        f"{len(rows.projects)} project rows"
    )
    for kind in args.databases:
        with _databases(kind) as databases:
            console.print(f"[bold]{databases.description}[/]")
            measurements += _measure_database(
                databases,
                reading=reading,
                folder=folder,
                dataset=dataset,
                args=args,
                console=console,
            )
    console.print(_report(measurements))
    console.print(
        "Targets are set for PostgreSQL; SQLite rows are judged against them for comparison. "
        "Times are wall clock around the call, in this process, on a machine shared with other "
        "work."
    )


@contextlib.contextmanager
def _databases(kind: Kind) -> Iterator[FreshDatabases]:
    if kind == "sqlite":
        with sqlite_databases() as databases:
            yield databases
        return
    with (
        postgres_server() as server_url,
        postgres_databases(server_url, describe_server(server_url)) as databases,
    ):
        yield databases


def _measure_database(
    databases: FreshDatabases,
    *,
    reading: FolderReading,
    folder: Path,
    dataset: Dataset,
    args: argparse.Namespace,
    console: Console,
) -> list[Measurement]:
    kind = databases.kind
    with console.status(f"{kind}: full imports"):
        imports = _full_imports(databases, reading, folder, args.repeat)
    with console.status(f"{kind}: re-imports"):
        reimports = _reimports(databases, reading, folder, args.repeat)
    measurements = [imports, reimports]
    with databases.fresh() as url:
        engine = create_engine(url)
        try:
            import_catalogue(engine, reading, str(folder))
            with console.status(f"{kind}: loading generated progress"):
                _, seconds = timed(lambda: load_rows(engine, dataset.rows))
                settle(engine)
            console.print(f"  {kind}: progress of {dataset.users} users loaded in {seconds:.1f} s")
            with console.status(f"{kind}: chapter-list reads"):
                measurements += _chapter_lists(engine, dataset, args.reads)
            with console.status(f"{kind}: merges"):
                measurements.append(
                    _merges(engine, reading.catalogue, kind, args.repeat, args.merge_tasks)
                )
        finally:
            engine.dispose()
    return measurements


def _folder_reading(folder: Path, repeat: int) -> Measurement:
    seconds = [timed(lambda: read_course_folder(folder))[1] for _ in range(repeat)]
    return Measurement("read course folder", "files", Timings(tuple(seconds)))


def _full_imports(
    databases: FreshDatabases, reading: FolderReading, folder: Path, repeat: int
) -> Measurement:
    seconds = []
    for _ in range(repeat):
        with databases.fresh() as url:
            engine = create_engine(url)
            try:
                report, elapsed = timed(partial(import_catalogue, engine, reading, str(folder)))
            finally:
                engine.dispose()
        if not report.changes_anything:
            raise BenchmarkError("a full import into an empty database wrote nothing")
        seconds.append(elapsed)
    tasks = report.tasks.added
    return Measurement(
        "full import (empty database)",
        databases.kind,
        Timings(tuple(seconds)),
        FULL_IMPORT_TARGET,
        f"{tasks} tasks added; new database each run",
    )


def _reimports(
    databases: FreshDatabases, reading: FolderReading, folder: Path, repeat: int
) -> Measurement:
    with databases.fresh() as url:
        engine = create_engine(url)
        try:
            first = import_catalogue(engine, reading, str(folder))
            seconds = []
            for _ in range(repeat):
                report, elapsed = timed(lambda: import_catalogue(engine, reading, str(folder)))
                if report.changes_anything or report.version != first.version:
                    raise BenchmarkError(
                        f"re-importing the unchanged folder changed the database: {report.by_kind}"
                    )
                seconds.append(elapsed)
        finally:
            engine.dispose()
    return Measurement(
        "re-import (unchanged folder)",
        databases.kind,
        Timings(tuple(seconds)),
        REIMPORT_TARGET,
        "wrote nothing (checked)",
    )


def _chapter_lists(engine: Engine, dataset: Dataset, reads: int) -> list[Measurement]:
    """get_chapters' data path for users of the largest course: typical learners, and those
    who finished it (every task row of the course: the heaviest read)."""
    store = Store(engine)
    with engine.connect() as connection:
        catalogue = load_catalogue(connection)
    course_id = largest_course(catalogue)
    in_course = [learner for learner in dataset.learners if learner.course_id == course_id]
    finished = [learner.user_id for learner in in_course if learner.finished_course]
    typical = [learner.user_id for learner in in_course if not learner.finished_course]
    if not typical:
        raise BenchmarkError(f"no generated user studies {course_id}; raise --users")
    kind = engine.dialect.name
    rows = len(catalogue.chapters_of(course_id)) + len(catalogue.projects_of(course_id))
    rng = random.Random(7)
    for user_id in rng.choices(typical, k=WARM_UP_READS):
        _chapter_list(store, catalogue, course_id, user_id, rows)
    measurements = []
    groups = [("typical learner", typical), ("learner who finished the course", finished)]
    for label, users in groups:
        if not users:
            continue
        totals, reads_only = [], []
        for user_id in rng.choices(users, k=reads):
            (read_seconds, _), total = timed(
                partial(_chapter_list, store, catalogue, course_id, user_id, rows)
            )
            totals.append(total)
            reads_only.append(read_seconds)
        detail = f"{rows} rows; {len(users)} such users"
        measurements.append(
            Measurement(
                f"chapter list, {label}",
                kind,
                Timings(tuple(totals)),
                CHAPTER_LIST_TARGET,
                detail,
            )
        )
        measurements.append(
            Measurement("  └ of which Store.course_progress", kind, Timings(tuple(reads_only)))
        )
    return measurements


def _chapter_list(
    store: Store, catalogue: Catalogue, course_id: CourseId, user_id: int, rows: int
) -> tuple[float, int]:
    """Seconds spent in the store, and the outline's length (checked against the course)."""
    progress, read_seconds = timed(
        lambda: store.course_progress(user_id, course_id, with_solutions=False)
    )
    outline = course_outline(catalogue, course_id, progress)
    if len(outline) != rows or not progress.tasks:
        raise BenchmarkError(f"chapter list of user {user_id} came back wrong")
    return read_seconds, len(outline)


def _merges(
    engine: Engine, catalogue: Catalogue, kind: str, repeat: int, tasks_each: int
) -> Measurement:
    """Fresh users each time, the first merge untimed: a serving worker's statements are
    compiled long before a merge request comes."""
    store = Store(engine)
    seconds = []
    task_rows = 0
    for repetition in range(repeat + 1):
        cur = MERGE_USER_OFFSET + 2 * repetition
        old = cur + 1
        rows = merge_pair(catalogue, cur, old, tasks_each, seed=repetition)
        load_rows(engine, rows)
        _, elapsed = timed(partial(store.merge_users, cur, old, now=datetime.now(UTC)))
        expected = len({row[1] for row in rows.tasks})
        if _row_count(engine, old) != 0 or _task_rows(engine, cur) != expected:
            raise BenchmarkError(f"merging user {old} into {cur} left the wrong rows")
        task_rows = len(rows.tasks) // 2
        if repetition:
            seconds.append(elapsed)
    return Measurement(
        "merge two users",
        kind,
        Timings(tuple(seconds)),
        MERGE_TARGET,
        f"{task_rows} task rows each; new users each run",
    )


def _row_count(engine: Engine, user_id: int) -> int:
    with engine.connect() as connection:
        return sum(
            connection.execute(
                select(func.count()).select_from(table).where(table.c.user_id == user_id)
            ).scalar_one()
            for table in PROGRESS_TABLES
        )


def _task_rows(engine: Engine, user_id: int) -> int:
    with engine.connect() as connection:
        count: int = connection.execute(
            select(func.count())
            .select_from(task_progress)
            .where(task_progress.c.user_id == user_id)
        ).scalar_one()
    return count


def _report(measurements: list[Measurement]) -> Table:
    table = Table(title="Store benchmark (wall-clock seconds per call)")
    for column in ("Measurement", "Database", "Runs", "Median", "p90", "Min", "Max", "Target"):
        if column in ("Measurement", "Database"):
            table.add_column(column, no_wrap=True)
        else:
            table.add_column(column, justify="right", no_wrap=True)
    table.add_column("Result")
    table.add_column("Notes", style="dim", overflow="fold")
    for entry in measurements:
        timings = entry.timings
        verdict = ""
        if entry.target is not None:
            verdict = "[green]PASS[/]" if timings.median < entry.target else "[red]MISS[/]"
        table.add_row(
            entry.name,
            entry.database,
            str(timings.count),
            format_seconds(timings.median),
            format_seconds(timings.p90),
            format_seconds(timings.fastest),
            format_seconds(timings.slowest),
            "" if entry.target is None else f"< {format_seconds(entry.target)}",
            verdict,
            entry.detail,
        )
    return table


if __name__ == "__main__":
    sys.exit(main())
