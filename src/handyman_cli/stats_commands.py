"""`handyman stats pull|daily|run-daily`: the statistics job.

- `pull` loads a window of attempts from a statistics API into the analytics table of
  `--database-url` (Handyman's own API or any of the seed's shape);
- `daily` computes days from that table, stores them and runs the configured exports;
- `run-daily` is what the timer runs: pull yesterday, compute it, export, e-mail.

Exit codes: 0 done; 1 the statistics API failed (nothing aggregated); 2 bad arguments or
configuration; 3 loaded and aggregated, but an export or the e-mail failed.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Engine

from handyman_analytics.job_config import (
    CLIENT_KEY_VARIABLE,
    SMTP_PASSWORD_VARIABLE,
    JobConfig,
    load_config,
)
from handyman_analytics.job_log import default_log_directory, job_log
from handyman_analytics.statistics_source import SourceError, SourceSettings, open_session
from handyman_analytics.stats_job import (
    Exports,
    ReportSettings,
    aggregate,
    export,
    log,
    notify_failure,
    pull,
    report_rows,
)
from handyman_cli.database_choice import resolve_database_url
from handyman_core.errors import InvalidInput
from handyman_core.instants import parse_day, parse_instant
from handyman_core.local_days import day_bounds, days_from_to
from handyman_core.statistics_query import TimeWindow
from handyman_store.database import create_engine
from handyman_store.schema_version import upgrade_if_behind

EXIT_SOURCE_FAILED = 1
EXIT_EXPORT_FAILED = 3
MAX_DAYS = 366


def pull_command(args: argparse.Namespace) -> int:
    config, _ = load_config(args.config)
    source = _source(args, config)
    window = _window(args.start, args.end)
    with _job(args, config) as engine:
        return _pull_window(engine, source, window, _exports(config, args))


def daily_command(args: argparse.Namespace) -> int:
    config, _ = load_config(args.config)
    zone, zone_name = _zone(args, config)
    days = _days(args, zone)
    with _job(args, config) as engine:
        return _aggregate_and_export(
            engine, days, zone=zone, zone_name=zone_name, config=config, args=args
        )


def run_daily_command(args: argparse.Namespace) -> int:
    config, _ = load_config(args.config)
    source = _source(args, config)
    zone, zone_name = _zone(args, config)
    day = parse_day(args.date, "date") if args.date else _yesterday(zone)
    start, end = day_bounds(day, zone)
    with _job(args, config) as engine:
        status = _pull_window(engine, source, TimeWindow(start, end), _exports(config, args))
        if status != 0:
            return status
        return _aggregate_and_export(
            engine, [day], zone=zone, zone_name=zone_name, config=config, args=args
        )


def _pull_window(
    engine: Engine, source: SourceSettings, window: TimeWindow, exports: Exports
) -> int:
    with open_session(source) as session:
        try:
            pull(engine, session, source, window, clock=_now)
        except SourceError as error:
            notify_failure(exports, f"The statistics API failed: {error}")
            return EXIT_SOURCE_FAILED
    return 0


def _aggregate_and_export(
    engine: Engine,
    days: list[date],
    *,
    zone: ZoneInfo,
    zone_name: str,
    config: JobConfig,
    args: argparse.Namespace,
) -> int:
    aggregate(engine, days, zone, zone_name, clock=_now)
    if args.no_export:
        return 0
    rows = report_rows(
        engine, days, ReportSettings(config.stats.hardest_tasks, config.stats.min_submits)
    )
    failures = export(rows, _exports(config, args))
    return EXIT_EXPORT_FAILED if failures else 0


@contextmanager
def _job(args: argparse.Namespace, config: JobConfig) -> Iterator[Engine]:
    """The log file and the migrated database of one run; logs its start and end."""
    zone, _ = _zone(args, config)
    directory = args.log_dir or config.stats.log_dir
    url = resolve_database_url(args.database_url, announce=False)
    command = f"stats {args.stats_command}"
    with job_log(
        Path(directory) if directory else default_log_directory(),
        datetime.now(zone).date(),
        keep_days=config.stats.keep_log_days,
    ) as path:
        log.info("%s started (log file %s, database %s)", command, path, url)
        engine = create_engine(url)
        try:
            upgrade_if_behind(engine)
            yield engine
        finally:
            engine.dispose()
            log.info("%s finished", command)


def _source(args: argparse.Namespace, config: JobConfig) -> SourceSettings:
    configured = config.stats.source
    url: str = args.source or configured.url or ""
    client: str = args.client or configured.client or ""
    problems = {}
    if not url:
        problems["source"] = "is required: --source or [stats.source] url"
    if not client:
        problems["client"] = "is required: --client or [stats.source] client"
    if not args.client_key:
        problems["client_key"] = f"is required: ${CLIENT_KEY_VARIABLE} or --client-key"
    if args.page_size is not None and not 1 <= args.page_size <= 10_000:
        problems["page_size"] = "must be from 1 to 10000"
    if problems:
        raise InvalidInput(
            problems, "missing or bad statistics source settings: " + _listed(problems)
        )
    return SourceSettings(
        url=url,
        client=client,
        client_key=args.client_key,
        page_size=args.page_size or configured.page_size,
        timeout_seconds=configured.timeout_seconds,
        retries=configured.retries,
    )


def _window(start: str, end: str) -> TimeWindow:
    problems = {}
    try:
        first = parse_instant(start, "start")
    except InvalidInput as error:
        problems.update(error.fields)
    try:
        last = parse_instant(end, "end")
    except InvalidInput as error:
        problems.update(error.fields)
    if not problems and last <= first:
        problems["end"] = "must be after start"
    if problems:
        raise InvalidInput(problems, "bad window: " + _listed(problems))
    return TimeWindow(first, last)


def _zone(args: argparse.Namespace, config: JobConfig) -> tuple[ZoneInfo, str]:
    name = getattr(args, "time_zone", None) or config.stats.time_zone
    try:
        return ZoneInfo(name), name
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput({"time_zone": "unknown"}, f"unknown time zone {name!r}") from None


def _days(args: argparse.Namespace, zone: ZoneInfo) -> list[date]:
    if args.date and (args.first or args.last):
        raise InvalidInput({"date": "conflicts"}, "give either --date or --from/--to")
    if args.date:
        return [parse_day(args.date, "date")]
    if args.first or args.last:
        if not (args.first and args.last):
            raise InvalidInput({"from": "needs to"}, "give both --from and --to")
        try:
            return days_from_to(
                parse_day(args.first, "from"), parse_day(args.last, "to"), max_days=MAX_DAYS
            )
        except InvalidInput as error:
            raise InvalidInput(error.fields, "bad days: " + _listed(error.fields)) from None
    return [_yesterday(zone)]


def _exports(config: JobConfig, args: argparse.Namespace) -> Exports:
    csv = config.export.csv
    return Exports(
        csv_directory=Path(csv.directory) if csv else None,
        sheets=config.export.sheets,
        email=config.email,
        smtp_password=os.environ.get(SMTP_PASSWORD_VARIABLE),
    )


def _yesterday(zone: ZoneInfo) -> date:
    return datetime.now(zone).date() - timedelta(days=1)


def _now() -> datetime:
    return datetime.now(UTC)


def _listed(problems: dict[str, str]) -> str:
    return "; ".join(f"{name} {problem}" for name, problem in problems.items())
