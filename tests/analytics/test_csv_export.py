"""The CSV file of a day: the header and the report rows, replaced whole on a re-run."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from handyman_analytics.csv_export import write_day_csv
from handyman_core.daily_report import REPORT_COLUMNS, ReportRow

DAY = date(2026, 12, 2)
ROW: ReportRow = ("2026-12-02", "uni", "UTC", 10, 8, 2, 6, 0.75, 4, 3, "t1 1/5; t2 0/7")


def read(path: Path) -> list[list[str]]:
    with path.open(newline="") as file:
        return list(csv.reader(file))


def test_a_day_is_written_to_a_file_named_by_its_date(tmp_path: Path) -> None:
    path = write_day_csv(tmp_path / "daily", DAY, [ROW])

    assert path.name == "stats-daily-2026-12-02.csv"
    assert read(path) == [list(REPORT_COLUMNS), [str(value) for value in ROW]]


def test_re_running_a_day_replaces_its_file(tmp_path: Path) -> None:
    write_day_csv(tmp_path, DAY, [ROW, ROW])

    path = write_day_csv(tmp_path, DAY, [ROW])

    assert len(read(path)) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stats-daily-2026-12-02.csv"]


def test_a_day_without_attempts_has_only_the_header(tmp_path: Path) -> None:
    assert read(write_day_csv(tmp_path, DAY, [])) == [list(REPORT_COLUMNS)]
