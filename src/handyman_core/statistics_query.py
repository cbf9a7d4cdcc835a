"""A request to the statistics API, checked in one pass: every bad field reported together.

`[start, end)` is half-open so that consecutive windows never count an attempt twice, and a
window may span at most `max_range` (a month by default) so that one request cannot ask the
server to stream its whole history. Without `limit` the whole window is streamed in one answer
(what the seed vendor's clients expect); with it, pages of at most `MAX_LIMIT` records follow
each other through a cursor.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import TypeVar

from attrs import frozen

from handyman_core.errors import InvalidInput
from handyman_core.instants import parse_instant
from handyman_core.statistics_cursor import CursorPosition, decode_cursor

_T = TypeVar("_T")

MAX_LIMIT = 10_000
DEFAULT_MAX_RANGE = timedelta(days=31)
MAX_NAME_LENGTH = 64
MAX_KEY_LENGTH = 256


@frozen
class TimeWindow:
    start: datetime
    end: datetime
    """Exclusive; both timezone-aware UTC."""

    def __contains__(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


@frozen
class StatisticsQuery:
    client: str
    client_key: str
    window: TimeWindow
    limit: int | None
    after: CursorPosition | None


def parse_statistics_query(
    params: Mapping[str, str], *, max_range: timedelta = DEFAULT_MAX_RANGE
) -> StatisticsQuery:
    problems: dict[str, str] = {}
    client = _collect(problems, lambda: _credential(params, "client", MAX_NAME_LENGTH))
    client_key = _collect(problems, lambda: _credential(params, "client_key", MAX_KEY_LENGTH))
    start = _collect(problems, lambda: parse_instant(_required(params, "start"), "start"))
    end = _collect(problems, lambda: parse_instant(_required(params, "end"), "end"))
    limit = _collect(problems, lambda: _limit(params.get("limit")))
    after = _collect(
        problems, lambda: decode_cursor(params["cursor"]) if "cursor" in params else None
    )
    if start is not None and end is not None:
        if end <= start:
            problems["end"] = "must be after start"
        elif end - start > max_range:
            problems["end"] = (
                f"must be at most {_describe(max_range)} after start; ask for longer periods "
                "one window at a time"
            )
    if problems:
        raise InvalidInput(problems)
    assert client is not None and client_key is not None
    assert start is not None and end is not None
    return StatisticsQuery(client, client_key, TimeWindow(start, end), limit, after)


def _collect(problems: dict[str, str], parse: Callable[[], _T]) -> _T | None:
    """The parsed value, or None with its problems added to `problems`."""
    try:
        return parse()
    except InvalidInput as error:
        problems.update(error.fields)
        return None


def _required(params: Mapping[str, str], name: str) -> str:
    value = params.get(name, "")
    if not value.strip():
        raise InvalidInput.field(name, "is required")
    return value


def _credential(params: Mapping[str, str], name: str, limit: int) -> str:
    """Any text: a name or key that matches no client is a 401, not a malformed request."""
    value = params.get(name, "")
    if not value:
        raise InvalidInput.field(name, "is required")
    if len(value) > limit:
        raise InvalidInput.field(name, f"must be at most {limit} characters")
    return value


def _limit(value: str | None) -> int | None:
    if value is None:
        return None
    if not value.isascii() or not value.isdigit():
        raise InvalidInput.field("limit", f"must be a whole number from 1 to {MAX_LIMIT}")
    limit = int(value)
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput.field("limit", f"must be a whole number from 1 to {MAX_LIMIT}")
    return limit


def _describe(span: timedelta) -> str:
    if span % timedelta(days=1) == timedelta(0):
        return f"{span.days} days"
    return f"{span.total_seconds():g} seconds"
