"""`handyman check-courses DIR` and `handyman import-courses DIR [--dry-run]`.

`import-courses` reads the folder once (`course_folder_snapshot`) and first asks the database
whether it already holds that folder (`catalogue_recognition`): an unchanged folder is answered
from one statement, without parsing a file. Otherwise it parses the snapshot and imports it on
the same connection. It talks to the driver alone (`driver_connection`) for every URL
`database_location` reads, which is every usual one, and loads SQLAlchemy only to upgrade a
schema that is behind (alembic) or for a URL only SQLAlchemy reads: importing it would take
longer than the whole import. For the same reason the parsing and the import itself
(`course_folder`, `catalogue_import`, and with them the catalogue model) are imported by the
functions that need them: an unchanged folder needs neither.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from handyman_cli.database_choice import resolve_database_url, resolve_driver_location
from handyman_store.catalogue_recognition import recognised_import
from handyman_store.catalogue_report import ImportProgress, ImportReport, ProgressCallback
from handyman_store.course_folder_snapshot import FolderSnapshot, snapshot_folder
from handyman_store.database_location import DriverLocation
from handyman_store.driver_connection import DriverConnection, connect
from handyman_store.schema_version import at_head, driver_revision

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from handyman_store.course_folder import FolderReading

console = Console()
errors_console = Console(stderr=True)


def read_folder_or_report(directory: Path) -> FolderReading | None:
    """The folder's reading. When the folder is invalid its findings are printed here, since no
    import will follow; a usable folder's warnings are listed by the summary that counts them."""
    if not directory.is_dir():
        errors_console.print(f"[red]handyman: {directory} is not a directory[/red]")
        return None
    return _reading_or_report(snapshot_folder(directory))


def _reading_or_report(snapshot: FolderSnapshot) -> FolderReading:
    from handyman_store.course_folder import read_snapshot  # noqa: PLC0415

    reading = read_snapshot(snapshot)
    if reading.errors:
        print_warnings(reading.warnings)
        for error in reading.errors:
            errors_console.print(f"[red]error:[/red] {error}", highlight=False, soft_wrap=True)
    return reading


def print_warnings(warnings: Sequence[str]) -> None:
    if not warnings:
        return
    # No highlighting of these plain sentences: compiling rich's highlighter patterns costs
    # more than an unchanged import's query.
    errors_console.print(
        f"{len(warnings)} warning{'' if len(warnings) == 1 else 's'}:", highlight=False
    )
    for warning in warnings:
        errors_console.print(
            f"[yellow]warning:[/yellow] {warning}", highlight=False, soft_wrap=True
        )


def check_courses(args: argparse.Namespace) -> int:
    reading = read_folder_or_report(Path(args.directory))
    if reading is None:
        return 1
    if not reading.errors:
        print_warnings(reading.warnings)
    catalogue = reading.catalogue
    table = Table(title=f"Course folder {args.directory}")
    for column in ("courses", "chapters", "tasks", "examples", "projects", "warnings", "errors"):
        table.add_column(column, justify="right")
    table.add_row(
        *(
            str(n)
            for n in (
                len(catalogue.courses),
                len(catalogue.chapters),
                len(catalogue.tasks),
                len(catalogue.examples),
                len(catalogue.projects),
                len(reading.warnings),
                len(reading.errors),
            )
        )
    )
    console.print(table)
    return 1 if reading.errors else 0


def print_import_report(report: ImportReport) -> None:
    verb = "would change" if report.dry_run else "changed"
    table = Table(title=f"Import of {report.source}" + (" (dry run)" if report.dry_run else ""))
    for column in ("", "added", "changed", "revived", "retired", "unchanged", "live"):
        table.add_column(column, justify="right")
    for kind, counts in report.by_kind.items():
        table.add_row(
            kind,
            *(
                str(n)
                for n in (
                    counts.added,
                    counts.changed,
                    counts.revived,
                    counts.retired,
                    counts.unchanged,
                    counts.live,
                )
            ),
        )
    console.print(table)
    if report.changes_anything:
        console.print(
            f"The import {verb} the catalogue; version {report.version}.", highlight=False
        )
    else:
        console.print(
            f"No change: the catalogue is already up to date (version {report.version}).",
            highlight=False,
        )
    print_warnings(report.warnings)


