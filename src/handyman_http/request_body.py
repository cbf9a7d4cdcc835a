"""Turning a request body into a typed value, with one report naming every bad field.

The core's strict converter does the structuring (no coercion: `"1"` is not an int); this module
adds what only HTTP bodies need: the body itself, and the original's lenient key matching.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar, cast

import attrs
import orjson

from handyman_core.errors import InvalidInput
from handyman_core.strict_json import STRICT_CONVERTER, structure_json
from handyman_core.unicode_text import INVALID_UNICODE, is_storable, printable_name

T = TypeVar("T")


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object; an empty body counts as `{}` (the site always sends one).

    orjson reads what the site sends; what it refuses (not UTF-8, lone surrogates, NaN, very
    deep nesting, broken JSON) is read again by the standard library, whose answer, a document
    or a precise error, is the one the endpoints have always given. A document orjson accepted
    holds no lone surrogate, so only the other path checks for them."""
    if not raw.strip():
        return {}
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return _checked_object(_standard_json(raw))
    if not isinstance(document, dict):
        raise InvalidInput({"body": "must be a JSON object"})
    return document


def _checked_object(document: Any) -> dict[str, Any]:
    """What only the standard library lets through: a lone surrogate escape (orjson refuses
    those), reported under the key it is in."""
    if not isinstance(document, dict):
        raise InvalidInput({"body": "must be a JSON object"})
    problems = {
        printable_name(key): INVALID_UNICODE
        for key, value in document.items()
        if not is_storable([key, value])
    }
    if problems:
        raise InvalidInput(problems)
    return document


def _standard_json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except UnicodeDecodeError:
        raise InvalidInput({"body": "must be UTF-8 encoded JSON"}) from None
    except RecursionError:
        raise InvalidInput({"body": "is nested too deeply"}) from None
    except json.JSONDecodeError as error:
        raise InvalidInput(
            {"body": f"is not valid JSON (at line {error.lineno} column {error.colno})"}
        ) from None


def structure_body(document: dict[str, Any], cls: type[T]) -> T:
    """Structure like the original's Go decoder: unknown keys ignored, `null` leaves the default,
    keys matched case-insensitively when there is no exact match."""
    names = {field.name for field in attrs.fields(cast(Any, cls))}
    lowered = {name.lower(): name for name in names}
    cleaned: dict[str, Any] = {}
    for key, value in document.items():
        name = key if key in names else lowered.get(key.lower())
        if name is None or value is None or (name != key and name in document):
            continue
        cleaned[name] = value
    return structure_json(STRICT_CONVERTER, cleaned, cls, "")
