"""Checking a record pulled from a statistics API before it is loaded into the analytics table.

Any API of the seed's shape is a source: Handyman's own and the seed's vendor, whose records
differ in details this module absorbs. The vendor names the learner `lti_user_id` and sends
`passback_params` as a string holding a Python dict literal (`"{'oauth_consumer_key': ...}"`);
Handyman sends `user_id` and a JSON object. A record that cannot be loaded faithfully is a
`BadRecord` with the reason, which the job logs with the record and skips: one bad record must
not cost the other thousands their load.

The natural key is (oauth_consumer_key, user_id, created_at), the seed's primary key widened by
the LMS, since two LMSs may well have learners with the same id: re-pulling an overlapping
window updates those rows instead of adding copies.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from attrs import frozen

from handyman_core.attempt_types import AttemptType
from handyman_core.errors import InvalidInput
from handyman_core.instants import parse_instant
from handyman_core.unicode_text import is_storable_text

MAX_USER_ID_LENGTH = 255
MAX_ID_LENGTH = 128
MAX_TEXT_LENGTH = 2048
MAX_PASSBACK_TEXT = 8192
"""A string-encoded passback_params longer than this is refused before it is parsed."""


class BadRecord(ValueError):
    """A record that is skipped; the message is the reason, written to the job's log."""


@frozen
class AnalyticsRow:
    user_id: str
    oauth_consumer_key: str
    lis_result_sourcedid: str | None
    lis_outcome_service_url: str | None
    is_correct: int | None
    attempt_type: AttemptType
    created_at: datetime
    task_id: str | None = None
    course_id: str | None = None
    source_attempt_id: int | None = None

    @property
    def natural_key(self) -> tuple[str, str, datetime]:
        return (self.oauth_consumer_key, self.user_id, self.created_at)


def validate_record(record: object) -> AnalyticsRow:
    """The row to load, or BadRecord saying what is wrong (the first problem found)."""
    if type(record) is not dict and not isinstance(record, Mapping):
        raise BadRecord("the record is not a JSON object")
    user_id = _user_id(record)
    passback = _passback(record.get("passback_params"))
    attempt_type = _attempt_type(record.get("attempt_type"))
    is_correct = _is_correct(record.get("is_correct"), attempt_type)
    created_at = _created_at(record.get("created_at"))
    return AnalyticsRow(
        user_id=user_id,
        oauth_consumer_key=_text(passback, "oauth_consumer_key", MAX_USER_ID_LENGTH) or "",
        lis_result_sourcedid=_text(passback, "lis_result_sourcedid", MAX_TEXT_LENGTH),
        lis_outcome_service_url=_text(passback, "lis_outcome_service_url", MAX_TEXT_LENGTH),
        is_correct=is_correct,
        attempt_type=attempt_type,
        created_at=created_at,
        task_id=_text(record, "task_id", MAX_ID_LENGTH),
        course_id=_text(record, "course_id", MAX_ID_LENGTH),
        source_attempt_id=_attempt_id(record.get("attempt_id")),
    )


def _user_id(record: Mapping[str, Any]) -> str:
    name = "user_id" if "user_id" in record else "lti_user_id"
    value = record.get(name)
    if not isinstance(value, str) or not value.strip():
        raise BadRecord("user_id is missing or not a non-empty string")
    return _checked(value, name, MAX_USER_ID_LENGTH)


def _passback(value: object) -> Mapping[str, Any]:
    if type(value) is dict:
        return value
    if value is None:
        return {}
    if isinstance(value, str):
        value = _decoded_passback(value)
    if not isinstance(value, Mapping):
        raise BadRecord("passback_params is neither an object nor a string holding one")
    return value


def _decoded_passback(text: str) -> object:
    """JSON first; then a Python literal, as the seed vendor writes it (`ast.literal_eval`
    evaluates literals only, never code)."""
    if not text.strip():
        return {}
    if len(text) > MAX_PASSBACK_TEXT:
        raise BadRecord(f"passback_params is longer than {MAX_PASSBACK_TEXT} characters")
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        pass
    try:
        return ast.literal_eval(text)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise BadRecord("passback_params is a string that holds no object") from None


def _attempt_type(value: object) -> AttemptType:
    if value not in ("run", "submit"):
        raise BadRecord("attempt_type is neither 'run' nor 'submit'")
    return AttemptType(value)


def _is_correct(value: object, attempt_type: AttemptType) -> int | None:
    if value is None:
        if attempt_type is AttemptType.SUBMIT:
            raise BadRecord("is_correct is null for a submit (a submit is always judged)")
        return None
    if value is not True and value is not False and (type(value) is not int or value not in (0, 1)):
        raise BadRecord("is_correct is none of 1, 0, true, false or null")
    if attempt_type is AttemptType.RUN:
        raise BadRecord("is_correct is set for a run (a run is never judged)")
    return int(value)


def _created_at(value: object) -> datetime:
    if not isinstance(value, str):
        raise BadRecord("created_at is missing or not a string")
    try:
        return parse_instant(value, "created_at")
    except InvalidInput as error:
        raise BadRecord(f"created_at {error.fields['created_at']}") from None


def _text(source: Mapping[str, Any], name: str, limit: int) -> str | None:
    value = source.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadRecord(f"{name} is not a string")
    return _checked(value, name, limit) or None


def _checked(value: str, name: str, limit: int) -> str:
    if len(value) > limit:
        raise BadRecord(f"{name} is longer than {limit} characters")
    if "\x00" in value or not is_storable_text(value):
        raise BadRecord(f"{name} holds NUL characters or lone surrogates")
    return value


def _attempt_id(value: object) -> int | None:
    if value is None:
        return None
    if type(value) is not int or not 0 <= value < 2**63:
        raise BadRecord("attempt_id is not a non-negative integer")
    return value
