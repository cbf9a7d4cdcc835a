"""`python -m bench.http`: the whole stack under load, endpoint by endpoint.

`handyman serve` (gunicorn, a stub remote runner) on a private PostgreSQL holding the real
catalogue and 10,000 users of generated progress; wrk on 127.0.0.1 sends each endpoint the
requests the site would send for those users, at 2 and at 32 connections. Reported per
endpoint: the server's CPU time per request (every gunicorn process, user + system), the
database's, the statements per request (pg_stat_statements), req/s with p50/p99 at each
concurrency, and the ratio to /health (the stack's ceiling) measured in the same run; then the
workers' memory after start and at the end, and the command's start-up and import times.

With `--baseline REF` the same run also measures another revision (installed into a venv of its
own): both servers run side by side, each on its own copy of the same data (built by its own
migrations and import, then the same rows), and the two are measured alternately, endpoint by
endpoint, so "before" and "after" come from one run on one machine. Run from the project root.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

import requests
from attrs import frozen
from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import make_url
from tests.postgres_server import DatabaseFactory

from bench.bulk_load import load_rows, settle
from bench.courses import course_folder, describe_catalogue, read_usable_folder
from bench.datasets import Dataset, learners_dataset
from bench.endpoint_requests import ENDPOINTS, Endpoint
from bench.errors import BenchmarkError
from bench.handyman_server import RunningServer, ServerOptions, handyman_server
from bench.installs import Install, baseline_install, current_install
from bench.machine import describe_machine
from bench.measure import format_seconds
from bench.postgres import describe_server, postgres_server
from bench.processes import children_of, tree_cpu_seconds
from bench.profiles import ProfileSummary, recording, summarise
from bench.report_run import run_report
from bench.runner_stub import stub_runner
from bench.startup import measure_startup, startup_table
from bench.statement_counts import StatementCounter, postmaster_pid, statement_counter
from bench.wrk import Request, WrkResult, run_wrk, write_script, wrk_path
from handyman_store.database import DatabaseUrl, create_engine

DEFAULT_DURATION_S = 15.0
QUICK_DURATION_S = 3.0
WARM_UP_S = 1.0
PREFLIGHT_REQUESTS = 12
CONCURRENCY = (2, 32)
CPU_TARGET_MS = {
    "get_task": 0.5,
    "get_courses": 0.5,
    "courses_stats": 0.5,
    "get_progress": 0.5,
    "get_chapter": 0.5,
    "get_chapters": 0.5,
    "save_task": 0.7,
    "update_chapter_progress": 0.7,
    "run_task": 1.5,
}
"""Issue 12's targets: server CPU per request, milliseconds."""
GO_REQUESTS_PER_SECOND_C32 = {
    "get_task": 823,
    "get_courses": 338,
    "courses_stats": 481,
    "save_task": 442,
    "run_task": 240,
    "update_chapter_progress": 316,
    "get_progress": 382,
    "get_chapters": 261,
    "get_chapter": 199,
}
"""The original Go service at 32 connections on this machine (issue 12), for reference only:
absolute figures move with the machine's load; the ratio to /health is the steadier one."""


@frozen
class Load:
    """One wrk run with what the server and the database spent on it."""

    concurrency: int
    wrk: WrkResult
    server_cpu_s: float
    database_cpu_s: float | None
    statements: Counter[str]


