"""The store's segment transactions give exactly what the core's rules give, on SQLite and
PostgreSQL, over random sequences of operations: creating, deleting and re-creating segments,
changing percentages, adding and removing users (bad requests included), letting time pass and
running the expiry job.

The reference model below folds the core's functions over plain dictionaries. It settles every
expired inclusion as soon as the clock passes it, while the store settles lazily (on the next
write touching it, a percentage change, a deletion or the expiry job) and reports unsettled
expiries from their rows: the two must read the same at every step.

Examples share the test's database, so each uses its own segment names and user ids.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest
from attrs import define, field, frozen
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from handyman_core.errors import HandymanError
from handyman_core.instants import format_instant
from handyman_core.segment_buckets import PercentageChange
from handyman_core.segment_changes import apply_change, check_change, read_change
from handyman_core.segment_history import (
    HistoryEvent,
    creation_events,
    deletion_events,
    percentage_event,
    settle,
)
from handyman_core.segment_membership import (
    ActiveSegment,
    ExplicitState,
    SegmentRollout,
    active_segments,
    effective_state,
)
from handyman_core.segment_report import ReportPeriod, ReportRow, report_order
from handyman_core.segments import (
    NewSegment,
    Percentage,
    Segment,
    SegmentEdit,
    SegmentName,
    check_name_free,
    current_by_name,
    deleted,
    require_live,
)
from handyman_store.store import Store
from tests.core.segment_strategies import T0

DB_EXAMPLES = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
BASE_NAMES = ("ALPHA", "BETA")
USERS = 3
MINUTE = timedelta(minutes=1)
_examples = itertools.count(1)


@frozen
class Create:
    name: int
    percentage: Percentage


@frozen
class Delete:
    name: int


@frozen
class SetPercentage:
    name: int
    percentage: Percentage


@frozen
class Change:
    user: int
    add: tuple[tuple[int, int | None], ...]
    """(name, expiry in minutes from now) — expiries may be in the past, names repeated."""
    remove: tuple[int, ...]


@frozen
class Advance:
    minutes: int


@frozen
class Expire:
    pass


Operation = Create | Delete | SetPercentage | Change | Advance | Expire

name_indexes = st.integers(0, len(BASE_NAMES))
"""One past the base names: a name no segment ever bears."""
rollout_percentages = st.sampled_from([0, 2500, 5000, 7500, 10_000]).map(Percentage)
creations = st.tuples(*(st.builds(Create, st.just(i), rollout_percentages) for i in range(2)))
operations = st.lists(
    st.one_of(
        st.builds(Create, name_indexes, rollout_percentages),
        st.builds(Delete, name_indexes),
        st.builds(SetPercentage, name_indexes, rollout_percentages),
        st.builds(
            Change,
            st.integers(0, USERS - 1),
            st.lists(st.tuples(name_indexes, st.none() | st.integers(-10, 90)), max_size=3).map(
                tuple
            ),
            st.lists(name_indexes, max_size=3).map(tuple),
        ),
        st.builds(Advance, st.integers(0, 45)),
        st.just(Expire()),
    ),
    min_size=1,
    max_size=16,
)


@define
class Model:
    """Segments, explicit states and history, as the core's rules make them."""

    now: datetime = T0
    segments: dict[int, Segment] = field(factory=dict)
    states: dict[tuple[int, int], ExplicitState] = field(factory=dict)
    events: list[HistoryEvent] = field(factory=list)

    def named(self, name: SegmentName) -> Segment | None:
        return current_by_name([s for s in self.segments.values() if s.name == name])

    def log(self, events: Sequence[HistoryEvent]) -> None:
        self.events.extend(events)

    def advance(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)
        for (user_id, segment_id), state in sorted(self.states.items()):
            settled, event = settle(self.segments[segment_id], user_id, state, self.now)
            if event is not None:
                self.events.append(event)
            if settled is None:
                del self.states[(user_id, segment_id)]

    def user_states(self, user_id: int) -> dict[int, ExplicitState]:
        return {sid: state for (uid, sid), state in self.states.items() if uid == user_id}

    def segment_states(self, segment_id: int) -> list[tuple[int, ExplicitState]]:
        return sorted((uid, s) for (uid, sid), s in self.states.items() if sid == segment_id)

    def rollout_changes(self, segment_id: int) -> list[PercentageChange]:
        return [
            PercentageChange(event.at, event.percentage)
            for event in self.events
            if event.segment_id == segment_id and event.percentage is not None
        ]

    def active(self, user_id: int) -> list[ActiveSegment]:
        states = self.user_states(user_id)
        candidates = [
            SegmentRollout(segment, self.rollout_changes(segment.segment_id))
            for segment in self.segments.values()
            if segment.live
        ]
        return active_segments(user_id, candidates, states, self.now)

    def members(self, segment: Segment) -> int:
        return sum(
            1
            for _, state in self.segment_states(segment.segment_id)
            if type(effective_state(state, self.now)).__name__ == "Included"
        )


