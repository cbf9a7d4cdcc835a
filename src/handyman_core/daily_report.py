"""The one row of a client's day that every export shows: the CSV file, the Google Sheets row
and the e-mail's table are all made of these values, so they cannot disagree.

`success_rate` is rounded to four decimals (a percentage with two) and is empty on a day
without submits; the hardest tasks are written `task correct/submits`, lowest rate first.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from handyman_core.daily_figures import ClientDay, ItemFigures, hardest_tasks

REPORT_COLUMNS = (
    "date",
    "client",
    "time_zone",
    "attempts",
    "submits",
    "runs",
    "correct",
    "success_rate",
    "unique_users",
    "unique_tasks",
    "hardest_tasks",
)
ReportValue = str | int | float
ReportRow = tuple[ReportValue, ...]
RATE_DECIMALS = 4


def report_row(
    day: ClientDay,
    time_zone: str,
    *,
    hardest_count: int = 5,
    min_submits: int = 5,
) -> ReportRow:
    figures = day.figures
    hardest = hardest_tasks(day.tasks, count=hardest_count, min_submits=min_submits)
    return (
        day.day.isoformat(),
        day.client,
        time_zone,
        figures.attempts,
        figures.submits,
        figures.runs,
        figures.correct,
        rounded_rate(figures.success_rate),
        figures.unique_users,
        figures.unique_tasks,
        hardest_text(hardest),
    )


def rounded_rate(rate: float | None) -> float | str:
    return "" if rate is None else round(rate, RATE_DECIMALS)


def hardest_text(tasks: Sequence[ItemFigures]) -> str:
    return "; ".join(f"{task.key} {task.correct}/{task.submits}" for task in tasks)


def row_key(row: Sequence[ReportValue]) -> tuple[str, str]:
    """What identifies a report row: its date and client."""
    return (str(row[0]), str(row[1]))


def report_csv(rows: Sequence[ReportRow]) -> str:
    """The rows as CSV text with the header, as the CSV export and `Accept: text/csv` give it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(REPORT_COLUMNS)
    writer.writerows(rows)
    return buffer.getvalue()
