"""Adding and removing in one call: every offending entry named at once, nothing applied unless
all is well, and what a valid change does to the user's states and history."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from attrs import evolve
from hypothesis import given
from hypothesis import strategies as st

from handyman_core.errors import Conflict, InvalidInput, NotFound
from handyman_core.instants import format_instant
from handyman_core.segment_changes import (
    MAX_ENTRIES,
    ChangeDraft,
    MembershipChange,
    apply_change,
    check_change,
    read_change,
)
from handyman_core.segment_history import HistoryEvent, Operation, settle
from handyman_core.segment_membership import Excluded, ExplicitState, Included, is_member
from handyman_core.segments import Percentage, Segment, SegmentName
from tests.core.segment_strategies import T0, explicit_states, salts, user_ids

NOW = T0
LATER = format_instant(NOW + timedelta(days=1))
BETA = Segment(1, SegmentName("BETA"), "", Percentage(0), "salt-beta", NOW - timedelta(days=9))
HALF = Segment(2, SegmentName("HALF"), "", Percentage(5000), "salt-half", NOW - timedelta(days=9))
OLD = Segment(3, SegmentName("OLD"), "", Percentage(0), "salt-old", NOW - timedelta(days=9), NOW)
KNOWN = {segment.name: segment for segment in (BETA, HALF, OLD)}


def problems_of(body: object) -> dict[str, str]:
    """The problems of a request whose every name is a live segment."""
    draft = read_change(body)
    live = {name: evolve(BETA, name=name) for name in draft.names()}
    try:
        check_change(draft, live, NOW)
    except (InvalidInput, Conflict) as error:
        return dict(error.fields)
    return {}


def checked(body: object) -> MembershipChange:
    draft = read_change(body)
    return check_change(draft, {name: KNOWN.get(name) for name in draft.names()}, NOW)


def test_a_valid_change_reads_without_problems() -> None:
    change = checked({"add": [{"name": "BETA", "expires_at": LATER}], "remove": ["HALF"]})
    assert [(a.segment, a.expires_at) for a in change.additions] == [
        (BETA, NOW + timedelta(days=1))
    ]
    assert change.removals == (HALF,)


@pytest.mark.parametrize(
    ("body", "field", "problem"),
    [
        ({"add": [{}]}, "add[0].name", "is required"),
        ({"add": [{"name": "beta"}]}, "add[0].name", "must be 1 to 64 characters"),
        ({"add": [{"name": 7}]}, "add[0].name", "must be 1 to 64 characters"),
        ({"add": [{"name": "A" * 65}]}, "add[0].name", "must be 1 to 64 characters"),
        ({"add": ["BETA"]}, "add[0]", "must be an object"),
        (
            {"add": [{"name": "BETA", "expires_at": "tomorrow"}]},
            "add[0].expires_at",
            "date and time",
        ),
        (
            {"add": [{"name": "BETA", "expires_at": "2030-02-30T00:00:00Z"}]},
            "add[0].expires_at",
            "not a valid calendar date",
        ),
        ({"add": [{"name": "BETA", "expires_at": 1893456000}]}, "add[0].expires_at", "string"),
        (
            {"add": [{"name": "BETA", "expires_at": format_instant(NOW)}]},
            "add[0].expires_at",
            "must be later than now",
        ),
        (
            {"add": [{"name": "BETA", "expires_at": "2020-01-01T00:00:00Z"}]},
            "add[0].expires_at",
            "must be later than now",
        ),
        ({"add": [{"name": "BETA"}, {"name": "BETA"}]}, "add[1].name", "listed twice"),
        ({"remove": ["BETA", "HALF", "BETA"]}, "remove[2]", "listed twice (also remove[0])"),
        ({"remove": [None]}, "remove[0]", "is required"),
        ({"add": {"name": "BETA"}}, "add", "must be a list"),
        ({"remove": "BETA"}, "remove", "must be a list"),
        ([], "body", "must be a JSON object"),
        ({}, "body", "at least one segment"),
        ({"add": [], "remove": []}, "body", "at least one segment"),
        ({"remove": ["BETA"] * (MAX_ENTRIES + 1)}, "remove", f"at most {MAX_ENTRIES}"),
    ],
)
def test_a_bad_entry_is_named_with_its_problem(body: object, field: str, problem: str) -> None:
    problems = problems_of(body)
    assert field in problems
    assert problem in problems[field]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"add": [{"name": "beta"}]}, InvalidInput),
        ({"add": [{"name": "BETA", "color": "red"}]}, InvalidInput),
        ({"add": [{"name": "BETA"}, {"name": "BETA"}]}, Conflict),
        ({"add": [{"name": "BETA"}], "remove": ["BETA"]}, Conflict),
        ({"add": [{"name": "BETA", "expires_at": "2020-01-01T00:00:00Z"}]}, Conflict),
        ({"add": [{"name": "BETA"}], "remove": ["OLD"]}, Conflict),
        ({"add": [{"name": "NOPE"}, {"name": "BETA"}, {"name": "BETA"}]}, NotFound),
        ({"add": [{"name": "x"}, {"name": "NOPE"}], "remove": ["OLD"]}, InvalidInput),
    ],
)
def test_malformed_is_400_unknown_404_contradictory_409_first_kind_wins(
    body: object, status: type[Exception]
) -> None:
    with pytest.raises(status):
        checked(body)


def test_a_name_both_added_and_removed_names_both_entries() -> None:
    problems = problems_of({"add": [{"name": "HALF"}, {"name": "BETA"}], "remove": ["BETA"]})
    assert problems == {
        "add[1].name": "BETA is both added and removed (also remove[0])",
        "remove[0]": "BETA is both added and removed (also add[1].name)",
    }


_GOOD = st.sampled_from(["A", "B", "C", "D", "E", "F", "G", "H"])
_DEFECTS = {
    "lowercase": lambda name: {"name": name.lower()},
    "not a string": lambda name: {"name": 1},
    "past expiry": lambda name: {"name": name, "expires_at": "2000-01-01T00:00:00Z"},
    "bad expiry": lambda name: {"name": name, "expires_at": "soon"},
}


@given(
    names=st.lists(_GOOD, min_size=1, max_size=8, unique=True),
    defects=st.lists(st.none() | st.sampled_from(sorted(_DEFECTS)), min_size=8, max_size=8),
)
def test_every_offending_entry_is_named_at_once(
    names: list[str], defects: list[str | None]
) -> None:
    entries: list[dict[str, Any]] = []
    expected: set[str] = set()
    for index, (name, defect) in enumerate(zip(names, defects, strict=False)):
        if defect is None:
            entries.append({"name": name})
            continue
        entries.append(_DEFECTS[defect](name))
        expected.add(f"add[{index}].expires_at" if "expiry" in defect else f"add[{index}].name")
    assert set(problems_of({"add": entries})) == expected


def test_an_unknown_segment_is_404_naming_every_unknown_entry() -> None:
    with pytest.raises(NotFound) as raised:
        checked({"add": [{"name": "NOPE"}, {"name": "BETA"}], "remove": ["GONE"]})
    assert raised.value.fields == {
        "add[0].name": "no segment named NOPE",
        "remove[0]": "no segment named GONE",
    }


def test_a_deleted_segment_is_409_naming_the_entry() -> None:
    with pytest.raises(Conflict) as raised:
        checked({"remove": ["BETA", "OLD"]})
    assert raised.value.fields == {"remove[1]": "segment OLD is deleted"}


def test_with_bad_unknown_and_deleted_entries_the_400_names_them_all() -> None:
    with pytest.raises(InvalidInput) as raised:
        checked({"add": [{"name": "x"}, {"name": "NOPE"}], "remove": ["OLD"]})
    assert set(raised.value.fields) == {"add[0].name", "add[1].name", "remove[0]"}


def test_with_unknown_and_deleted_entries_the_404_names_both() -> None:
    with pytest.raises(NotFound) as raised:
        checked({"add": [{"name": "NOPE"}], "remove": ["OLD"]})
    assert set(raised.value.fields) == {"add[0].name", "remove[0]"}


# --- applying a valid change --------------------------------------------------------------------

POOL = [
    Segment(sid, SegmentName(f"S{sid}"), "", Percentage(p), f"salt{sid}", NOW - timedelta(days=1))
    for sid, p in ((1, 0), (2, 5000), (3, 10_000), (4, 0))
]
expiries = st.none() | st.integers(1, 10**9).map(lambda us: NOW + timedelta(microseconds=us))


@st.composite
def changes(draw: st.DrawFn) -> MembershipChange:
    touched = draw(st.lists(st.sampled_from(POOL), unique_by=lambda s: s.segment_id, min_size=1))
    split = draw(st.integers(0, len(touched)))
    body = {
        "add": [
            {"name": s.name, **({"expires_at": format_instant(e)} if (e := draw(expiries)) else {})}
            for s in touched[:split]
        ],
        "remove": [s.name for s in touched[split:]],
    }
    draft: ChangeDraft = read_change(body)
    return check_change(draft, {s.name: s for s in POOL}, NOW)


LATER_DT = NOW + timedelta(days=1)


def checked_pool(body: object) -> MembershipChange:
    return check_change(read_change(body), {s.name: s for s in POOL}, NOW)


user_states = st.dictionaries(st.sampled_from([s.segment_id for s in POOL]), explicit_states())


def segment(segment_id: int) -> Segment:
    return next(s for s in POOL if s.segment_id == segment_id)


@given(user_id=user_ids, change=changes(), states=user_states)
def test_after_a_change_added_users_are_in_and_removed_users_out(
    user_id: int, change: MembershipChange, states: dict[int, ExplicitState]
) -> None:
    outcome = apply_change(user_id, change, states, NOW)
    for addition in change.additions:
        assert is_member(
            addition.segment, outcome.states[addition.segment.segment_id], user_id, NOW
        )
    for removed in change.removals:
        assert not is_member(removed, outcome.states[removed.segment_id], user_id, NOW)
    assert set(outcome.states) == {s.segment_id for s in change.segments()}


@given(user_id=user_ids, change=changes(), states=user_states)
def test_a_change_writes_an_event_exactly_where_membership_changed(
    user_id: int, change: MembershipChange, states: dict[int, ExplicitState]
) -> None:
    outcome = apply_change(user_id, change, states, NOW)
    expected: list[HistoryEvent] = []
    for touched in change.segments():
        before, expiry = settle(touched, user_id, states.get(touched.segment_id), NOW)
        if expiry is not None:
            expected.append(expiry)
        was = is_member(touched, before, user_id, NOW)
        now_in = is_member(touched, outcome.states[touched.segment_id], user_id, NOW)
        if was != now_in:
            operation = Operation.ADDED if now_in else Operation.REMOVED
            expected.append(HistoryEvent(touched.segment_id, user_id, operation, NOW))
    assert list(outcome.events) == expected


@given(user_id=user_ids, change=changes(), states=user_states)
def test_applying_the_same_change_again_changes_nothing(
    user_id: int, change: MembershipChange, states: dict[int, ExplicitState]
) -> None:
    once = apply_change(user_id, change, states, NOW)
    after_once = {**states, **{k: v for k, v in once.states.items() if v is not None}}
    twice = apply_change(user_id, change, after_once, NOW)
    assert twice.events == ()
    assert twice.states == once.states


def test_adding_an_existing_membership_keeps_its_start_and_updates_its_expiry() -> None:
    since = NOW - timedelta(hours=5)
    states = {1: Included(since, NOW + timedelta(hours=1))}
    change = checked_pool({"add": [{"name": "S1", "expires_at": LATER}]})
    outcome = apply_change(9, change, states, NOW)
    assert outcome.states == {1: Included(since, NOW + timedelta(days=1))}
    assert outcome.events == ()


def test_adding_without_expiry_removes_the_expiry() -> None:
    since = NOW - timedelta(hours=5)
    outcome = apply_change(
        9, checked_pool({"add": [{"name": "S1"}]}), {1: Included(since, LATER_DT)}, NOW
    )
    assert outcome.states == {1: Included(since, None)}


def test_re_adding_after_expiry_starts_a_new_membership_after_the_expiry_event() -> None:
    expired_at = NOW - timedelta(hours=1)
    states = {1: Included(NOW - timedelta(hours=5), expired_at)}
    outcome = apply_change(9, checked_pool({"add": [{"name": "S1"}]}), states, NOW)
    assert outcome.states == {1: Included(NOW, None)}
    assert outcome.events == (
        HistoryEvent(1, 9, Operation.EXPIRED, expired_at),
        HistoryEvent(1, 9, Operation.ADDED, NOW),
    )


def test_removing_a_rollout_member_excludes_it() -> None:
    everybody = segment(3)
    outcome = apply_change(9, checked_pool({"remove": [everybody.name]}), {}, NOW)
    assert outcome.states == {3: Excluded(NOW)}
    assert outcome.events == (HistoryEvent(3, 9, Operation.REMOVED, NOW),)
    assert not is_member(everybody, Excluded(NOW), 9, NOW)


def test_removing_a_non_member_writes_an_exclusion_but_no_event() -> None:
    outcome = apply_change(9, checked_pool({"remove": ["S1"]}), {}, NOW)
    assert outcome.states == {1: Excluded(NOW)}
    assert outcome.events == ()


def test_adding_a_rollout_member_pins_it_without_an_event() -> None:
    outcome = apply_change(9, checked_pool({"add": [{"name": "S3"}]}), {}, NOW)
    assert outcome.states == {3: Included(NOW, None)}
    assert outcome.events == ()


@given(salt=salts, user_id=user_ids)
def test_the_salt_of_a_change_s_segment_is_the_only_rollout_consulted(
    salt: str, user_id: int
) -> None:
    half = evolve(segment(2), salt=salt)
    change = check_change(read_change({"remove": ["S2"]}), {half.name: half}, NOW)
    outcome = apply_change(user_id, change, {}, NOW)
    was_member = is_member(half, None, user_id, NOW)
    assert bool(outcome.events) == was_member