@define
class Example:
    store: Store
    prefix: str
    first_user: int
    model: Model = field(factory=Model)

    def name(self, index: int) -> SegmentName:
        base = BASE_NAMES[index] if index < len(BASE_NAMES) else "NEVER"
        return SegmentName(f"{self.prefix}_{base}")

    def user(self, index: int) -> int:
        return self.first_user + index

    def run(self, operation: Operation) -> None:
        model, now = self.model, self.model.now
        match operation:
            case Advance(minutes):
                model.advance(minutes)
            case Expire():
                self.store.expire_memberships(now=now)
            case Create(index, percentage):
                name = self.name(index)
                expected = _outcome(lambda: check_name_free(name, model.named(name)))
                salt = f"{name}-{len(model.segments)}"
                created = _outcome(
                    lambda: self.store.create_segment(
                        NewSegment(name, "", percentage), salt=salt, now=now
                    )
                )
                assert _kind(created) == _kind(expected)
                if isinstance(created, Segment):
                    assert created == Segment(created.segment_id, name, "", percentage, salt, now)
                    model.segments[created.segment_id] = created
                    model.log(creation_events(created))
            case Delete(index):
                name = self.name(index)
                current = model.named(name)
                expected = _outcome(lambda: deleted(current, name, now))
                assert _kind(_outcome(lambda: self.store.delete_segment(name, now=now))) == _kind(
                    expected
                )
                if isinstance(expected, Segment) and current is not None:
                    states = model.segment_states(current.segment_id)
                    model.log(deletion_events(current, states, now))
                    for user_id, _ in states:
                        del model.states[(user_id, current.segment_id)]
                    model.segments[current.segment_id] = expected
            case SetPercentage(index, percentage):
                name = self.name(index)
                current = model.named(name)
                expected = _outcome(lambda: require_live(current, name))
                changed = _outcome(
                    lambda: self.store.change_segment(name, SegmentEdit(percentage, None), now=now)
                )
                assert _kind(changed) == _kind(expected)
                if isinstance(expected, Segment):
                    event = percentage_event(expected, percentage, now)
                    model.log([] if event is None else [event])
                    model.segments[expected.segment_id] = Segment(
                        expected.segment_id,
                        name,
                        "",
                        percentage,
                        expected.salt,
                        expected.created_at,
                    )
            case Change(user_index, add, remove):
                user_id = self.user(user_index)
                body = self.body(add, remove)
                draft = read_change(body)
                lookup = {name: model.named(name) for name in draft.names()}

                def in_core() -> Any:
                    return apply_change(
                        user_id, check_change(draft, lookup, now), model.user_states(user_id), now
                    )

                expected = _outcome(in_core)
                stored = _outcome(lambda: self.store.change_memberships(user_id, draft, now=now))
                assert _kind(stored) == _kind(expected)
                if isinstance(expected, HandymanError):
                    assert getattr(stored, "fields", None) == getattr(expected, "fields", None)
                    return
                for segment_id, state in expected.states.items():
                    model.states.pop((user_id, segment_id), None)
                    if state is not None:
                        model.states[(user_id, segment_id)] = state
                model.log(expected.events)

    def body(self, add: tuple[tuple[int, int | None], ...], remove: tuple[int, ...]) -> object:
        now = self.model.now
        return {
            "add": [
                {"name": self.name(index)}
                | (
                    {}
                    if minutes is None
                    else {"expires_at": format_instant(now + minutes * MINUTE)}
                )
                for index, minutes in add
            ],
            "remove": [self.name(index) for index in remove],
        }

    def check_reads(self) -> None:
        now = self.model.now
        for index in range(USERS):
            user_id = self.user(index)
            stored = self.store.user_segments(user_id, now)
            mine = [entry for entry in stored if entry.name.startswith(self.prefix + "_")]
            assert mine == self.model.active(user_id)
        counts = {
            (s.segment.segment_id, s.segment.live): s.members
            for s in self.store.segment_summaries(now)
            if s.segment.name.startswith(self.prefix + "_")
        }
        assert counts == {
            (segment.segment_id, segment.live): self.model.members(segment)
            for segment in self.model.segments.values()
        }

    def check_report(self) -> None:
        now = self.model.now
        period = ReportPeriod(T0 - timedelta(days=1), now + timedelta(days=1))
        stored = [
            row
            for row in self.store.segment_history(period, now)
            if row.segment.startswith(self.prefix + "_")
        ]
        names = {segment.segment_id: segment.name for segment in self.model.segments.values()}
        expected = sorted(
            (ReportRow.of(event, names[event.segment_id]) for event in self.model.events),
            key=report_order,
        )
        assert sorted(stored, key=report_order) == stored
        assert [report_order(row) for row in stored] == [report_order(row) for row in expected]
        assert stored == expected


def _outcome(action: Any) -> Any:
    try:
        return action()
    except HandymanError as error:
        return error


def _kind(outcome: object) -> str:
    return type(outcome).__name__ if isinstance(outcome, HandymanError) else "ok"


@pytest.fixture
def segment_store(engine: Engine) -> Store:
    return Store(engine)


@DB_EXAMPLES
@given(first=creations, then=operations)
def test_the_store_reads_what_the_core_rules_make_at_every_step(
    segment_store: Store, first: tuple[Create, ...], then: list[Operation]
) -> None:
    steps = [*first, *then]
    number = next(_examples)
    example = Example(segment_store, prefix=f"E{number}", first_user=number * 100)
    for operation in steps:
        example.run(operation)
        example.check_reads()
    example.check_report()
