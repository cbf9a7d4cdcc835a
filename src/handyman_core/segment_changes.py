"""Adding a user to some segments and removing it from others, in one call, all or nothing.

`{"add": [{"name", "expires_at"?}], "remove": ["NAME", ...]}` is checked as a whole before
anything is written, and every offending entry is named at once: a malformed entry (400); a name
no segment ever bore (404); entries that contradict each other or the state of things — a name
listed twice, a name both added and removed, an expiry not after the request, a deleted segment
(409). When several kinds occur, the answer has the status of the first kind in that order and
names all of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from attrs import field, frozen

from handyman_core.errors import Conflict, InvalidInput, NotFound
from handyman_core.instants import parse_instant
from handyman_core.segment_history import HistoryEvent, membership_changed, settle
from handyman_core.segment_membership import Excluded, ExplicitState, Included
from handyman_core.segments import Segment, SegmentName, parse_segment_name

MAX_ENTRIES = 1000
"""Per list: one call is one transaction, and it must stay short."""


@frozen
class DraftAddition:
    field: str
    """Where the entry is in the request (`add[2].name`), to name it in errors."""
    name: SegmentName | None
    """None when the entry is malformed (already reported)."""
    expires_at: datetime | None = None

    @property
    def expiry_field(self) -> str:
        return self.field.removesuffix(".name") + ".expires_at"


@frozen
class DraftRemoval:
    field: str
    name: SegmentName | None


@frozen
class ChangeDraft:
    """A request read without looking anything up: its well-formed entries, and the problems
    found so far by entry."""

    additions: tuple[DraftAddition, ...]
    removals: tuple[DraftRemoval, ...]
    problems: Mapping[str, str]
    """Malformed entries (a 400)."""
    conflicts: Mapping[str, str] = field(factory=dict)
    """Well-formed entries that contradict each other (a 409)."""

    def entries(self) -> tuple[DraftAddition | DraftRemoval, ...]:
        return (*self.additions, *self.removals)

    def names(self) -> set[SegmentName]:
        """The well-formed names, to look up before `check_change`."""
        return {entry.name for entry in self.entries() if entry.name is not None}


@frozen
class Addition:
    segment: Segment
    expires_at: datetime | None


@frozen
class MembershipChange:
    """A checked change: live segments only, each named once."""

    additions: tuple[Addition, ...]
    removals: tuple[Segment, ...]

    def segments(self) -> list[Segment]:
        return [*(addition.segment for addition in self.additions), *self.removals]


def read_change(body: object) -> ChangeDraft:
    """The request as sent, read without a clock or a lookup: `check_change` does the rest."""
    problems: dict[str, str] = {}
    if not isinstance(body, dict):
        return ChangeDraft((), (), {"body": "must be a JSON object"})
    conflicts: dict[str, str] = {}
    for key in body:
        if key not in ("add", "remove"):
            problems[str(key)] = "is not a field of this request (expected add, remove)"
    additions = tuple(_read_additions(body.get("add", []), problems))
    removals = tuple(_read_removals(body.get("remove", []), problems))
    if not problems and not additions and not removals:
        problems["body"] = "add or remove must name at least one segment"
    _check_repeats(additions, removals, conflicts)
    return ChangeDraft(additions, removals, problems, conflicts)


def check_change(
    draft: ChangeDraft, segments: Mapping[SegmentName, Segment | None], now: datetime
) -> MembershipChange:
    """The change, once every expiry is known to be after `now` and every name to refer to a
    live segment; `segments` maps each of `draft.names()` to what it refers to now (see
    `segments.current_by_name`)."""
    invalid = dict(draft.problems)
    conflicts = dict(draft.conflicts)
    for addition in draft.additions:
        if addition.expires_at is not None and addition.expires_at <= now:
            conflicts[addition.expiry_field] = "must be later than now"
    unknown: dict[str, str] = {}
    for entry in draft.entries():
        if entry.name is None:
            continue
        segment = segments.get(entry.name)
        if segment is None:
            unknown[entry.field] = f"no segment named {entry.name}"
        elif not segment.live:
            conflicts.setdefault(entry.field, f"segment {entry.name} is deleted")
    everything = {**conflicts, **unknown, **invalid}
    if invalid:
        raise InvalidInput(everything)
    if unknown:
        raise NotFound("unknown segments: " + _names(draft, unknown), everything)
    if conflicts:
        raise Conflict("the change contradicts itself or the segments", everything)
    return MembershipChange(
        additions=tuple(
            Addition(_live(segments, addition.name), addition.expires_at)
            for addition in draft.additions
        ),
        removals=tuple(_live(segments, removal.name) for removal in draft.removals),
    )


@frozen
class ChangeOutcome:
    states: Mapping[int, ExplicitState | None]
    """The new explicit state for every segment the change touched (None: no row)."""
    events: tuple[HistoryEvent, ...]


def apply_change(
    user_id: int,
    change: MembershipChange,
    states: Mapping[int, ExplicitState],
    now: datetime,
) -> ChangeOutcome:
    """What the change does to the user's explicit states (keyed by segment id). Adding keeps
    an active inclusion's start and sets its expiry; removing excludes the user, which also
    keeps a rollout from taking the user in."""
    new_states: dict[int, ExplicitState | None] = {}
    events: list[HistoryEvent] = []
    for segment, wanted in _wanted(change, now):
        before, expiry = settle(segment, user_id, states.get(segment.segment_id), now)
        if expiry is not None:
            events.append(expiry)
        after = _combined(before, wanted)
        new_states[segment.segment_id] = after
        event = membership_changed(segment, user_id, before, after, now)
        if event is not None:
            events.append(event)
    return ChangeOutcome(new_states, tuple(events))


def _wanted(change: MembershipChange, now: datetime) -> list[tuple[Segment, ExplicitState]]:
    return [
        *((addition.segment, Included(now, addition.expires_at)) for addition in change.additions),
        *((segment, Excluded(now)) for segment in change.removals),
    ]


def _combined(before: ExplicitState | None, wanted: ExplicitState) -> ExplicitState:
    """A repeated add or remove keeps the state's start; an add sets the new expiry."""
    if isinstance(before, Included) and isinstance(wanted, Included):
        return Included(before.since, wanted.expires_at)
    if isinstance(before, Excluded) and isinstance(wanted, Excluded):
        return before
    return wanted


