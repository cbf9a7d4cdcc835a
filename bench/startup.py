"""`python -m bench.startup`: how long the `handyman` command takes to start and to import.

Measured per install (this checkout, and a baseline with `--baseline REF`), the installs
alternating within each repetition so that a busy moment of the machine falls on both:

- `handyman --help`: the interpreter, the imports the command line needs, argparse;
- a full import of the course folder into an empty, migrated PostgreSQL database
  (`handyman import-courses DIR --database-url ...`; the migration itself is not timed);
- the same import again, which finds nothing to change.

Each figure is the wall time of the whole process, as an operator or a deploy script sees it,
and of an install as an operator has it: a wheel installed by pip comes with its modules
compiled, so before timing anything the report compiles each install's modules (its
site-packages, and this checkout's `src/` for the editable install) with `compileall`, and the
measured commands run without PYTHONDONTWRITEBYTECODE. Otherwise a machine that sets it (this
one does) would compile the editable install's sources on every start, tens of milliseconds
no deployed install spends.
Run from the project root.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from attrs import frozen
from rich.console import Console
from rich.table import Table
from tests.postgres_server import DatabaseFactory

from bench.courses import course_folder
from bench.errors import BenchmarkError
from bench.installs import Install, baseline_install, current_install
from bench.machine import describe_machine
from bench.measure import Timings, format_seconds
from bench.postgres import postgres_server
from bench.report_run import run_report

HELP_TARGET = 0.15
IMPORT_TARGET = 0.3
REIMPORT_TARGET = 0.2
DEFAULT_REPEAT = 7


@frozen
class StartupResult:
    install: Install
    help: Timings
    full_import: Timings
    reimport: Timings


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return run_report("bench.startup", "databases removed", lambda console: _main(args, console))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__)
    parser.add_argument("--courses", metavar="DIR", help="course folder (default: the real one)")
    parser.add_argument("--repeat", type=int, default=DEFAULT_REPEAT)
    parser.add_argument("--baseline", metavar="REF", help="also measure this git revision")
    return parser


def _main(args: argparse.Namespace, console: Console) -> int:
    folder = course_folder(args.courses, console)
    installs = [current_install()]
    if args.baseline:
        installs.insert(0, baseline_install(args.baseline, console))
    console.print(f"Machine: {describe_machine()}")
    with postgres_server() as server_url:
        factory = DatabaseFactory(server_url)
        factory.create_template(lambda _url: None)
        try:
            with console.status("timing start-up and imports"):
                results = measure_startup(installs, factory, folder, args.repeat)
        finally:
            factory.drop_template()
    console.print(startup_table(results, args.repeat))
    return 0


def measure_startup(
    installs: Sequence[Install], factory: DatabaseFactory, folder: Path, repeat: int
) -> list[StartupResult]:
    """`factory` must hand out empty databases (a template with nothing in it)."""
    for install in installs:
        compile_modules(install)
    helps: dict[str, list[float]] = {install.label: [] for install in installs}
    fulls: dict[str, list[float]] = {install.label: [] for install in installs}
    again: dict[str, list[float]] = {install.label: [] for install in installs}
    for round_number in range(repeat):
        ordered = installs if round_number % 2 == 0 else list(reversed(installs))
        for install in ordered:
            helps[install.label].append(_timed_command(install, "--help"))
        for install in ordered:
            with factory.fresh_database() as url:
                _command(install, "db", "upgrade", "--database-url", url)
                fulls[install.label].append(
                    _timed_command(install, "import-courses", str(folder), "--database-url", url)
                )
                again[install.label].append(
                    _timed_command(install, "import-courses", str(folder), "--database-url", url)
                )
    return [
        StartupResult(
            install,
            Timings(tuple(helps[install.label])),
            Timings(tuple(fulls[install.label])),
            Timings(tuple(again[install.label])),
        )
        for install in installs
    ]


def startup_table(results: Sequence[StartupResult], repeat: int) -> Table:
    table = Table(title=f"Start-up and import, wall time of the process (median of {repeat})")
    table.add_column("Command", no_wrap=True)
    table.add_column("Target", justify="right")
    for result in results:
        table.add_column(f"{result.install.label}: {result.install.revision}", justify="right")
    rows = (
        ("handyman --help", HELP_TARGET, lambda r: r.help),
        ("import-courses, empty database", IMPORT_TARGET, lambda r: r.full_import),
        ("import-courses, unchanged", REIMPORT_TARGET, lambda r: r.reimport),
    )
    for name, target, pick in rows:
        cells = []
        for result in results:
            timings: Timings = pick(result)
            mark = "[green]PASS[/]" if timings.median < target else "[red]MISS[/]"
            cells.append(
                f"{format_seconds(timings.median)} {mark} "
                f"[dim](min {format_seconds(timings.fastest)})[/]"
            )
        table.add_row(name, f"< {format_seconds(target)}", *cells)
    return table


_COMPILE_EVERY_IMPORT_PATH = """
import compileall, sys
from pathlib import Path
prefix = Path(sys.prefix).resolve()
for entry in sys.path[1:]:
    path = Path(entry).resolve()
    if path.is_dir() and (prefix in path.parents or (path / "handyman_cli").is_dir()):
        if not compileall.compile_dir(path, quiet=1, workers=1):
            sys.exit(f"compileall failed in {path}")
"""


def compile_modules(install: Install) -> None:
    """Compile every module the install can import from outside the standard library: its
    site-packages, and the source tree an editable install points at. Up-to-date bytecode is
    left alone, so only the first run of a checkout takes long."""
    python = install.handyman.with_name("python")
    completed = subprocess.run(
        [str(python), "-c", _COMPILE_EVERY_IMPORT_PATH],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    if completed.returncode != 0:
        raise BenchmarkError(
            f"{install.label}: compiling its modules failed:\n{completed.stderr[-1500:]}"
        )


def _environment() -> dict[str, str]:
    """The caller's environment without HANDYMAN_* settings and without
    PYTHONDONTWRITEBYTECODE (see the module's docstring)."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("HANDYMAN_") and key != "PYTHONDONTWRITEBYTECODE"
    }


def _timed_command(install: Install, *arguments: str) -> float:
    started = time.perf_counter()
    _command(install, *arguments)
    return time.perf_counter() - started


def _command(install: Install, *arguments: str) -> None:
    completed = subprocess.run(
        [str(install.handyman), *arguments],
        capture_output=True,
        text=True,
        env=_environment(),
        stdin=subprocess.DEVNULL,
        check=False,
    )
    if completed.returncode != 0:
        raise BenchmarkError(
            f"{install.label}: handyman {' '.join(arguments)} exited with "
            f"{completed.returncode}:\n{completed.stdout[-1500:]}{completed.stderr[-1500:]}"
        )


if __name__ == "__main__":
    sys.exit(main())
