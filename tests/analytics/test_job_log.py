"""The job's log files: named by the date, timestamped lines, only the last three days kept
and each deletion logged."""

from __future__ import annotations

import logging
import re
from datetime import date
from pathlib import Path

from handyman_analytics.job_log import job_log

TODAY = date(2026, 12, 2)
LINE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3} (INFO|WARNING|ERROR) .+")


def test_lines_go_to_a_file_named_by_the_date_with_timestamps(tmp_path: Path) -> None:
    with job_log(tmp_path, TODAY, echo=False) as path:
        logging.getLogger("handyman.stats").info("download started")

    assert path == tmp_path / "stats-2026-12-02.log"
    [line] = path.read_text().splitlines()
    assert LINE.fullmatch(line)
    assert line.endswith("INFO download started")


def test_files_older_than_three_days_are_deleted_and_each_deletion_is_logged(
    tmp_path: Path,
) -> None:
    for name in ("stats-2026-11-28.log", "stats-2026-11-29.log", "stats-2026-11-30.log"):
        (tmp_path / name).write_text("old\n")
    (tmp_path / "notes.txt").write_text("keep me\n")

    with job_log(tmp_path, TODAY, echo=False) as path:
        pass

    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "notes.txt",
        "stats-2026-11-30.log",
        "stats-2026-12-02.log",
    ]
    assert [line.split(" INFO ")[1] for line in path.read_text().splitlines()] == [
        "deleted the old log file stats-2026-11-28.log",
        "deleted the old log file stats-2026-11-29.log",
    ]


def test_a_second_run_the_same_day_appends_to_the_days_file(tmp_path: Path) -> None:
    for message in ("first run", "second run"):
        with job_log(tmp_path, TODAY, echo=False):
            logging.getLogger("handyman.stats").info(message)

    lines = (tmp_path / "stats-2026-12-02.log").read_text().splitlines()
    assert [line.rsplit(" INFO ", 1)[1] for line in lines] == ["first run", "second run"]


def test_the_log_directory_is_created(tmp_path: Path) -> None:
    with job_log(tmp_path / "a" / "b", TODAY, echo=False) as path:
        pass

    assert path.is_file()


def test_nothing_is_written_to_the_file_after_the_job(tmp_path: Path) -> None:
    with job_log(tmp_path, TODAY, echo=False) as path:
        pass
    logging.getLogger("handyman.stats").info("after the job")

    assert path.read_text() == ""
