"""The statistics job's log files: one per day, named by the date, only the last few kept.

The date in the name decides a file's age, not its modification time, which a backup restore
or a copy would change; files whose names are not the job's are never touched.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, timedelta

PREFIX = "stats-"
SUFFIX = ".log"
DEFAULT_KEEP_DAYS = 3
_NAME = re.compile(re.escape(PREFIX) + r"(\d{4}-\d{2}-\d{2})" + re.escape(SUFFIX))


def log_file_name(day: date) -> str:
    return f"{PREFIX}{day.isoformat()}{SUFFIX}"


def day_of_log_file(name: str) -> date | None:
    """The date a log file is named for, or None for a file that is not one of the job's."""
    match = _NAME.fullmatch(name)
    if match is None:
        return None
    try:
        return date.fromisoformat(match[1])
    except ValueError:
        return None


def expired_log_files(
    names: Iterable[str], today: date, keep_days: int = DEFAULT_KEEP_DAYS
) -> list[str]:
    """The job's files dated before the last `keep_days` days (today included), sorted."""
    if keep_days < 1:
        raise ValueError("at least today's log is kept")
    oldest_kept = today - timedelta(days=keep_days - 1)
    return sorted(
        name for name in names if (day := day_of_log_file(name)) is not None and day < oldest_kept
    )
