"""The statistics API's paging cursor: the position after the last attempt of a page.

Pages are ordered by (created_at, attempt_id), a total order that new attempts only extend at
the end, so a cursor keeps pointing at the same place however many attempts arrive: paging is
stable, with no row skipped or repeated. The token is opaque to clients (URL-safe base64 of a
small JSON array) but checked strictly when it comes back, so a tampered cursor is a 400 naming
`cursor`, never an error further in.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

from attrs import frozen

from handyman_core.errors import InvalidInput
from handyman_core.instants import format_instant, parse_instant

FIELD = "cursor"
MAX_CURSOR_LENGTH = 200
MAX_ATTEMPT_ID = 2**63 - 1
_VERSION = 1


@frozen(order=True)
class CursorPosition:
    created_at: datetime
    """Timezone-aware UTC."""
    attempt_id: int


def encode_cursor(position: CursorPosition) -> str:
    document = [_VERSION, format_instant(position.created_at), position.attempt_id]
    raw = json.dumps(document, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str) -> CursorPosition:
    problem = "is not a cursor this API handed out (use the `next` link as given)"
    if not token or len(token) > MAX_CURSOR_LENGTH or not token.isascii():
        raise InvalidInput.field(FIELD, problem)
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        document = json.loads(raw)
    except (binascii.Error, ValueError):
        raise InvalidInput.field(FIELD, problem) from None
    if (
        not isinstance(document, list)
        or len(document) != 3
        or type(document[0]) is not int
        or document[0] != _VERSION
        or not isinstance(document[1], str)
        or type(document[2]) is not int
        or not 0 <= document[2] <= MAX_ATTEMPT_ID
    ):
        raise InvalidInput.field(FIELD, problem)
    try:
        created_at = parse_instant(document[1], FIELD)
    except InvalidInput:
        raise InvalidInput.field(FIELD, problem) from None
    return CursorPosition(created_at, document[2])
