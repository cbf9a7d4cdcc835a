"""Schemathesis hooks for `tests.fuzz_api` (SCHEMATHESIS_HOOKS=tests.fuzz_hooks): strategies for
the two string formats of /openapi.json whose rules JSON Schema cannot state, so that the valid
requests the fuzzer sends are valid by those rules too, as a client following the description
would send them."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import schemathesis
from hypothesis import strategies as st

from handyman_core.errors import InvalidInput
from handyman_core.instants import format_instant, parse_day, parse_instant
from handyman_core.statistics_cursor import CursorPosition, encode_cursor
from handyman_http.endpoints.statistics import DAILY_PATH, STATISTICS_PATH
from handyman_http.openapi_schemas import BASE64_TEXT_FORMAT, PROJECT_TREE_FORMAT
from handyman_http.openapi_statistics import CURSOR_FORMAT, DAY_FORMAT, INSTANT_FORMAT

_text = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), min_size=1, max_size=200
)

schemathesis.openapi.format(
    BASE64_TEXT_FORMAT,
    st.one_of(
        st.just(" "),
        _text.map(lambda code: base64.b64encode(code.encode()).decode("ascii")),
    ),
)

_names = st.from_regex(r"[a-z][a-z0-9_]{0,11}\.(py|txt)", fullmatch=True)


@st.composite
def _project_trees(draw: st.DrawFn) -> str:
    names = draw(st.lists(_names, min_size=1, max_size=4, unique=True))
    main = draw(st.sampled_from(names))
    children = [
        {"name": name, "contents": draw(_text), "is_main_file": name == main} for name in names
    ]
    return json.dumps({"name": "project", "children": children})


schemathesis.openapi.format(PROJECT_TREE_FORMAT, _project_trees())


# Learning analytics: real instants and days, cursors the API hands out, and windows whose end
# follows their start within the longest range (rules across two parameters, which JSON Schema
# cannot state either).

_MOMENTS = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(9990, 1, 1), timezones=st.just(UTC)
)
schemathesis.openapi.format(INSTANT_FORMAT, _MOMENTS.map(format_instant))
schemathesis.openapi.format(DAY_FORMAT, _MOMENTS.map(lambda moment: moment.date().isoformat()))
schemathesis.openapi.format(
    CURSOR_FORMAT,
    st.builds(CursorPosition, _MOMENTS, st.integers(0, 2**40)).map(encode_cursor),
)


@schemathesis.hook
def map_query(context: schemathesis.HookContext, query: dict[str, Any] | None) -> Any:
    if not query or context.operation is None:
        return query
    path = context.operation.path
    if path == STATISTICS_PATH and _is_instant(query.get("start")) and "end" in query:
        start = parse_instant(query["start"], "start")
        query["end"] = format_instant(start + timedelta(hours=1 + len(str(query["end"])) % 700))
    if path == DAILY_PATH and _is_day(query.get("from")) and "to" in query:
        first = parse_day(query["from"], "from")
        query["to"] = (first + timedelta(days=len(str(query["to"])) % 300)).isoformat()
    return query


def _is_instant(value: object) -> bool:
    try:
        parse_instant(str(value), "start")
    except InvalidInput:
        return False
    return isinstance(value, str)


def _is_day(value: object) -> bool:
    try:
        parse_day(str(value), "from")
    except InvalidInput:
        return False
    return isinstance(value, str)
