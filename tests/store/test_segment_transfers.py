"""Carrying explicit memberships across a merge or a split gives what the core's fold gives, on
SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from handyman_core.segment_changes import read_change
from handyman_core.segment_history import Operation
from handyman_core.segment_membership import ExplicitState, Source
from handyman_core.segment_merge import transfer_memberships
from handyman_core.segment_report import ReportPeriod
from handyman_core.segments import NewSegment, Percentage, Segment, SegmentName
from handyman_store.database import user_write_lock
from handyman_store.merge_split import merge_users, split_users
from handyman_store.schema import segment_events
from handyman_store.segment_rows import event_of, explicit_states, write_states
from handyman_store.segment_transfers import carry_memberships
from handyman_store.store import Store
from tests.core.segment_strategies import T0
from tests.core.segment_strategies import explicit_states as drawn_states

DB_EXAMPLES = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
_fresh_users = itertools.count(1_000, 2)


@pytest.fixture
def pool(engine: Engine) -> dict[int, Segment]:
    store = Store(engine)
    created = [
        store.create_segment(NewSegment(SegmentName(name), "", p), salt=name, now=T0)
        for name, p in (
            ("NONE", Percentage(0)),
            ("HALF", Percentage(5000)),
            ("ALL", Percentage(10_000)),
        )
    ]
    return {segment.segment_id: segment for segment in created}


def states_over(pool: dict[int, Segment]) -> st.SearchStrategy[dict[int, ExplicitState]]:
    return st.dictionaries(st.sampled_from(sorted(pool)), drawn_states())


@DB_EXAMPLES
@given(data=st.data(), keep_source=st.booleans())
def test_carrying_memberships_equals_the_core_fold(
    engine: Engine, pool: dict[int, Segment], data: st.DataObject, keep_source: bool
) -> None:
    source_states = data.draw(states_over(pool))
    target_states = data.draw(states_over(pool))
    source = next(_fresh_users)
    target = source + 1
    with engine.begin() as connection:
        write_states(connection, source, dict(source_states))
        write_states(connection, target, dict(target_states))
        last_event = connection.execute(
            select(segment_events.c.event_id).order_by(segment_events.c.event_id.desc()).limit(1)
        ).scalar()
    now = T0
    with engine.begin() as connection:
        user_write_lock(connection, [source, target])
        carry_memberships(connection, source, target, now=now, keep_source=keep_source)
    expected = transfer_memberships(
        pool, (source, source_states), (target, target_states), now, keep_source=keep_source
    )
    with engine.connect() as connection:
        stored_source = explicit_states(connection, source, pool, lock=False)
        stored_target = explicit_states(connection, target, pool, lock=False)
        events = [
            event_of(row)
            for row in connection.execute(
                select(segment_events)
                .where(segment_events.c.event_id > (last_event or 0))
                .order_by(segment_events.c.event_id)
            )
        ]
    assert stored_source == {k: v for k, v in expected.source_states.items() if v is not None}
    assert stored_target == {k: v for k, v in expected.target_states.items() if v is not None}
    assert events == list(expected.events)


def test_merge_users_moves_the_old_account_s_memberships_with_its_progress(
    engine: Engine, pool: dict[int, Segment]
) -> None:
    store = Store(engine)
    merged_at = T0 + timedelta(hours=1)
    store.change_memberships(11, read_change({"add": [{"name": "NONE"}]}), now=T0)
    store.change_memberships(12, read_change({"remove": ["ALL"]}), now=T0)
    merge_users(engine, 12, 11, now=merged_at)
    after = {s.name: s.source for s in store.user_segments(12, merged_at)}
    assert after.get(SegmentName("NONE")) is Source.EXPLICIT
    assert SegmentName("ALL") not in after
    assert all(s.source is Source.PERCENTAGE for s in store.user_segments(11, merged_at))
    period = ReportPeriod(T0, T0 + timedelta(days=1))
    moves = [
        (row.user_id, row.segment, row.operation)
        for row in store.segment_history(period, merged_at)
        if row.at == merged_at
    ]
    assert moves == [(11, "NONE", Operation.REMOVED), (12, "NONE", Operation.ADDED)]


def test_split_users_gives_the_new_account_the_current_one_s_memberships(
    engine: Engine, pool: dict[int, Segment]
) -> None:
    store = Store(engine)
    store.change_memberships(21, read_change({"add": [{"name": "NONE"}]}), now=T0)
    split_users(engine, 21, 22, now=T0)
    for user_id in (21, 22):
        explicit = [s.name for s in store.user_segments(user_id, T0) if s.source is Source.EXPLICIT]
        assert explicit == ["NONE"]
