"""The paging cursor: what the API hands out comes back as the same position, and anything
else is a 400 naming `cursor`, never a crash."""

from __future__ import annotations

import base64
import json
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handyman_core.errors import InvalidInput
from handyman_core.statistics_cursor import (
    MAX_ATTEMPT_ID,
    CursorPosition,
    decode_cursor,
    encode_cursor,
)
from tests.core.analytics_strategies import instants

positions = st.builds(CursorPosition, instants, st.integers(0, MAX_ATTEMPT_ID))


@given(positions)
def test_a_cursor_decodes_to_the_position_it_was_made_from(position: CursorPosition) -> None:
    assert decode_cursor(encode_cursor(position)) == position


@given(positions)
def test_a_cursor_is_url_safe_text(position: CursorPosition) -> None:
    token = encode_cursor(position)

    assert token.isascii()
    assert not set(token) & set("+/=&?# ")


@given(st.text(max_size=80))
def test_any_other_text_is_refused_naming_cursor(token: str) -> None:
    try:
        decode_cursor(token)
    except InvalidInput as error:
        assert set(error.fields) == {"cursor"}


def _token(document: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(document).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "document",
    [
        [2, "2026-12-02T00:00:00Z", 1],
        [True, "2026-12-02T00:00:00Z", 1],
        [1, "2026-12-02T00:00:00Z", -1],
        [1, "2026-12-02T00:00:00Z", 2**63],
        [1, "2026-12-02T00:00:00Z", 1.5],
        [1, "not a time", 1],
        [1, "2026-12-02T00:00:00Z"],
        {"t": "2026-12-02T00:00:00Z", "id": 1},
    ],
)
def test_well_encoded_but_wrong_documents_are_refused(document: object) -> None:
    with pytest.raises(InvalidInput) as raised:
        decode_cursor(_token(document))

    assert set(raised.value.fields) == {"cursor"}


def test_positions_order_by_time_then_attempt_id() -> None:
    early = datetime.fromisoformat("2026-12-02T00:00:00+00:00")
    late = datetime.fromisoformat("2026-12-02T00:00:01+00:00")

    assert CursorPosition(early, 9) < CursorPosition(late, 1) < CursorPosition(late, 2)
