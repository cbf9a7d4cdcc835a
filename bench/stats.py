"""`python -m bench.stats`: learning analytics at scale, on PostgreSQL.

2,000,000 generated attempts over 60 days from 50,000 learners (`bench/stats_data.py`) in a
private PostgreSQL, served by `handyman serve` (one gunicorn worker, so its memory can be read),
and the statistics job's own functions against a second database. Measured (see
bench/README.md for the table): a page of 1,000 records from random cursors inside a day, for a
client that sees everything and for one limited to an LMS (< 20 ms median); one day streamed in
one answer and parsed by the client (>= 50,000 records/s; the client parses with orjson, as the
statistics job does); `stats_job.pull` of a few days from the live API into the analytics
database (>= 20,000 records/s); `compute_day` of one day (< 1 s); the worker's RSS before and
after a month is streamed in one answer.

`--quick` shrinks everything (50,000 attempts over 3 days, 2,000 learners) to try the
benchmark out; its figures are not the targets' figures. Run from the project root.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import requests
from attrs import frozen
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, text

from bench.errors import BenchmarkError
from bench.fresh_databases import postgres_databases
from bench.handyman_server import RunningServer, ServerOptions, handyman_server
from bench.machine import describe_machine
from bench.measure import Timings, format_seconds
from bench.postgres import describe_server, postgres_server
from bench.processes import children_of, process_stat
from bench.report_run import run_report
from bench.stats_data import AttemptsShape, load_attempts
from handyman_analytics.statistics_source import SourceSettings, open_session
from handyman_analytics.stats_job import pull
from handyman_core.client_keys import hash_client_key
from handyman_core.instants import format_seed_instant
from handyman_core.local_days import day_bounds
from handyman_core.statistics_cursor import CursorPosition, encode_cursor
from handyman_core.statistics_query import TimeWindow
from handyman_store.daily_stats import compute_day
from handyman_store.database import create_engine
from handyman_store.statistics_clients import add_client

PROJECT_ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_COURSES = PROJECT_ROOT / "examples" / "courses"
FULL = AttemptsShape(attempts=2_000_000, days=60, users=50_000)
QUICK = AttemptsShape(attempts=50_000, days=3, users=2_000)
KEY = "hmk_bench_operator"
LMS_KEY = "hmk_bench_lms"
PAGE_TARGET_S = 0.020
STREAM_TARGET = 50_000
ETL_TARGET = 20_000
DAILY_TARGET_S = 1.0


@frozen
class Row:
    name: str
    figure: str
    target: str
    met: bool | None
    note: str = ""


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return run_report("bench.stats", "server and databases removed", lambda c: _run(args, c))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.stats", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a small run to try it out")
    parser.add_argument("--pages", type=int, help="timed page requests per client (100)")
    parser.add_argument("--repeat", type=int, help="repetitions of the slow steps (5)")
    parser.add_argument("--etl-days", type=int, help="days pulled by the ETL measurement (3)")
    return parser


def _run(args: argparse.Namespace, console: Console) -> int:
    shape = QUICK if args.quick else FULL
    pages = args.pages or (20 if args.quick else 100)
    repeat = args.repeat or (2 if args.quick else 5)
    etl_days = min(args.etl_days or (1 if args.quick else 3), shape.days)
    console.rule("Handyman learning-analytics benchmark")
    console.print(f"Machine: {describe_machine()}")
    with (
        postgres_server() as server_url,
        postgres_databases(server_url, describe_server(server_url)) as databases,
        databases.fresh() as source_url,
        databases.fresh() as analytics_url,
        tempfile.TemporaryDirectory(prefix="handyman-bench-stats-") as work,
    ):
        console.print(databases.description)
        source = create_engine(source_url)
        analytics = create_engine(analytics_url)
        try:
            began = time.perf_counter()
            with console.status(f"loading {shape.attempts:,} attempts"):
                count = load_attempts(source, shape)
                _add_clients(source)
            console.print(
                f"Attempts: {count:,} over {shape.days} days from {shape.users:,} learners, "
                f"loaded in {time.perf_counter() - began:.1f} s"
            )
            options = ServerOptions(
                database_url=str(source_url.url.render_as_string(hide_password=False)),
                courses=EXAMPLE_COURSES,
                workers=1,
                threads=4,
                work_directory=Path(work),
            )
            with handyman_server(options) as server:
                rows = _measure(
                    server,
                    source=source,
                    analytics=analytics,
                    shape=shape,
                    pages=pages,
                    repeat=repeat,
                    etl_days=etl_days,
                    console=console,
                )
        finally:
            source.dispose()
            analytics.dispose()
    console.print(_table(rows))
    if args.quick:
        console.print("[yellow]--quick: a small data set; the targets are for the full run.[/]")
    return 0


def _add_clients(engine: Engine) -> None:
    now = datetime.now(UTC)
    add_client(engine, "operator", hash_client_key(KEY), [], now=now)
    add_client(engine, "university", hash_client_key(LMS_KEY), ["lms-a"], now=now)


def _measure(
    server: RunningServer,
    *,
    source: Engine,
    analytics: Engine,
    shape: AttemptsShape,
    pages: int,
    repeat: int,
    etl_days: int,
    console: Console,
) -> list[Row]:
    url = server.base_url + "/api/statistics"
    middle = shape.day(shape.days // 2)
    day = TimeWindow(*day_bounds(middle, UTC))
    rows: list[Row] = []
    with requests.Session() as session:
        for client, key in (("operator", KEY), ("university", LMS_KEY)):
            with console.status(f"timing {pages} pages for {client}"):
                timings = _pages(
                    session, url, client=client, key=key, day=day, source=source, count=pages
                )
            rows.append(
                Row(
                    f"statistics page of 1,000 ({client})",
                    f"{format_seconds(timings.median)} (p90 {format_seconds(timings.p90)})",
                    "< 20 ms",
                    timings.median < PAGE_TARGET_S,
                )
            )
        with console.status("streaming a day"):
            records, seconds = _stream_day(session, url, day, repeat)
        rows.append(
            Row(
                "day streamed in one answer",
                f"{records / seconds:,.0f} records/s",
                ">= 50,000/s",
                records / seconds >= STREAM_TARGET,
                f"{records:,} records, median {seconds:.2f} s",
            )
        )
    window = TimeWindow(shape.start, shape.start + timedelta(days=etl_days))
    with console.status(f"pulling {etl_days} days into the analytics database"):
        rows.append(_etl(url, window, analytics))
    with console.status("computing days"):
        rows.append(_daily(analytics, shape, repeat))
    with console.status("streaming a month"):
        rows.append(_memory(server, url, shape))
    return rows


def _pages(
    session: requests.Session,
    url: str,
    *,
    client: str,
    key: str,
    day: TimeWindow,
    source: Engine,
    count: int,
) -> Timings:
    rng = random.Random(7)
    with source.connect() as connection:
        positions = connection.execute(
            text(
                "SELECT created_at, attempt_id FROM attempts "
                "WHERE created_at >= :start AND created_at < :end ORDER BY created_at"
            ),
            {"start": day.start, "end": day.end},
        ).all()
    params = {
        "client": client,
        "client_key": key,
        "start": format_seed_instant(day.start),
        "end": format_seed_instant(day.end),
        "limit": "1000",
    }
    seconds = []
    for _ in range(count):
        created_at, attempt_id = rng.choice(positions[: len(positions) // 2])
        cursor = encode_cursor(CursorPosition(created_at.astimezone(UTC), attempt_id))
        started = time.perf_counter()
        response = session.get(url, params={**params, "cursor": cursor}, timeout=30)
        records = orjson.loads(response.content)
        seconds.append(time.perf_counter() - started)
        if response.status_code != 200 or not isinstance(records, list):
            raise BenchmarkError(f"statistics page answered {response.status_code}: {records}")
        if client == "operator" and len(records) != 1000:
            raise BenchmarkError(f"a page in the first half of a day had {len(records)} records")
    return Timings(tuple(seconds))


def _stream_day(
    session: requests.Session, url: str, day: TimeWindow, repeat: int
) -> tuple[int, float]:
    params = {
        "client": "operator",
        "client_key": KEY,
        "start": format_seed_instant(day.start),
        "end": format_seed_instant(day.end),
    }
    seconds = []
    records = 0
    for _ in range(repeat):
        started = time.perf_counter()
        response = session.get(url, params=params, timeout=300)
        records = len(orjson.loads(response.content))
        seconds.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise BenchmarkError(f"streaming a day answered {response.status_code}")
    return records, Timings(tuple(seconds)).median


def _etl(url: str, window: TimeWindow, analytics: Engine) -> Row:
    source = SourceSettings(url=url, client="operator", client_key=KEY, page_size=10_000)
    with open_session(source) as session:
        began = time.perf_counter()
        report = pull(analytics, session, source, window, clock=lambda: datetime.now(UTC))
        seconds = time.perf_counter() - began
    rate = report.records / seconds
    return Row(
        "ETL pull (download, validate, upsert)",
        f"{rate:,.0f} records/s",
        ">= 20,000/s",
        rate >= ETL_TARGET,
        f"{report.records:,} records in {report.pages} pages, {seconds:.1f} s; upserts alone "
        f"{report.loaded / max(report.load_seconds, 1e-9):,.0f} rows/s",
    )


def _daily(analytics: Engine, shape: AttemptsShape, repeat: int) -> Row:
    day = shape.first_day
    seconds = []
    attempts = 0
    for _ in range(repeat):
        started = time.perf_counter()
        figures = compute_day(analytics, day, UTC, "UTC", now=datetime.now(UTC))
        seconds.append(time.perf_counter() - started)
        attempts = sum(client.figures.attempts for client in figures)
    timings = Timings(tuple(seconds))
    return Row(
        "stats daily, one day",
        format_seconds(timings.median),
        "< 1 s",
        timings.median < DAILY_TARGET_S,
        f"{attempts:,} attempts",
    )


def _memory(server: RunningServer, url: str, shape: AttemptsShape) -> Row:
    workers = children_of(server.pid)
    if len(workers) != 1:
        raise BenchmarkError(f"expected one gunicorn worker, found {len(workers)}")
    worker = workers[0].pid
    before = _rss(worker)
    days = min(shape.days, 31)
    params = {
        "client": "operator",
        "client_key": KEY,
        "start": format_seed_instant(shape.start),
        "end": format_seed_instant(shape.start + timedelta(days=days)),
    }
    began = time.perf_counter()
    received = 0
    peak = before
    with requests.get(url, params=params, stream=True, timeout=600) as response:
        if response.status_code != 200:
            raise BenchmarkError(f"streaming a month answered {response.status_code}")
        for chunk in response.iter_content(1 << 20):
            received += len(chunk)
            peak = max(peak, _rss(worker))
    seconds = time.perf_counter() - began
    after = _rss(worker)
    return Row(
        f"worker RSS, {days} days streamed",
        f"{before / 2**20:.0f} MiB before, {after / 2**20:.0f} MiB after",
        "flat",
        None,
        f"peak {peak / 2**20:.0f} MiB; {received / 2**20:,.0f} MiB in {seconds:.1f} s",
    )


def _rss(pid: int) -> int:
    stat = process_stat(pid)
    if stat is None:
        raise BenchmarkError("the gunicorn worker is gone")
    return stat.rss_bytes


def _table(rows: list[Row]) -> Table:
    table = Table(title="Learning analytics on PostgreSQL")
    for column in ("measurement", "figure", "target", "", "note"):
        table.add_column(column)
    for row in rows:
        verdict = "" if row.met is None else ("PASS" if row.met else "MISS")
        table.add_row(row.name, row.figure, row.target, verdict, row.note)
    return table


if __name__ == "__main__":
    raise SystemExit(main())
