"""`python -m bench.segments`: segments at scale on PostgreSQL (SQLite on request), as medians.

With a million users' explicit memberships over 200 segments loaded (bench/segment_data.py):
a user's active segments now (`Store.user_segments`: explicit rows, rollouts and TTL
decided at the instant), the one-call membership write with 10 adds and 10 removes (checked,
applied and logged in one transaction), and the month report streamed to CSV (rows per second,
and how much the process grew while streaming: it must stay flat). Run from the project root
(it imports `tests.postgres_server`).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import random
import sys
from collections.abc import Iterator, Sequence
from datetime import timedelta

from attrs import frozen
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from bench.errors import BenchmarkError
from bench.fresh_databases import FreshDatabases, Kind, postgres_databases, sqlite_databases
from bench.machine import describe_machine
from bench.measure import Timings, format_seconds, timed
from bench.postgres import describe_server, postgres_server
from bench.report_run import run_report
from bench.segment_data import NOW, SegmentData, load
from handyman_core.instants import format_instant
from handyman_core.segment_changes import read_change
from handyman_core.segment_report import ReportPeriod, read_period, report_fields
from handyman_core.segments import SegmentName
from handyman_store.database import create_engine
from handyman_store.store import Store

READ_TARGET = 0.002
WRITE_TARGET = 0.010
REPORT_RATE_TARGET = 100_000
REPORT_GROWTH_LIMIT = 64 * 2**20
"""Streaming must not grow the process by more than this, whatever the row count."""
REPORT_MONTH = "2026-06"
WARM_UP = 30
CHANGED_PER_WRITE = 10
RSS_SAMPLE_EVERY = 50_000


@frozen
class Measurement:
    name: str
    database: str
    timings: Timings
    target: float | None = None
    detail: str = ""


@frozen
class Throughput:
    database: str
    rows: int
    seconds: Timings
    growth_bytes: int

    @property
    def rate(self) -> float:
        return self.rows / self.seconds.median


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return run_report("bench.segments", "databases removed", lambda console: _run(args, console))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.segments", description=__doc__)
    parser.add_argument(
        "--databases", nargs="+", choices=("postgresql", "sqlite"), default=["postgresql"]
    )
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--segments", type=int, default=200)
    parser.add_argument("--reads", type=int, default=2_000, help="timed user reads")
    parser.add_argument("--writes", type=int, default=500, help="timed membership writes")
    parser.add_argument("--reports", type=int, default=3, help="timed month reports")
    parser.add_argument(
        "--quick", action="store_true", help="20,000 users, fewer repetitions: to try it out"
    )
    return parser


def _run(args: argparse.Namespace, console: Console) -> int:
    if args.quick:
        args.users, args.reads, args.writes, args.reports = 20_000, 200, 50, 1
    if min(args.users, args.reads, args.writes, args.reports) < 1:
        raise BenchmarkError("--users, --reads, --writes and --reports must be at least 1")
    if args.segments < 2 * CHANGED_PER_WRITE:
        raise BenchmarkError(f"--segments must be at least {2 * CHANGED_PER_WRITE}")
    console.rule("Handyman segments benchmark")
    console.print(f"Machine: {describe_machine()}")
    measurements: list[Measurement] = []
    throughputs: list[Throughput] = []
    for kind in args.databases:
        with _database(kind) as (engine, description):
            console.print(f"[bold]{description}[/]")
            with console.status(f"{kind}: loading {args.users} users' memberships"):
                data, seconds = timed(lambda: load(engine, args.users, args.segments))
                _settle(engine)
            console.print(
                f"  {kind}: {data.memberships} explicit states of {data.users} users over "
                f"{len(data.segment_ids)} segments and {data.events} history events, loaded in "
                f"{seconds:.0f} s"
            )
            store = Store(engine)
            with console.status(f"{kind}: user reads"):
                measurements.append(_reads(store, data, kind, args.reads))
            with console.status(f"{kind}: membership writes"):
                measurements.append(_writes(store, data, kind, args.writes))
            with console.status(f"{kind}: month reports"):
                throughputs.append(_reports(store, kind, args.reports))
    console.print(_table(measurements))
    console.print(_throughput_table(throughputs))
    console.print(
        "Times are wall clock around the store call, in this process, on a machine shared with "
        "other work. Targets are set for PostgreSQL."
    )
    return 0


@contextlib.contextmanager
def _database(kind: Kind) -> Iterator[tuple[Engine, str]]:
    with contextlib.ExitStack() as stack:
        databases: FreshDatabases
        if kind == "sqlite":
            databases = stack.enter_context(sqlite_databases())
        else:
            server_url = stack.enter_context(postgres_server())
            databases = stack.enter_context(
                postgres_databases(server_url, describe_server(server_url))
            )
        url = stack.enter_context(databases.fresh())
        engine = create_engine(url)
        stack.callback(engine.dispose)
        yield engine, databases.description


def _settle(engine: Engine) -> None:
    """The history in time order, as a service that logs events when they happen has it (the
    generator writes it user by user), then what autovacuum does shortly after a bulk load:
    statistics and the visibility map."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("CLUSTER segment_events USING ix_segment_events_at")
        for table in ("segments", "segment_memberships", "segment_events"):
            connection.exec_driver_sql(f"VACUUM ANALYZE {table}")


