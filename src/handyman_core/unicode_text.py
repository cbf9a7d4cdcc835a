"""Text that can be stored and sent on: JSON's `\\ud800` escapes decode to lone surrogates, which
no UTF-8 encoder (PostgreSQL's, the response writer's) accepts, so they are refused at the edge."""

from __future__ import annotations

import json

from handyman_core.errors import InvalidInput

INVALID_UNICODE = "contains invalid Unicode (a lone surrogate escape)"

STORABLE_TEXT_PATTERN = r"^[^\u0000]*$"
"""No NUL (PostgreSQL text cannot hold it), as the OpenAPI document says it of every text field
`check_storable_text` guards: a regular expression in the syntax JSON Schema (ECMA 262) and
Python share. Lone surrogates cannot be written as a pattern; the document says so in words."""


def is_storable(value: object) -> bool:
    """Whether a parsed JSON value encodes as UTF-8 (every string in it, keys included)."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def is_storable_text(value: str) -> bool:
    """`is_storable` for one string, at a fraction of the cost: ASCII is known at once, and
    other text encodes unless it holds a lone surrogate."""
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def printable_name(key: str) -> str:
    """A field name safe to echo back in an error report, whatever the client sent."""
    return key.encode("utf-8", "replace").decode("utf-8")


def check_storable_text(value: str, field: str) -> str:
    """Text both databases store alike: no NUL (PostgreSQL text cannot hold it) and no lone
    surrogate (no UTF-8 encoder accepts it)."""
    if "\x00" in value:
        raise InvalidInput.field(field, "must not contain NUL characters")
    if not is_storable(value):
        raise InvalidInput.field(field, INVALID_UNICODE)
    return value
