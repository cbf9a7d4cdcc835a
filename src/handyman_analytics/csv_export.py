"""A CSV file per day, `stats-daily-2026-12-02.csv`: the report row of each client that day.

The file is written beside its final name and moved into place, so a reader (or a sync job)
never sees half a file, and re-running a day replaces it whole.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from handyman_core.daily_report import ReportRow, report_csv


def csv_file_name(day: date) -> str:
    return f"stats-daily-{day.isoformat()}.csv"


def write_day_csv(directory: Path, day: date, rows: Sequence[ReportRow]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / csv_file_name(day)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(report_csv(rows), encoding="utf-8")
    os.replace(partial, path)
    return path
