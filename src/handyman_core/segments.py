"""Segments of learners: a named set of user ids, explicit (users added one by one) and/or
computed (a percentage rollout over every user id).

A segment is never erased. Deleting one flags it; its members leave it at that instant and its
history stays. The name is then free for a new segment, which gets a new id and a new salt, so the
old segment's history and rollout stay apart from the new one's.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import NewType

from attrs import evolve, frozen

from handyman_core.errors import Conflict, InvalidInput, NotFound
from handyman_core.unicode_text import check_storable_text

SegmentName = NewType("SegmentName", str)

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
