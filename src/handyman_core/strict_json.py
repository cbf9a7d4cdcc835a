"""JSON structured without coercion: `"1"` is not an int and `1` is not a string, unlike
cattrs' defaults. Every problem becomes an InvalidInput naming the field, so request bodies,
project trees and runner bodies all report bad input the same way."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar, get_args, get_origin

import attrs
import cattrs
from cattrs.cols import homogenous_tuple_structure_factory
from cattrs.gen import make_dict_structure_fn

from handyman_core.errors import InvalidInput
from handyman_core.unicode_text import INVALID_UNICODE, is_storable

_T = TypeVar("_T")


class JsonShapeError(ValueError):
    """A JSON value of the wrong kind; the message says what was expected."""


def load_json_document(document: str, field: str) -> Any:
    """A JSON document carried inside a string field."""
    try:
        value = json.loads(document)
    except (ValueError, RecursionError):
        raise InvalidInput.field(field, "is not a valid JSON document") from None
    if not is_storable(value):
        raise InvalidInput.field(field, INVALID_UNICODE)
    return value


def strict_json_converter() -> cattrs.Converter:
    """A converter that never coerces: `"1"` is not an int, `1` is not a string or a bool, a
    string is not a list (only an integral float is taken as the integer it is). Unknown
    object keys are ignored, as Go's decoder did."""
    converter = cattrs.Converter(detailed_validation=True)
    converter.register_structure_hook(str, _exactly(str, "must be a string"))
    converter.register_structure_hook(bool, _exactly(bool, "must be true or false"))
    converter.register_structure_hook(int, _integer)
    converter.register_structure_hook_factory(_is_homogeneous_tuple, _json_array_hook)
    converter.register_structure_hook_factory(attrs.has, _json_object_hook)
    return converter


def structure_json(converter: cattrs.Converter, value: object, cls: type[_T], field: str) -> _T:
    """`cls` from a parsed JSON value, or InvalidInput. When `field` is "", each problem is
    reported under the top-level key it concerns (a whole-value problem under `body`)."""
    try:
        return converter.structure(value, cls)
    except (cattrs.BaseValidationError, JsonShapeError) as error:
        raise InvalidInput(_problems(error, field)) from None


def _problems(error: Exception, field: str) -> dict[str, str]:
    problems: dict[str, list[str]] = {}
    for message in cattrs.transform_error(error, path="", format_exception=_describe):
        description, _, path = message.rpartition(" @ ")
        name, rest = _split_path(path)
        if field:
            name, rest = field, path.lstrip(".")
        problems.setdefault(name or "body", []).append(
            f"{rest} {description}" if rest else description
        )
    return {name: "; ".join(texts) for name, texts in problems.items()}


def _split_path(path: str) -> tuple[str, str]:
    """`.children[0].name` -> (`children`, `[0].name`)."""
    path = path.lstrip(".")
    end = min((at for at in (path.find("."), path.find("[")) if at >= 0), default=len(path))
    return path[:end], path[end:].lstrip(".")


def _describe(error: BaseException, _type: object) -> str:
    if isinstance(error, KeyError):
        return "is required"
    if isinstance(error, JsonShapeError):
        return str(error)
    if isinstance(error, cattrs.ForbiddenExtraKeysError):
        return "has unknown keys: " + ", ".join(sorted(error.extra_fields))
    return "has an invalid value"


def _exactly(kind: type[_T], problem: str) -> Callable[[object, type], _T]:
    def structure(value: object, _: type) -> _T:
        if type(value) is not kind:
            raise JsonShapeError(problem)
        return value

    return structure


def _integer(value: object, _: type) -> int:
    """JSON has one number type: 2.0 is the integer 2 (JSON Schema's "integer" says so too), so
    a schema-driven client may send it; 2.5, "2" and true are still not integers."""
    if type(value) is float and value.is_integer():
        return int(value)
    if type(value) is not int:
        raise JsonShapeError("must be an integer")
    return value


def _is_homogeneous_tuple(cls: object) -> bool:
    arguments = get_args(cls)
    return get_origin(cls) is tuple and len(arguments) == 2 and arguments[1] is Ellipsis


def _json_array_hook(cls: Any, converter: cattrs.Converter) -> Callable[[object, type], Any]:
    structure_items = homogenous_tuple_structure_factory(cls, converter)

    def structure(value: object, target: type) -> Any:
        if not isinstance(value, list):
            raise JsonShapeError("must be a list")
        return structure_items(value, target)

    return structure


def _json_object_hook(cls: Any, converter: cattrs.Converter) -> Callable[[object, type], Any]:
    structure_fields = make_dict_structure_fn(cls, converter)

    def structure(value: object, target: type) -> Any:
        if not isinstance(value, dict):
            raise JsonShapeError("must be a JSON object")
        return structure_fields(value, target)

    return structure


STRICT_CONVERTER = strict_json_converter()
