"""Days in a time zone: where an instant's day begins and ends, and which day an instant is in.

A day in a zone with daylight saving lasts 23 or 25 hours on the change-over days, and a few
zones skip or repeat midnight itself, so a day is never "24 hours from midnight UTC": it runs
from the first instant whose local date is that day to the first instant of the next day. The
zone is handed in (the caller builds it from the configured name), as the core reads no files.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from handyman_core.errors import InvalidInput


def day_start(day: date, zone: tzinfo) -> datetime:
    """The first instant of `day` in `zone`, in UTC. A skipped local midnight resolves (by
    PEP 495's fold=0) to the instant the clocks jumped; a repeated one to its first occurrence."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def day_bounds(day: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """`[start, end)` of `day` in `zone`, both UTC."""
    return day_start(day, zone), day_start(day + timedelta(days=1), zone)


def local_day(moment: datetime, zone: tzinfo) -> date:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("an instant must be timezone-aware")
    return moment.astimezone(zone).date()


def days_from_to(first: date, last: date, *, max_days: int = 366) -> list[date]:
    """Every day from `first` to `last`, both included; InvalidInput naming `to` when the
    span is backwards or longer than `max_days`."""
    if last < first:
        raise InvalidInput.field("to", "must not be before from")
    count = (last - first).days + 1
    if count > max_days:
        raise InvalidInput.field("to", f"must be at most {max_days} days after from")
    return list(_each_day(first, count))


def _each_day(first: date, count: int) -> Iterator[date]:
    for offset in range(count):
        yield first + timedelta(days=offset)