def _read_additions(value: object, problems: dict[str, str]) -> list[DraftAddition]:
    if not isinstance(value, list):
        problems["add"] = "must be a list of {name, expires_at?} objects"
        return []
    if len(value) > MAX_ENTRIES:
        problems["add"] = f"must have at most {MAX_ENTRIES} entries"
        return []
    additions = []
    for index, entry in enumerate(value):
        field = f"add[{index}]"
        if not isinstance(entry, dict):
            problems[field] = "must be an object {name, expires_at?}"
            continue
        for key in entry:
            if key not in ("name", "expires_at"):
                problems[f"{field}.{key}"] = (
                    "is not a field of an entry (expected name, expires_at)"
                )
        name = _name(entry.get("name"), f"{field}.name", problems)
        expires_at = _expiry(entry.get("expires_at"), f"{field}.expires_at", problems)
        additions.append(DraftAddition(f"{field}.name", name, expires_at))
    return additions


def _read_removals(value: object, problems: dict[str, str]) -> list[DraftRemoval]:
    if not isinstance(value, list):
        problems["remove"] = "must be a list of segment names"
        return []
    if len(value) > MAX_ENTRIES:
        problems["remove"] = f"must have at most {MAX_ENTRIES} entries"
        return []
    return [
        DraftRemoval(f"remove[{index}]", _name(entry, f"remove[{index}]", problems))
        for index, entry in enumerate(value)
    ]


def _name(value: object, field: str, problems: dict[str, str]) -> SegmentName | None:
    if value is None:
        problems[field] = "is required"
        return None
    try:
        return parse_segment_name(value, field)
    except InvalidInput as error:
        problems.update(error.fields)
        return None


def _expiry(value: object, field: str, problems: dict[str, str]) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        problems[field] = "must be an RFC 3339 date-time string, e.g. 2026-07-01T12:00:00Z"
        return None
    try:
        return parse_instant(value, field)
    except InvalidInput as error:
        problems.update(error.fields)
        return None


def _check_repeats(
    additions: tuple[DraftAddition, ...],
    removals: tuple[DraftRemoval, ...],
    problems: dict[str, str],
) -> None:
    first_added: dict[SegmentName, str] = {}
    first_removed: dict[SegmentName, str] = {}
    lists: tuple[tuple[tuple[DraftAddition | DraftRemoval, ...], dict[SegmentName, str]], ...] = (
        (additions, first_added),
        (removals, first_removed),
    )
    for entries, first in lists:
        for entry in entries:
            if entry.name is None:
                continue
            if entry.name in first:
                problems[entry.field] = f"{entry.name} is listed twice (also {first[entry.name]})"
            else:
                first[entry.name] = entry.field
    for name in first_added.keys() & first_removed.keys():
        added, removed = first_added[name], first_removed[name]
        problems[added] = f"{name} is both added and removed (also {removed})"
        problems[removed] = f"{name} is both added and removed (also {added})"


def _names(draft: ChangeDraft, fields: Mapping[str, str]) -> str:
    return ", ".join(
        sorted({entry.name for entry in draft.entries() if entry.field in fields and entry.name})
    )


def _live(segments: Mapping[SegmentName, Segment | None], name: SegmentName | None) -> Segment:
    segment = segments.get(name) if name is not None else None
    assert segment is not None and segment.live
    return segment
