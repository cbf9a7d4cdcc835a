"""The statistics job's stages, each logged as the seed asks (start, download started and
finished with counts and seconds, load, aggregates, export, e-mail; ERROR lines with the
status code when the API fails): pull a window from a statistics API into the analytics
table, compute days, export them and send the summary.

Transactions: one per page. Each page is validated and upserted on the natural key in its
own transaction, so memory and lock time stay bounded by the page size however long the
window, and a run that fails half-way keeps what it loaded. Nothing is lost by that: the
upsert makes a re-run converge to exactly the rows one complete run would have left, and the
daily aggregates are only computed after a pull that finished. One transaction per run
would make a failed month-long run throw away everything and hold its locks for minutes.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime, tzinfo
from email.message import EmailMessage
from pathlib import Path

import requests
from attrs import frozen
from sqlalchemy import Engine

from handyman_analytics.csv_export import write_day_csv
from handyman_analytics.email_report import (
    EmailError,
    EmailSettings,
    daily_report_message,
    failure_message,
    send,
)
from handyman_analytics.sheets_export import SheetsExportError, SheetsSettings, export_rows
from handyman_analytics.statistics_source import SourceError, SourceSettings, fetch_pages
from handyman_core.analytics_records import AnalyticsRow, BadRecord, validate_record
from handyman_core.daily_report import ReportRow, report_row
from handyman_core.instants import format_instant
from handyman_core.statistics_query import TimeWindow
from handyman_store.analytics_loads import load_rows
from handyman_store.daily_stats import compute_day, stored_days
from handyman_store.database import read_connection

log = logging.getLogger("handyman.stats")
Clock = Callable[[], datetime]
MAX_LOGGED_RECORD = 2000


@frozen
class PullReport:
    pages: int
    records: int
    loaded: int
    skipped: int
    download_seconds: float
    load_seconds: float


@frozen
class ReportSettings:
    hardest_count: int = 5
    min_submits: int = 5


@frozen
class Exports:
    csv_directory: Path | None = None
    sheets: SheetsSettings | None = None
    email: EmailSettings | None = None
    smtp_password: str | None = None


def pull(
    engine: Engine,
    session: requests.Session,
    source: SourceSettings,
    window: TimeWindow,
    *,
    clock: Clock,
) -> PullReport:
    """Raises statistics_source.SourceError (already logged as an ERROR) when the source fails."""
    log.info(
        "pull started: %s as client %s, [%s, %s)",
        source.url,
        source.client,
        format_instant(window.start),
        format_instant(window.end),
    )
    log.info("download started")
    pages = records = loaded = skipped = 0
    download_seconds = load_seconds = 0.0
    try:
        for page in fetch_pages(session, source, window):
            pages += 1
            records += len(page.records)
            download_seconds += page.seconds
            log.info(
                "page %d downloaded: %d records in %.2f s",
                page.number,
                len(page.records),
                page.seconds,
            )
            rows = _valid_rows(page.records)
            skipped += len(page.records) - len(rows)
            began = time.monotonic()
            loaded += load_rows(engine, rows, now=clock())
            load_seconds += time.monotonic() - began
            log.info("page %d loaded: %d rows", page.number, len(rows))
    except SourceError as error:
        status = "none" if error.status_code is None else error.status_code
        log.error("statistics API error: status_code=%s: %s", status, error)
        raise
    log.info("download finished: %d records in %d pages, %.2f s", records, pages, download_seconds)
    log.info(
        "load finished: %d rows written, %d records skipped, %.2f s",
        loaded,
        skipped,
        load_seconds,
    )
    return PullReport(pages, records, loaded, skipped, download_seconds, load_seconds)


def aggregate(
    engine: Engine, days: Sequence[date], zone: tzinfo, zone_name: str, *, clock: Clock
) -> None:
    log.info("aggregates started: %d days from %s, time zone %s", len(days), days[0], zone_name)
    began = time.monotonic()
    for day in days:
        figures = compute_day(engine, day, zone, zone_name, now=clock())
        log.info(
            "aggregates of %s: %d attempts, %d clients",
            day,
            sum(client.figures.attempts for client in figures),
            len(figures),
        )
    log.info("aggregates finished in %.2f s", time.monotonic() - began)


def report_rows(
    engine: Engine, days: Sequence[date], settings: ReportSettings
) -> dict[date, list[ReportRow]]:
    """The stored figures of each day as report rows (what every export writes)."""
    with read_connection(engine) as connection:
        stored = stored_days(connection, min(days), max(days))
    rows: dict[date, list[ReportRow]] = {day: [] for day in days}
    for entry in stored:
        if entry.figures.day in rows:
            rows[entry.figures.day].append(
                report_row(
                    entry.figures,
                    entry.time_zone,
                    hardest_count=settings.hardest_count,
                    min_submits=settings.min_submits,
                )
            )
    return rows


def export(rows: dict[date, list[ReportRow]], exports: Exports) -> list[str]:
    """Every configured export and the e-mail; a failure is logged and listed, never raised,
    and never undoes the load or the aggregates."""
    failures: list[str] = []
    if exports.csv_directory is not None:
        try:
            for day, day_rows in rows.items():
                path = write_day_csv(exports.csv_directory, day, day_rows)
                log.info("CSV export written: %s (%d rows)", path, len(day_rows))
        except OSError as error:
            failures.append(f"CSV export failed: {error}")
            log.error("CSV export failed: %s", error)
    if exports.sheets is not None:
        log.info("Google Sheets export started")
        try:
            result = export_rows(exports.sheets, [row for day in rows.values() for row in day])
            log.info(
                "Google Sheets export finished: %d rows updated, %d added",
                result.updated,
                result.added,
            )
        except SheetsExportError as error:
            failures.append(f"Google Sheets export failed: {error}")
            log.error("Google Sheets export failed: %s", error)
    if exports.email is not None:
        notes = [f"Problem: {failure}" for failure in failures]
        message = daily_report_message(
            exports.email, _title(rows), [row for day in rows.values() for row in day], notes
        )
        failures.extend(_send(exports, message))
    return failures


def notify_failure(exports: Exports, problem: str) -> list[str]:
    """Tell the team the job failed, when e-mail is configured."""
    if exports.email is None:
        return []
    return _send(exports, failure_message(exports.email, "Handyman statistics job failed", problem))


def _send(exports: Exports, message: EmailMessage) -> list[str]:
    assert exports.email is not None
    try:
        send(exports.email, exports.smtp_password, message)
    except EmailError as error:
        log.error("e-mail failed: %s", error)
        return [f"e-mail failed: {error}"]
    log.info("e-mail sent to %s", ", ".join(exports.email.recipients))
    return []


def _valid_rows(records: Sequence[object]) -> list[AnalyticsRow]:
    rows = []
    for record in records:
        try:
            rows.append(validate_record(record))
        except BadRecord as reason:
            log.warning("record skipped: %s: %s", reason, _shown(record))
    return rows


def _shown(record: object) -> str:
    text = json.dumps(record, ensure_ascii=False, default=str)
    return text if len(text) <= MAX_LOGGED_RECORD else text[:MAX_LOGGED_RECORD] + "..."


def _title(rows: dict[date, list[ReportRow]]) -> str:
    days = sorted(rows)
    span = str(days[0]) if len(days) == 1 else f"{days[0]} to {days[-1]}"
    attempts = sum(int(row[3]) for day in rows.values() for row in day)
    return f"Handyman statistics for {span}: {attempts} attempts"