@frozen
class EndpointResult:
    install: Install
    endpoint: Endpoint
    loads: tuple[Load, ...]

    @property
    def requests(self) -> int:
        return sum(load.wrk.requests for load in self.loads)

    @property
    def errors(self) -> int:
        return sum(load.wrk.errors_4xx_5xx for load in self.loads)

    def per_request_ms(self, seconds: float) -> float:
        return 1000 * seconds / max(1, self.requests)

    @property
    def server_cpu_ms(self) -> float:
        return self.per_request_ms(sum(load.server_cpu_s for load in self.loads))

    @property
    def database_cpu_ms(self) -> float | None:
        spent = [load.database_cpu_s for load in self.loads]
        if any(seconds is None for seconds in spent):
            return None
        return self.per_request_ms(sum(seconds or 0.0 for seconds in spent))

    @property
    def statements(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for load in self.loads:
            total.update(load.statements)
        return total

    @property
    def statements_per_request(self) -> float:
        return sum(self.statements.values()) / max(1, self.requests)

    def at(self, concurrency: int) -> WrkResult | None:
        return next((load.wrk for load in self.loads if load.concurrency == concurrency), None)


@frozen
class Memory:
    install: Install
    workers_at_start: tuple[int, ...]
    """RSS of each worker in bytes, after start-up and before any load."""
    workers_at_end: tuple[int, ...]
    requests: int
    """Requests the server answered between the two readings."""


@frozen
class Side:
    """One install under test: its server, its database and what it answered so far."""

    install: Install
    server: RunningServer
    database: str
    work: Path


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return run_report(
        "bench.http",
        "servers and database stopped",
        lambda console: _report_all(args, console),
        log_width=200,
    )


def _report_all(args: argparse.Namespace, console: Console) -> int:
    results = _run(args, console)
    failed = sorted(
        {f"{entry.endpoint.name} ({entry.install.label})" for entry in results if entry.errors}
    )
    if failed:
        console.print(f"[bold red]Error answers from {', '.join(failed)}: the run is invalid.[/]")
        return 1
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.http", description=__doc__)
    parser.add_argument("--courses", metavar="DIR", help="course folder (default: the real one)")
    parser.add_argument(
        "--duration", type=float, help=f"seconds per load (default {DEFAULT_DURATION_S:g})"
    )
    parser.add_argument(
        "--quick", action="store_true", help=f"{QUICK_DURATION_S:g} s per load, to try it out"
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        nargs="+",
        default=list(CONCURRENCY),
        metavar="N",
        help="wrk connections, one load each (default: 2 32)",
    )
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--worker-threads", type=int, default=4, help="threads per worker")
    parser.add_argument("--users", type=int, default=10_000, help="users of generated progress")
    parser.add_argument(
        "--endpoints",
        nargs="+",
        choices=[endpoint.name for endpoint in ENDPOINTS],
        default=[endpoint.name for endpoint in ENDPOINTS],
    )
    parser.add_argument(
        "--baseline",
        metavar="REF",
        help="also measure this git revision (e.g. main), alternating with this checkout",
    )
    parser.add_argument(
        "--statements",
        action="store_true",
        help="list each endpoint's statements per request (pg_stat_statements)",
    )
    parser.add_argument(
        "--profile",
        metavar="DIR",
        help="after each endpoint, profile the workers with py-spy during one more load at the "
        "highest concurrency; collapsed stacks and summaries go to DIR",
    )
    parser.add_argument(
        "--startup-repeat",
        type=int,
        default=7,
        help="repetitions of the start-up and import timings (0: skip them)",
    )
    return parser


def _admitting_every_run(args: argparse.Namespace) -> dict[str, str]:
    """A worker admits its threads less those kept for reads (2 of 4) and refuses further runs
    with 503 at once (`handyman_cli.run_admission`); 32 connections sending run_task to 2
    workers would then measure refusals. Sized as a deployment expecting that many runs at once
    would be, every connection's run is admitted, so run_task's own cost is what is measured."""
    per_worker = -(-max(args.concurrency) // args.workers)
    return {"HANDYMAN_RUNS_PER_WORKER": str(per_worker)}


def _run(args: argparse.Namespace, console: Console) -> list[EndpointResult]:
    wrk_path()
    duration = args.duration or (QUICK_DURATION_S if args.quick else DEFAULT_DURATION_S)
    folder = course_folder(args.courses, console)
    reading = read_usable_folder(folder)
    dataset = learners_dataset(reading.catalogue, args.users)
    endpoints = [endpoint for endpoint in ENDPOINTS if endpoint.name in args.endpoints]
    installs = [current_install()]
    if args.baseline:
        installs.insert(0, baseline_install(args.baseline, console))
    profile_dir = Path(args.profile).resolve() if args.profile else None
    with (
        tempfile.TemporaryDirectory(prefix="handyman-bench-http-") as work,
        postgres_server() as server_url,
        statement_counter(server_url) as counter,
        _empty_databases(server_url) as factory,
        stub_runner() as runner_url,
        contextlib.ExitStack() as running,
    ):
        console.rule("Handyman HTTP benchmark")
        console.print(f"Catalogue: {folder} ({describe_catalogue(reading.catalogue)})")
        console.print(f"Database: {describe_server(server_url)}")
        database_pid = postmaster_pid(server_url)
        sides = []
        for install in installs:
            with console.status(f"{install.label}: database, {args.users} users, server"):
                sides.append(
                    _start_side(
                        install,
                        factory=factory,
                        folder=folder,
                        dataset=dataset,
                        runner_url=runner_url,
                        work=Path(work),
                        args=args,
                        running=running,
                    )
                )
        console.print(
            f"Progress: {args.users} users, {len(dataset.rows.tasks)} task rows in each "
            "side's database"
        )
        _print_setup(console, args, sides, duration, runner_url)
        at_start = {side.install.label: _worker_rss(side.server) for side in sides}
        answered = dict.fromkeys(at_start, 0)
        results: list[EndpointResult] = []
        profiles: dict[tuple[str, str], ProfileSummary] = {}
        for number, endpoint in enumerate(endpoints):
            requests_to_send = endpoint.requests(dataset)
            ordered = sides if number % 2 == 0 else list(reversed(sides))
            loads: dict[str, list[Load]] = {side.install.label: [] for side in sides}
            for side in ordered:
                _preflight(endpoint, requests_to_send, side.server)
            for concurrency in args.concurrency:
                for side in ordered:
                    with console.status(
                        f"{endpoint.name}, {side.install.label}: {duration:g} s of wrk "
                        f"at {concurrency} connections"
                    ):
                        load, warm_up = _measure(
                            endpoint,
                            requests_to_send,
                            side,
                            _Conditions(counter, database_pid, duration, concurrency, args),
                        )
                    loads[side.install.label].append(load)
                    answered[side.install.label] += load.wrk.requests + warm_up
            for side in sides:
                results.append(
                    EndpointResult(side.install, endpoint, tuple(loads[side.install.label]))
                )
            if profile_dir is not None:
                for side in ordered:
                    with console.status(f"{endpoint.name}, {side.install.label}: py-spy"):
                        profiles[side.install.label, endpoint.name] = _profile(
                            endpoint,
                            requests_to_send,
                            side,
                            duration=duration,
                            args=args,
                            directory=profile_dir,
                        )
        memory = [
            Memory(
                side.install,
                at_start[side.install.label],
                _worker_rss(side.server),
                answered[side.install.label],
            )
            for side in sides
        ]
        console.print(_report(results, duration, args.concurrency))
        console.print(_memory_report(memory))
        if args.statements:
            _print_statements(console, results)
        if profiles:
            _print_profiles(console, profiles, profile_dir)
        if args.startup_repeat > 0:
            with console.status("start-up and import timings"):
                timings = measure_startup(installs, factory, folder, args.startup_repeat)
            console.print(startup_table(timings, args.startup_repeat))
    return results


@contextlib.contextmanager
def _empty_databases(server_url: str) -> Iterator[DatabaseFactory]:
    """Fresh databases with nothing in them: each side migrates its own with its own code."""
    factory = DatabaseFactory(server_url)
    factory.create_template(lambda _url: None)
    try:
        yield factory
    finally:
        factory.drop_template()


def _start_side(
    install: Install,
    *,
    factory: DatabaseFactory,
    folder: Path,
    dataset: Dataset,
    runner_url: str,
    work: Path,
    args: argparse.Namespace,
    running: contextlib.ExitStack,
) -> Side:
    url = running.enter_context(factory.fresh_database())
    _handyman(install, "db", "upgrade", "--database-url", url)
    _handyman(install, "import-courses", str(folder), "--database-url", url)
    engine = create_engine(DatabaseUrl.parse(url))
    try:
        load_rows(engine, dataset.rows)
        settle(engine)
    finally:
        engine.dispose()
    side_work = work / install.label
    side_work.mkdir()
    server = running.enter_context(
        handyman_server(
            ServerOptions(
                database_url=url,
                courses=folder,
                workers=args.workers,
                threads=args.worker_threads,
                work_directory=side_work,
                runner="remote",
                watchman_url=runner_url,
                handyman=install.handyman,
                environment=_admitting_every_run(args),
            )
        )
    )
    database = make_url(url).database
    assert database is not None
    return Side(install, server, database, side_work)


def _handyman(install: Install, *arguments: str) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("HANDYMAN_")}
    completed = subprocess.run(
        [str(install.handyman), *arguments],
        capture_output=True,
        text=True,
        env=environment,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    if completed.returncode != 0:
        raise BenchmarkError(
            f"{install.label}: handyman {' '.join(arguments)} failed:\n"
            f"{completed.stdout[-1500:]}{completed.stderr[-1500:]}"
        )


def _print_setup(
    console: Console,
    args: argparse.Namespace,
    sides: Sequence[Side],
    duration: float,
    runner_url: str,
) -> None:
    console.print(f"Machine: {describe_machine()}")
    for side in sides:
        console.print(f"Server {side.install.label} ({side.install.revision}):")
        console.print(f"  {' '.join(side.server.command)}", highlight=False)
    console.print(f"Runner: stub remote runner at {runner_url} (answers every run at once)")
    console.print(
        f"Load: wrk --threads {args.threads} --connections "
        f"{' and '.join(map(str, args.concurrency))}, {duration:g} s per load after a "
        f"{WARM_UP_S:g} s warm-up, on 127.0.0.1; installs alternate within each endpoint"
    )
    console.print(
        f"[yellow]This machine has {os.cpu_count()} cores, shared by wrk, gunicorn "
        f"({args.workers} workers x {args.worker_threads} threads), the stub runner and "
        "PostgreSQL: req/s are a lower bound for a server with the cores to itself; CPU per "
        "request is the steadier figure.[/]"
    )


@frozen
class _Conditions:
    counter: StatementCounter
    database_pid: int | None
    duration_s: float
    concurrency: int
    args: argparse.Namespace


def _measure(
    endpoint: Endpoint, requests_to_send: list[Request], side: Side, conditions: _Conditions
) -> tuple[Load, int]:
    """The load and how many warm-up requests came before it."""
    script = _script(endpoint, requests_to_send, side)
    warm_up = _wrk(
        endpoint,
        script,
        side,
        duration_s=WARM_UP_S,
        concurrency=conditions.concurrency,
        args=conditions.args,
    )
    statements_before = conditions.counter.snapshot(side.database)
    server_before = tree_cpu_seconds(side.server.pid)
    database_before = _database_cpu(conditions.database_pid)
    result = _wrk(
        endpoint,
        script,
        side,
        duration_s=conditions.duration_s,
        concurrency=conditions.concurrency,
        args=conditions.args,
    )
    server_after = tree_cpu_seconds(side.server.pid)
    database_after = _database_cpu(conditions.database_pid)
    statements = conditions.counter.snapshot(side.database).since(statements_before)
    database_cpu = (
        None
        if database_before is None or database_after is None
        else database_after - database_before
    )
    load = Load(
        conditions.concurrency, result, server_after - server_before, database_cpu, statements
    )
    return load, warm_up.requests


def _profile(
    endpoint: Endpoint,
    requests_to_send: list[Request],
    side: Side,
    *,
    duration: float,
    args: argparse.Namespace,
    directory: Path,
) -> ProfileSummary:
    script = _script(endpoint, requests_to_send, side)
    workers = [worker.pid for worker in children_of(side.server.pid)]
    output = directory / f"{side.install.label}-{endpoint.name}.collapsed.txt"
    with recording(workers, duration, output):
        _wrk(
            endpoint,
            script,
            side,
            duration_s=duration,
            concurrency=max(args.concurrency),
            args=args,
        )
    return summarise(output)


def _database_cpu(postmaster: int | None) -> float | None:
    return None if postmaster is None else tree_cpu_seconds(postmaster)


def _script(endpoint: Endpoint, requests_to_send: list[Request], side: Side) -> Path | None:
    if endpoint.body is None:
        return None
    path = side.work / f"{endpoint.name}.lua"
    if path.exists():
        return path
    return write_script(side.work, endpoint.name, endpoint.method, requests_to_send)


def _wrk(
    endpoint: Endpoint,
    script: Path | None,
    side: Side,
    *,
    duration_s: float,
    concurrency: int,
    args: argparse.Namespace,
) -> WrkResult:
    return run_wrk(
        f"{side.server.base_url}{endpoint.path}",
        script=script,
        duration_s=duration_s,
        connections=concurrency,
        threads=min(args.threads, concurrency),
    )


def _worker_rss(server: RunningServer) -> tuple[int, ...]:
    return tuple(worker.rss_bytes for worker in children_of(server.pid))


def _preflight(endpoint: Endpoint, requests_to_send: list[Request], server: RunningServer) -> None:
    """Send a spread of the generated requests once and insist on 2xx JSON answers, so a wrong
    request shows up as a message here instead of as a fast stream of 4xx in the numbers."""
    step = max(1, len(requests_to_send) // PREFLIGHT_REQUESTS)
    with requests.Session() as session:
        for request in requests_to_send[::step][:PREFLIGHT_REQUESTS]:
            answer = session.request(
                endpoint.method,
                f"{server.base_url}{request.path}",
                data=request.body.encode() if request.body else None,
                headers={"Content-Type": "application/json"},
                timeout=10,
            )
            if not 200 <= answer.status_code < 300 or "error" in _json_keys(answer):
                raise BenchmarkError(
                    f"{endpoint.name} answered {answer.status_code} to {request.path} "
                    f"{request.body}: {answer.text[:500]}\n{server.log_tail()}"
                )


def _json_keys(answer: requests.Response) -> set[str]:
    try:
        document = answer.json()
    except requests.JSONDecodeError as error:
        raise BenchmarkError(f"{answer.url} answered something that is not JSON") from error
    return set(document) if isinstance(document, dict) else set()


def _report(results: list[EndpointResult], duration: float, concurrency: Sequence[int]) -> Table:
    table = Table(
        title=f"HTTP benchmark ({duration:g} s per load; CPU and statements over all loads)",
        caption="CPU ms: user + system time of every gunicorn process per request answered; "
        "DB ms: the same for every PostgreSQL process; stmts: statements per request "
        "(pg_stat_statements, BEGIN and COMMIT included); ÷ceil: req/s over /health's at the "
        "same concurrency in the same run; Go c32: the original at 32 connections (issue 12), "
        "for reference.",
    )
    table.add_column("Endpoint", no_wrap=True)
    table.add_column("", no_wrap=True)
    for column in ("CPU ms", "target", "DB ms", "stmts"):
        table.add_column(column, justify="right", no_wrap=True)
    for connections in concurrency:
        table.add_column(f"c{connections} req/s", justify="right", no_wrap=True)
        for column in ("p50", "p99", "÷ceil"):
            table.add_column(column, justify="right", no_wrap=True)
    table.add_column("Go c32", justify="right", no_wrap=True)
    table.add_column("non-2xx", justify="right", no_wrap=True)
    ceilings = {
        (entry.install.label, connections): entry.at(connections)
        for entry in results
        if entry.endpoint.name == "health"
        for connections in concurrency
    }
    previous = ""
    for entry in results:
        name = entry.endpoint.name
        target = CPU_TARGET_MS.get(name)
        cpu = entry.server_cpu_ms
        cpu_text = f"{cpu:.2f}"
        if target is not None and entry.install.label == "after":
            cpu_text = f"[green]{cpu_text}[/]" if cpu <= target else f"[red]{cpu_text}[/]"
        database = entry.database_cpu_ms
        cells = [
            name if name != previous else "",
            entry.install.label,
            cpu_text,
            "" if target is None else f"≤ {target:g}",
            "–" if database is None else f"{database:.2f}",
            f"{entry.statements_per_request:.2f}",
        ]
        previous = name
        for connections in concurrency:
            result = entry.at(connections)
            ceiling = ceilings.get((entry.install.label, connections))
            if result is None:
                cells += ["", "", "", ""]
                continue
            ratio = (
                f"{result.requests_per_second / ceiling.requests_per_second:.2f}"
                if ceiling and ceiling.requests_per_second
                else ""
            )
            cells += [
                f"{result.requests_per_second:,.0f}",
                format_seconds(result.p50),
                format_seconds(result.p99),
                ratio,
            ]
        go = GO_REQUESTS_PER_SECOND_C32.get(name)
        cells.append("" if go is None else str(go))
        cells.append(f"[red]{entry.errors}[/]" if entry.errors else "0")
        table.add_row(*cells)
    return table


def _memory_report(memory: Sequence[Memory]) -> Table:
    table = Table(title="Worker memory (RSS of each gunicorn worker)")
    for column in ("", "after start", "at the end", "requests answered in between"):
        table.add_column(column, justify="right")
    for entry in memory:
        table.add_row(
            f"{entry.install.label}: {entry.install.revision}",
            _megabytes(entry.workers_at_start),
            _megabytes(entry.workers_at_end),
            f"{entry.requests:,}",
        )
    return table


def _megabytes(sizes: Sequence[int]) -> str:
    return ", ".join(f"{size / 2**20:.0f} MB" for size in sizes) or "–"


def _print_statements(console: Console, results: Sequence[EndpointResult]) -> None:
    table = Table(title="Statements per request (pg_stat_statements, normalised text)")
    table.add_column("Endpoint", no_wrap=True)
    table.add_column("", no_wrap=True)
    table.add_column("per request", justify="right")
    table.add_column("statement", overflow="fold")
    for entry in results:
        first = True
        for query, calls in entry.statements.most_common(12):
            per_request = calls / max(1, entry.requests)
            if per_request < 0.005:
                continue
            table.add_row(
                entry.endpoint.name if first else "",
                entry.install.label if first else "",
                f"{per_request:.2f}",
                " ".join(query.split())[:300],
            )
            first = False
    console.print(table)


def _print_profiles(
    console: Console, profiles: dict[tuple[str, str], ProfileSummary], directory: Path | None
) -> None:
    packages = sorted(
        {name for summary in profiles.values() for name in summary.by_package},
        key=lambda name: -sum(summary.by_package[name] for summary in profiles.values()),
    )
    table = Table(
        title="Worker CPU by package (py-spy; self time, the standard library charged to its "
        "caller; % of samples)",
        caption=f"Collapsed stacks in {directory}",
    )
    table.add_column("Endpoint", no_wrap=True)
    table.add_column("", no_wrap=True)
    table.add_column("samples", justify="right")
    for name in packages:
        table.add_column(name, justify="right")
    for (label, endpoint), summary in profiles.items():
        total = max(1, summary.samples)
        table.add_row(
            endpoint,
            label,
            str(summary.samples),
            *(f"{100 * summary.by_package[name] / total:.0f}" for name in packages),
        )
    console.print(table)
    if directory is not None:
        for (label, endpoint), summary in profiles.items():
            lines = [f"{label} {endpoint}: {summary.samples} samples", "", "inclusive:"]
            total = max(1, summary.samples)
            lines += [
                f"  {100 * count / total:5.1f} %  {name}"
                for name, count in summary.inclusive.most_common()
            ]
            lines += ["", "hottest frames (self):"]
            lines += [
                f"  {100 * count / total:5.1f} %  {frame}"
                for frame, count in summary.hottest.most_common(40)
            ]
            (directory / f"{label}-{endpoint}.summary.txt").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
