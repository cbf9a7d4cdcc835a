"""`handyman check-courses DIR` and `handyman import-courses DIR [--dry-run]`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table
from sqlalchemy import Engine

from handyman_cli.database_choice import resolve_database_url
from handyman_store.catalogue_import import ImportProgress, ImportReport, import_catalogue
from handyman_store.course_folder import FolderReading, read_course_folder
from handyman_store.database import create_engine
from handyman_store.schema_version import upgrade_if_behind

console = Console()
errors_console = Console(stderr=True)


def read_folder_or_report(directory: Path) -> FolderReading | None:
    """The folder's reading. When the folder is invalid its findings are printed here, since no
    import will follow; a usable folder's warnings are listed by the summary that counts them."""
    if not directory.is_dir():
        errors_console.print(f"[red]handyman: {directory} is not a directory[/red]")
        return None
    reading = read_course_folder(directory)
    if reading.errors:
        print_warnings(reading.warnings)
        for error in reading.errors:
            errors_console.print(f"[red]error:[/red] {error}", highlight=False, soft_wrap=True)
    return reading


def print_warnings(warnings: Sequence[str]) -> None:
    if not warnings:
        return
    errors_console.print(f"{len(warnings)} warning{'' if len(warnings) == 1 else 's'}:")
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
        console.print(f"The import {verb} the catalogue; version {report.version}.")
    else:
        console.print(f"No change: the catalogue is already up to date (version {report.version}).")
    print_warnings(report.warnings)


def import_courses(args: argparse.Namespace) -> int:
    directory = Path(args.directory).resolve()
    reading = read_folder_or_report(directory)
    if reading is None or reading.errors:
        errors_console.print("[red]handyman: the folder is invalid; nothing was written[/red]")
        return 1
    engine = create_engine(resolve_database_url(args.database_url))
    try:
        upgrade_if_behind(engine)
        report = run_import(engine, reading, str(directory), dry_run=args.dry_run)
    finally:
        engine.dispose()
    print_import_report(report)
    return 0


def run_import(
    engine: Engine, reading: FolderReading, source: str, *, dry_run: bool = False
) -> ImportReport:
    """With a rich progress bar on a terminal, silently otherwise."""
    if not sys.stderr.isatty():
        return import_catalogue(engine, reading, source, dry_run=dry_run)
    with Progress(
        TextColumn("{task.description}"), BarColumn(), console=errors_console, transient=True
    ) as bar:
        task = bar.add_task("importing", total=None)

        def advance(step: ImportProgress) -> None:
            bar.update(
                task, description=step.description, completed=step.completed, total=step.total
            )

        return import_catalogue(engine, reading, source, dry_run=dry_run, progress=advance)