def _reads(store: Store, data: SegmentData, kind: str, reads: int) -> Measurement:
    rng = random.Random(1)
    users = [rng.randint(1, data.users) for _ in range(WARM_UP + reads)]
    seconds = []
    listed = 0
    for index, user_id in enumerate(users):
        active, elapsed = timed(lambda user_id=user_id: store.user_segments(user_id, NOW))
        if index >= WARM_UP:
            seconds.append(elapsed)
            listed += len(active)
    if listed == 0:
        raise BenchmarkError("no user read listed any segment: the data did not load")
    return Measurement(
        "a user's active segments now",
        kind,
        Timings(tuple(seconds)),
        READ_TARGET,
        f"{listed / reads:.1f} segments per user on average; random users",
    )


def _writes(store: Store, data: SegmentData, kind: str, writes: int) -> Measurement:
    rng = random.Random(2)
    seconds = []
    for index in range(WARM_UP + writes):
        user_id = rng.randint(1, data.users)
        chosen = rng.sample(range(1, len(data.segment_ids) + 1), 2 * CHANGED_PER_WRITE)
        names = [SegmentName(f"BENCH_SEGMENT_{number:03d}") for number in chosen]
        expires = format_instant(NOW + timedelta(days=30))
        body = {
            "add": [
                {"name": name, **({"expires_at": expires} if rng.random() < 0.5 else {})}
                for name in names[:CHANGED_PER_WRITE]
            ],
            "remove": names[CHANGED_PER_WRITE:],
        }

        def write(user_id: int = user_id, body: object = body) -> int:
            outcome = store.change_memberships(user_id, read_change(body), now=NOW)
            return len(outcome.states)

        touched, elapsed = timed(write)
        if touched != 2 * CHANGED_PER_WRITE:
            raise BenchmarkError(f"a write touched {touched} segments instead of 20")
        if index >= WARM_UP:
            seconds.append(elapsed)
    return Measurement(
        "membership write, 10 adds + 10 removes",
        kind,
        Timings(tuple(seconds)),
        WRITE_TARGET,
        "read_change + check + apply + log, one transaction; random users",
    )


class _CountingSink:
    """Where the CSV goes: counted, then dropped, as a socket would take it."""

    def __init__(self) -> None:
        self.written = 0

    def write(self, text: str) -> int:
        self.written += len(text)
        return len(text)


def _reports(store: Store, kind: str, repetitions: int) -> Throughput:
    period: ReportPeriod = read_period(REPORT_MONTH).resolve(NOW)
    seconds = []
    rows = 0
    growth = 0
    for _ in range(repetitions):
        (rows, grown), elapsed = timed(lambda: _stream_report(store, period))
        growth = max(growth, grown)
        seconds.append(elapsed)
    if rows == 0:
        raise BenchmarkError(f"the {REPORT_MONTH} report had no rows: the data did not load")
    return Throughput(kind, rows, Timings(tuple(seconds)), growth)


def _stream_report(store: Store, period: ReportPeriod) -> tuple[int, int]:
    sink = _CountingSink()
    writer = csv.writer(sink)
    start = _rss()
    peak = start
    rows = 0
    for row in store.segment_history(period, NOW):
        writer.writerow(report_fields(row))
        rows += 1
        if rows % RSS_SAMPLE_EVERY == 0:
            peak = max(peak, _rss())
    return rows, max(peak, _rss()) - start


def _rss() -> int:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _table(measurements: list[Measurement]) -> Table:
    table = Table(title="Segments benchmark (wall-clock seconds per call)")
    for column in ("Measurement", "Database"):
        table.add_column(column, no_wrap=True)
    for column in ("Runs", "Median", "p90", "p99", "Min", "Max", "Target"):
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
            format_seconds(timings.p99),
            format_seconds(timings.fastest),
            format_seconds(timings.slowest),
            "" if entry.target is None else f"< {format_seconds(entry.target)}",
            verdict,
            entry.detail,
        )
    return table


def _throughput_table(throughputs: list[Throughput]) -> Table:
    table = Table(title=f"Month report {REPORT_MONTH}, streamed to CSV")
    table.add_column("Database", no_wrap=True)
    for column in ("Rows", "Runs", "Median time", "Rows/s", "Target", "Growth", "Limit"):
        table.add_column(column, justify="right", no_wrap=True)
    table.add_column("Result")
    for entry in throughputs:
        passed = entry.rate >= REPORT_RATE_TARGET and entry.growth_bytes <= REPORT_GROWTH_LIMIT
        table.add_row(
            entry.database,
            f"{entry.rows:,}",
            str(entry.seconds.count),
            format_seconds(entry.seconds.median),
            f"{entry.rate:,.0f}",
            f"≥ {REPORT_RATE_TARGET:,}",
            f"{entry.growth_bytes / 2**20:.1f} MiB",
            f"≤ {REPORT_GROWTH_LIMIT // 2**20} MiB",
            "[green]PASS[/]" if passed else "[red]MISS[/]",
        )
    return table


if __name__ == "__main__":
    sys.exit(main())
