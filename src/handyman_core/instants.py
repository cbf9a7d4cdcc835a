"""Instants as the statistics API reads and writes them.

Reads accept the seed vendor's `YYYY-MM-DD HH:MM:SS[.ffffff]` (UTC, no offset), RFC 3339
(`2026-12-02T10:00:00+03:00`, `...Z`) and a bare date (its midnight, UTC). A `+` in an offset
sent unencoded in a query string arrives as a space; that spelling is read as `+` too, since it
cannot mean anything else. Writes are always RFC 3339 in UTC with `Z` and six fraction digits,
so answers sort as text the way they sort as time.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

from handyman_core.errors import InvalidInput

MIN_YEAR = 1970
MAX_YEAR = 9998
"""Far from datetime's limits, so adding a day or a range never overflows."""

_INSTANT = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:[Tt ](?P<time>\d{2}:\d{2}:\d{2})(?:\.(?P<fraction>\d{1,6}))?"
    r"(?P<zone>[Zz]|[+\- ]\d{2}:\d{2})?)?"
)
_WRITTEN = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")
"""What `format_instant` writes: a subset of `_INSTANT` that `datetime.fromisoformat` reads as
it is, to the same instant."""
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
INSTANT_FORMATS = (
    "YYYY-MM-DD HH:MM:SS[.ffffff] (UTC), RFC 3339 such as 2026-12-02T10:00:00Z, or YYYY-MM-DD"
)


def parse_instant(value: str, field: str) -> datetime:
    """A timezone-aware UTC datetime, or InvalidInput naming `field`. The form this API writes
    is read in one call (the statistics job reads one per record it loads)."""
    if _WRITTEN.fullmatch(value):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise InvalidInput.field(field, "is not a valid calendar date and time") from None
        return _within_range(moment, field)
    match = _INSTANT.fullmatch(value.strip())
    if match is None:
        raise InvalidInput.field(field, f"must be a date and time: {INSTANT_FORMATS}")
    try:
        moment = datetime.fromisoformat(
            f"{match['date']}T{match['time'] or '00:00:00'}"
            f".{(match['fraction'] or '0').ljust(6, '0')}"
        )
    except ValueError:
        raise InvalidInput.field(field, "is not a valid calendar date and time") from None
    zone = _zone(match["zone"], field)
    return _within_range(moment.replace(tzinfo=zone).astimezone(UTC), field)


def parse_day(value: str, field: str) -> date:
    """A calendar day written `YYYY-MM-DD`."""
    if _DAY.fullmatch(value.strip()) is None:
        raise InvalidInput.field(field, "must be a date written YYYY-MM-DD")
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput.field(field, "is not a valid calendar date") from None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise InvalidInput.field(field, f"must be between {MIN_YEAR} and {MAX_YEAR}")
    return day


def format_instant(moment: datetime) -> str:
    """RFC 3339, UTC, `Z`, microseconds always written. (One argument-free isoformat call on the
    common already-UTC value: this runs for every record the statistics API streams.)"""
    if moment.tzinfo is not UTC:
        if moment.tzinfo is None:
            raise ValueError("an instant must be timezone-aware")
        moment = moment.astimezone(UTC)
    if moment.microsecond:
        return moment.isoformat()[:-6] + "Z"
    return moment.isoformat()[:-6] + ".000000Z"


def format_seed_instant(moment: datetime) -> str:
    """The seed vendor's own spelling (UTC, no offset), which every source of that shape reads."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("an instant must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _zone(text: str | None, field: str) -> timezone:
    if text is None or text in ("Z", "z"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    hours, minutes = int(text[1:3]), int(text[4:6])
    if hours > 23 or minutes > 59:
        raise InvalidInput.field(field, "has an invalid UTC offset")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _within_range(moment: datetime, field: str) -> datetime:
    if not MIN_YEAR <= moment.year <= MAX_YEAR:
        raise InvalidInput.field(field, f"must be between the years {MIN_YEAR} and {MAX_YEAR}")
    return moment