def import_courses(args: argparse.Namespace) -> int:
    directory = Path(args.directory).resolve()
    if not directory.is_dir():
        errors_console.print(f"[red]handyman: {directory} is not a directory[/red]")
        return _invalid()
    snapshot = snapshot_folder(directory)
    location = resolve_driver_location(args.database_url)
    if location is None:
        return _import_through_sqlalchemy(args, snapshot, str(directory))
    connection = connect(location, existing_only=True)
    try:
        report = (
            None
            if connection is None
            else recognised_import(
                connection.driver, snapshot.digest, str(directory), dry_run=args.dry_run
            )
        )
        if report is None:
            reading = _reading_or_report(snapshot)
            if reading.errors:
                return _invalid()
            connection = connection or _create(location)
            report = _import_in_full(connection, reading, str(directory), args)
    finally:
        if connection is not None:
            connection.close()
    print_import_report(report)
    return 0


def _import_in_full(
    connection: DriverConnection, reading: FolderReading, source: str, args: argparse.Namespace
) -> ImportReport:
    """The folder compared item by item with the database and written, on the connection."""
    from handyman_store.catalogue_import import import_on_driver  # noqa: PLC0415

    _upgrade_if_behind(connection, args.database_url)
    return _with_progress_bar(
        lambda progress: import_on_driver(
            connection, reading, source, dry_run=args.dry_run, progress=progress
        )
    )


def run_import(
    engine: Engine, reading: FolderReading, source: str, *, dry_run: bool = False
) -> ImportReport:
    """With a rich progress bar on a terminal, silently otherwise."""
    from handyman_store.catalogue_import import import_catalogue  # noqa: PLC0415

    return _with_progress_bar(
        lambda progress: import_catalogue(
            engine, reading, source, dry_run=dry_run, progress=progress
        )
    )


def _invalid() -> int:
    errors_console.print("[red]handyman: the folder is invalid; nothing was written[/red]")
    return 1


def _create(location: DriverLocation) -> DriverConnection:
    """A connection that creates a SQLite file (and its folder) if there is none yet."""
    if location.sqlite_path is not None:
        Path(location.sqlite_path).parent.mkdir(parents=True, exist_ok=True)
    created = connect(location)
    assert created is not None
    return created


def _upgrade_if_behind(connection: DriverConnection, database_url: str | None) -> None:
    """As `schema_version.upgrade_if_behind`, asking the driver; alembic (and with it
    SQLAlchemy) is loaded only when there is something to upgrade."""
    if at_head(driver_revision(connection.driver)):
        return
    from handyman_store.database import create_engine  # noqa: PLC0415
    from handyman_store.migrate import upgrade  # noqa: PLC0415

    engine = create_engine(resolve_database_url(database_url, announce=False))
    try:
        upgrade(engine)
    finally:
        engine.dispose()


def _import_through_sqlalchemy(
    args: argparse.Namespace, snapshot: FolderSnapshot, source: str
) -> int:
    """For a URL only SQLAlchemy reads (several hosts, options it turns into lists, ...)."""
    from handyman_store.database import create_engine  # noqa: PLC0415
    from handyman_store.schema_version import upgrade_if_behind  # noqa: PLC0415

    reading = _reading_or_report(snapshot)
    if reading.errors:
        return _invalid()
    engine = create_engine(resolve_database_url(args.database_url))
    try:
        upgrade_if_behind(engine)
        report = run_import(engine, reading, source, dry_run=args.dry_run)
    finally:
        engine.dispose()
    print_import_report(report)
    return 0


def _with_progress_bar(
    run: Callable[[ProgressCallback | None], ImportReport],
) -> ImportReport:
    if not sys.stderr.isatty():
        return run(None)
    from rich.progress import BarColumn, Progress, TextColumn  # noqa: PLC0415

    with Progress(
        TextColumn("{task.description}"), BarColumn(), console=errors_console, transient=True
    ) as bar:
        task = bar.add_task("importing", total=None)

        def advance(step: ImportProgress) -> None:
            bar.update(
                task, description=step.description, completed=step.completed, total=step.total
            )

        return run(advance)
