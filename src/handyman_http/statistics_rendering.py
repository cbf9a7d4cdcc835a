"""Rendering the statistics API's answers: a JSON array written as it is read, the `Link`
header of the next page, and the daily figures as JSON or CSV.

The array is encoded a batch of records at a time, so the worker holds one batch, never the
window; a window of a million records costs the same memory as a page.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import orjson

from handyman_core.daily_figures import ItemFigures, StoredDay, figures_by_name, hardest_tasks
from handyman_core.instants import format_instant
from handyman_core.statistics_cursor import CursorPosition, encode_cursor
from handyman_core.statistics_records import StatisticsRecord, record_json

BATCH = 1000
NEXT_PAGE_PARAMETERS = ("client", "start", "end", "limit")


def json_array(records: Iterable[StatisticsRecord], batch: int = BATCH) -> Iterator[bytes]:
    """`[record, record, ...]` in chunks of `batch` records, the brackets inside the first and
    the last chunk (each chunk is a write and a chunk header on the wire)."""
    iterator = iter(records)
    opening = b"["
    while chunk := [
        record_json(record, _encoded_instant) for record in itertools.islice(iterator, batch)
    ]:
        yield opening + orjson.dumps(chunk, option=orjson.OPT_UTC_Z)[1:-1]
        opening = b","
    yield b"]" if opening == b"," else b"[]"


def json_document(records: Iterable[StatisticsRecord]) -> bytes:
    """A page's whole array, for an answer with a length and one write."""
    return orjson.dumps(
        [record_json(record, _encoded_instant) for record in records], option=orjson.OPT_UTC_Z
    )


def _encoded_instant(moment: datetime) -> object:
    """The datetime itself where orjson writes it as `format_instant` does (in UTC, `Z` by
    OPT_UTC_Z, six fraction digits), at a tenth of the cost; orjson leaves out a zero
    fraction, so those and other zones get the text."""
    if moment.microsecond and moment.tzinfo is UTC:
        return moment
    return format_instant(moment)


def next_link(path: str, params: Mapping[str, str], after: CursorPosition) -> str:
    """RFC 8288 `Link` value for the page after `after`: the request's own parameters except
    the key (a client adds its key itself; a link is no place to repeat a secret)."""
    query = {name: params[name] for name in NEXT_PAGE_PARAMETERS if name in params}
    query["cursor"] = encode_cursor(after)
    return f'<{path}?{urlencode(query)}>; rel="next"'


def daily_json(stored: StoredDay) -> dict[str, Any]:
    """A client's day: its figures, its courses and tasks, and the hardest tasks' keys."""
    day = stored.figures
    return {
        "day": day.day.isoformat(),
        "client": day.client,
        "time_zone": stored.time_zone,
        "computed_at": format_instant(stored.computed_at),
        **figures_by_name(day.figures),
        "courses": [_item_json("course_id", item) for item in day.courses],
        "tasks": [_item_json("task_id", item) | {"course_id": item.course} for item in day.tasks],
        "hardest_tasks": [item.key for item in hardest_tasks(day.tasks)],
    }


def _item_json(key_name: str, item: ItemFigures) -> dict[str, Any]:
    return {key_name: item.key} | figures_by_name(item)
