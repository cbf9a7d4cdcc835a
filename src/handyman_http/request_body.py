"""Turning a request body into a typed value, with one report naming every bad field.

cattrs does the structuring; its default converter coerces (`"1"` becomes 1), which would let
bad input through, so this converter accepts only the JSON type each field declares.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar, cast

import attrs
import cattrs
from cattrs.errors import ClassValidationError

from handyman_core.errors import InvalidInput
from handyman_core.unicode_text import INVALID_UNICODE, is_storable, printable_name

T = TypeVar("T")

converter = cattrs.Converter(forbid_extra_keys=False)


def _strict(expected: type, description: str) -> Any:
    def structure(value: object, _: type) -> object:
        if type(value) is not expected:
            raise TypeError(f"must be {description}")
        return value

    return structure


converter.register_structure_hook(str, _strict(str, "a string"))
converter.register_structure_hook(bool, _strict(bool, "a boolean"))
converter.register_structure_hook(int, _strict(int, "an integer"))


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object; an empty body counts as `{}` (the site always sends one)."""
    if not raw.strip():
        return {}
    try:
        document = json.loads(raw)
    except UnicodeDecodeError:
        raise InvalidInput({"body": "must be UTF-8 encoded JSON"}) from None
    except RecursionError:
        raise InvalidInput({"body": "is nested too deeply"}) from None
    except json.JSONDecodeError as error:
        raise InvalidInput(
            {"body": f"is not valid JSON (at line {error.lineno} column {error.colno})"}
        ) from None
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
    try:
        return converter.structure(cleaned, cls)
    except ClassValidationError as error:
        raise InvalidInput(_field_problems(error)) from None


def _field_problems(error: ClassValidationError) -> dict[str, str]:
    problems: dict[str, str] = {}
    with_notes, without_notes = error.group_exceptions()
    for exception, note in with_notes:
        name = getattr(note, "name", "body")
        if isinstance(exception, KeyError):
            problems[str(name)] = "is required"
        else:
            problems[str(name)] = str(exception) or "has the wrong type"
    for exception in without_notes:
        problems.setdefault("body", str(exception))
    return problems
