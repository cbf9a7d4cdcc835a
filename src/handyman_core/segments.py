"""Segments of learners: a named set of user ids, explicit (users added one by one) and/or
computed (a percentage rollout over every user id).

A segment is never erased. Deleting one flags it; its members leave it at that instant and its
history stays. The name is then free for a new segment, which gets a new id and a new salt, so the
old segment's history and rollout stay apart from the new one's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import NewType, TypeVar

from attrs import evolve, frozen

from handyman_core.errors import Conflict, InvalidInput, NotFound
from handyman_core.unicode_text import check_storable_text

SegmentName = NewType("SegmentName", str)
_T = TypeVar("_T")

SEGMENT_NAME_RE = re.compile(r"[A-Z][A-Z0-9_]{0,63}")
SEGMENT_NAME_PROBLEM = (
    "must be 1 to 64 characters: an uppercase letter, then uppercase letters, digits or _"
)
MAX_DESCRIPTION_LENGTH = 2000
BUCKETS = 10_000
"""A percentage is counted in hundredths, so p% of the users are the buckets below 100·p."""


def parse_segment_name(value: object, field: str) -> SegmentName:
    if not isinstance(value, str) or SEGMENT_NAME_RE.fullmatch(value) is None:
        raise InvalidInput.field(field, SEGMENT_NAME_PROBLEM)
    return SegmentName(value)


def parse_description(value: object, field: str = "description") -> str:
    if not isinstance(value, str):
        raise InvalidInput.field(field, "must be a string")
    if len(value) > MAX_DESCRIPTION_LENGTH:
        raise InvalidInput.field(field, f"must be at most {MAX_DESCRIPTION_LENGTH} characters")
    return check_storable_text(value, field)


@frozen(order=True)
class Percentage:
    """A share of all users, exact to a hundredth of a percent."""

    hundredths: int

    def __attrs_post_init__(self) -> None:
        if not 0 <= self.hundredths <= BUCKETS:
            raise ValueError(f"a percentage is 0 to {BUCKETS} hundredths, not {self.hundredths}")

    @classmethod
    def parse(cls, value: object, field: str = "percentage") -> Percentage:
        """A JSON number from 0 to 100 with at most two decimals (`12.5` is 1250 hundredths)."""
        problem = "must be a number from 0 to 100 with at most two decimals"
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidInput.field(field, problem)
        try:
            hundredths = Decimal(repr(value)) * 100
        except InvalidOperation:
            raise InvalidInput.field(field, problem) from None
        if not hundredths.is_finite() or hundredths != hundredths.to_integral_value():
            raise InvalidInput.field(field, problem)
        if not 0 <= hundredths <= BUCKETS:
            raise InvalidInput.field(field, problem)
        return cls(int(hundredths))

    def as_json(self) -> int | float:
        whole, rest = divmod(self.hundredths, 100)
        return whole if rest == 0 else self.hundredths / 100

    def __str__(self) -> str:
        return str(self.as_json())


NO_ROLLOUT = Percentage(0)


@frozen
class Segment:
    segment_id: int
    name: SegmentName
    description: str
    percentage: Percentage
    salt: str
    """Mixed into every user's bucket, so two segments' rollouts are independent."""
    created_at: datetime
    deleted_at: datetime | None = None

    @property
    def live(self) -> bool:
        return self.deleted_at is None


@frozen
class SegmentSummary:
    segment: Segment
    members: int
    """Explicit members now (a rollout's members are a share of every user id there is)."""


def current_by_name(segments: list[Segment]) -> Segment | None:
    """Of the segments that ever bore one name, the one a name refers to now: the live one, or
    else the most recently deleted (to tell "deleted" from "unknown")."""
    live = [segment for segment in segments if segment.live]
    if live:
        return live[0]
    return max(segments, key=lambda segment: segment.segment_id, default=None)


def require_live(segment: Segment | None, name: str) -> Segment:
    if segment is None:
        raise NotFound(f"no segment named {name}")
    if not segment.live:
        raise Conflict(f"segment {name} is deleted")
    return segment


def check_name_free(name: SegmentName, current: Segment | None) -> None:
    """A live segment keeps its name; a deleted one's name may be used again."""
    if current is not None and current.live:
        raise Conflict(f"a segment named {name} already exists")


def deleted(segment: Segment | None, name: str, now: datetime) -> Segment:
    """The segment flagged deleted at `now`. Deleting twice is a conflict, not a no-op, so a
    client that deletes the wrong thing hears about it."""
    if segment is not None and not segment.live:
        raise Conflict(f"segment {name} is already deleted")
    return evolve(require_live(segment, name), deleted_at=now)


@frozen
class NewSegment:
    name: SegmentName
    description: str = ""
    percentage: Percentage = NO_ROLLOUT


@frozen
class SegmentEdit:
    """What a PATCH changes; None leaves a field as it is."""

    percentage: Percentage | None = None
    description: str | None = None


def read_new_segment(body: object) -> NewSegment:
    """`{"name", "percentage"?, "description"?}`, every bad field named at once."""
    fields = _object(body)
    problems = _unknown_keys(fields, ("name", "percentage", "description"))
    name = None
    if "name" in fields:
        name = _field(problems, parse_segment_name, fields["name"], "name")
    else:
        problems["name"] = "is required"
    percentage: Percentage | None = NO_ROLLOUT
    if "percentage" in fields:
        percentage = _field(problems, Percentage.parse, fields["percentage"], "percentage")
    description: str | None = ""
    if "description" in fields:
        description = _field(problems, parse_description, fields["description"], "description")
    if problems:
        raise InvalidInput(problems)
    assert name is not None and percentage is not None and description is not None
    return NewSegment(name, description, percentage)


def read_segment_edit(body: object) -> SegmentEdit:
    """`{"percentage"?, "description"?}` with at least one of them."""
    fields = _object(body)
    problems = _unknown_keys(fields, ("percentage", "description"))
    percentage = description = None
    if "percentage" in fields:
        percentage = _field(problems, Percentage.parse, fields["percentage"], "percentage")
    if "description" in fields:
        description = _field(problems, parse_description, fields["description"], "description")
    if problems:
        raise InvalidInput(problems)
    if percentage is None and description is None:
        raise InvalidInput.field("body", "give percentage or description to change")
    return SegmentEdit(percentage, description)


def _unknown_keys(fields: dict[str, object], known: tuple[str, ...]) -> dict[str, str]:
    """A key the request does not define is refused rather than ignored: a misspelt
    `percentage` must not go unnoticed."""
    expected = "expected " + ", ".join(known)
    return {
        key: f"is not a field of this request ({expected})" for key in fields if key not in known
    }


def _object(body: object) -> dict[str, object]:
    if not isinstance(body, dict):
        raise InvalidInput.field("body", "must be a JSON object")
    return body


def _field(
    problems: dict[str, str], parse: Callable[[object, str], _T], value: object, field: str
) -> _T | None:
    try:
        return parse(value, field)
    except InvalidInput as error:
        problems.update(error.fields)
        return None
