"""The statistics job's log: one file per day named by the date (`stats-2026-12-02.log`),
timestamped lines for each stage, and files older than the last few days deleted at start,
each deletion logged. The same lines go to stderr, which systemd keeps in the journal.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import platformdirs

from handyman_core.log_retention import DEFAULT_KEEP_DAYS, expired_log_files, log_file_name

LOGGER_NAME = "handyman.stats"
LINE_FORMAT = "%(asctime)s %(levelname)s %(message)s"
log = logging.getLogger(LOGGER_NAME)


def default_log_directory() -> Path:
    return Path(platformdirs.user_data_dir("handyman")) / "logs"


@contextmanager
def job_log(
    directory: Path, today: date, *, keep_days: int = DEFAULT_KEEP_DAYS, echo: bool = True
) -> Iterator[Path]:
    """Log to today's file (appending: several runs a day share it) while the block runs."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / log_file_name(today)
    formatter = logging.Formatter(LINE_FORMAT)
    handlers: list[logging.Handler] = [logging.FileHandler(path, encoding="utf-8")]
    if echo:
        handlers.append(logging.StreamHandler(sys.stderr))
    for handler in handlers:
        handler.setFormatter(formatter)
        log.addHandler(handler)
    previous_level = log.level
    log.setLevel(logging.INFO)
    try:
        for name in expired_log_files((p.name for p in directory.iterdir()), today, keep_days):
            (directory / name).unlink(missing_ok=True)
            log.info("deleted the old log file %s", name)
        yield path
    finally:
        for handler in handlers:
            log.removeHandler(handler)
            handler.close()
        log.setLevel(previous_level)
