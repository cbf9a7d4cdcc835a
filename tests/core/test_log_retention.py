"""Which of the job's log files are old enough to delete: by the date in the name, only the
job's own files, and never today's or the two days before."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from handyman_core.log_retention import (
    day_of_log_file,
    expired_log_files,
    log_file_name,
)

TODAY = date(2026, 12, 2)
log_days = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1))


def test_a_log_file_is_named_by_its_date() -> None:
    assert log_file_name(TODAY) == "stats-2026-12-02.log"


@given(log_days)
def test_the_date_read_back_from_a_name_is_the_date_it_was_named_for(day: date) -> None:
    assert day_of_log_file(log_file_name(day)) == day


def test_files_from_before_the_last_three_days_expire() -> None:
    names = [log_file_name(TODAY - timedelta(days=age)) for age in range(6)]

    assert expired_log_files(names, TODAY) == [
        "stats-2026-11-27.log",
        "stats-2026-11-28.log",
        "stats-2026-11-29.log",
    ]


def test_files_that_are_not_the_jobs_logs_never_expire() -> None:
    names = ["notes.txt", "stats-2020-01-01.log.gz", "stats-2020-13-01.log", "other-2020-01-01.log"]

    assert expired_log_files(names, TODAY) == []


@given(st.lists(log_days, max_size=20), log_days, st.integers(1, 10))
def test_exactly_the_files_older_than_the_kept_days_expire(
    dates: list[date], today: date, keep_days: int
) -> None:
    names = {log_file_name(day) for day in dates}

    expired = set(expired_log_files(names, today, keep_days))

    for name in names:
        age = (today - day_of_log_file(name)).days  # type: ignore[operator]
        assert (name in expired) == (age >= keep_days)
