"""`python -m bench.http`: the whole stack under load, endpoint by endpoint.

`handyman serve` (gunicorn, no runner) on a private PostgreSQL holding the real catalogue and
10,000 users of generated progress; wrk on 127.0.0.1 sends each endpoint the requests the site
would send for those users. Reported per endpoint: requests per second, p50/p90/p99 latency and
the count of error answers, which must be 0. Run from the project root.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import requests
from attrs import frozen
from rich.console import Console
from rich.table import Table

from bench.bulk_load import load_rows, settle
from bench.courses import course_folder, describe_catalogue, read_usable_folder
from bench.datasets import learners_dataset
from bench.endpoint_requests import ENDPOINTS, Endpoint
from bench.errors import BenchmarkError
from bench.fresh_databases import postgres_databases
from bench.handyman_server import RunningServer, ServerOptions, handyman_server
from bench.machine import describe_machine
from bench.measure import format_seconds, timed
from bench.postgres import describe_server, postgres_server
from bench.report_run import run_report
from bench.wrk import Request, WrkResult, run_wrk, write_script, wrk_path
from handyman_store.catalogue_import import import_catalogue
from handyman_store.database import create_engine

DEFAULT_DURATION_S = 15.0
QUICK_DURATION_S = 3.0
WARM_UP_S = 1.0
PREFLIGHT_REQUESTS = 12


@frozen
class EndpointResult:
    endpoint: Endpoint
    result: WrkResult


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return run_report(
        "bench.http", "server and database stopped", lambda console: _report_all(args, console)
    )


def _report_all(args: argparse.Namespace, console: Console) -> int:
    results = _run(args, console)
    failed = [entry.endpoint.name for entry in results if entry.result.errors_4xx_5xx]
    if failed:
        console.print(f"[bold red]Error answers from {', '.join(failed)}: the run is invalid.[/]")
        return 1
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.http", description=__doc__)
    parser.add_argument("--courses", metavar="DIR", help="course folder (default: the real one)")
    parser.add_argument(
        "--duration", type=float, help=f"seconds per endpoint (default {DEFAULT_DURATION_S:g})"
    )
    parser.add_argument(
        "--quick", action="store_true", help=f"{QUICK_DURATION_S:g} s per endpoint, to try it out"
    )
    parser.add_argument("--connections", type=int, default=16)
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
    return parser


def _run(args: argparse.Namespace, console: Console) -> list[EndpointResult]:
    wrk_path()
    duration = args.duration or (QUICK_DURATION_S if args.quick else DEFAULT_DURATION_S)
    folder = course_folder(args.courses, console)
    reading = read_usable_folder(folder)
    dataset = learners_dataset(reading.catalogue, args.users)
    endpoints = [endpoint for endpoint in ENDPOINTS if endpoint.name in args.endpoints]
    with (
        tempfile.TemporaryDirectory(prefix="handyman-bench-http-") as work,
        postgres_server() as server_url,
        postgres_databases(server_url, describe_server(server_url)) as databases,
        databases.fresh() as url,
    ):
        engine = create_engine(url)
        try:
            import_catalogue(engine, reading, str(folder))
            with console.status(f"loading progress of {args.users} users"):
                _, load_seconds = timed(lambda: load_rows(engine, dataset.rows))
                settle(engine)
        finally:
            engine.dispose()
        options = ServerOptions(
            database_url=url.url.render_as_string(hide_password=False),
            courses=folder,
            workers=args.workers,
            threads=args.worker_threads,
            work_directory=Path(work),
        )
        console.rule("Handyman HTTP benchmark")
        console.print(f"Catalogue: {folder} ({describe_catalogue(reading.catalogue)})")
        console.print(
            f"Progress: {args.users} users, {len(dataset.rows.tasks)} task rows "
            f"(loaded in {load_seconds:.1f} s); {databases.description}"
        )
        with contextlib.ExitStack() as running:
            with console.status("starting handyman serve"):
                server = running.enter_context(handyman_server(options))
            _print_setup(console, args, server, duration)
            load = _Load(server, Path(work), duration, args.connections, args.threads)
            results = []
            for endpoint in endpoints:
                with console.status(f"{endpoint.name}: {duration:g} s of wrk"):
                    results.append(_measure(endpoint, endpoint.requests(dataset), load))
    console.print(_report(results, duration))
    return results


def _print_setup(
    console: Console, args: argparse.Namespace, server: RunningServer, duration: float
) -> None:
    console.print(f"Machine: {describe_machine()}")
    console.print(f"Server: {' '.join(server.command)}")
    console.print(
        f"Load: wrk --threads {args.threads} --connections {args.connections}, "
        f"{duration:g} s per endpoint after a {WARM_UP_S:g} s warm-up, on 127.0.0.1"
    )
    console.print(
        f"[yellow]This machine has {os.cpu_count()} cores, shared by wrk ({args.threads} "
        f"threads), gunicorn ({args.workers} workers x {args.worker_threads} threads) and "
        "PostgreSQL: the load generator takes CPU from the server, so req/s are a lower bound "
        "for a server with the cores to itself.[/]"
    )


@frozen
class _Load:
    server: RunningServer
    work: Path
    duration_s: float
    connections: int
    threads: int

    def run(self, endpoint: Endpoint, script: Path | None, duration_s: float) -> WrkResult:
        return run_wrk(
            f"{self.server.base_url}{endpoint.path}",
            script=script,
            duration_s=duration_s,
            connections=self.connections,
            threads=self.threads,
        )


def _measure(endpoint: Endpoint, requests_to_send: list[Request], load: _Load) -> EndpointResult:
    _preflight(endpoint, requests_to_send, load.server)
    script = None
    if endpoint.body is not None:
        script = write_script(load.work, endpoint.name, endpoint.method, requests_to_send)
    load.run(endpoint, script, WARM_UP_S)
    return EndpointResult(endpoint, load.run(endpoint, script, load.duration_s))


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
                    f"{request.body}: {answer.text[:500]}"
                )


def _json_keys(answer: requests.Response) -> set[str]:
    try:
        document = answer.json()
    except requests.JSONDecodeError as error:
        raise BenchmarkError(f"{answer.url} answered something that is not JSON") from error
    return set(document) if isinstance(document, dict) else set()


def _report(results: list[EndpointResult], duration: float) -> Table:
    table = Table(title=f"HTTP benchmark ({duration:g} s per endpoint)")
    table.add_column("Endpoint", no_wrap=True)
    for column in ("Requests", "Req/s", "p50", "p90", "p99", "Non-2xx", "Socket errors"):
        table.add_column(column, justify="right", no_wrap=True)
    table.add_column("Request", style="dim")
    for entry in results:
        result = entry.result
        errors = str(result.errors_4xx_5xx)
        table.add_row(
            f"{entry.endpoint.method} {entry.endpoint.path}",
            str(result.requests),
            f"{result.requests_per_second:,.0f}",
            format_seconds(result.p50),
            format_seconds(result.p90),
            format_seconds(result.p99),
            f"[red]{errors}[/]" if result.errors_4xx_5xx else errors,
            str(result.socket_errors),
            entry.endpoint.summary,
        )
    return table


if __name__ == "__main__":
    sys.exit(main())
