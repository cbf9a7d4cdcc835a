"""Eight threads changing one user's memberships at once leave the state, and the history, of
some serial order of their changes, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select

from handyman_core.errors import Conflict
from handyman_core.instants import format_instant
from handyman_core.segment_changes import (
    ChangeDraft,
    MembershipChange,
    apply_change,
    check_change,
    read_change,
)
from handyman_core.segment_history import HistoryEvent, Operation
from handyman_core.segment_membership import ExplicitState
from handyman_core.segment_report import ReportPeriod
from handyman_core.segments import NewSegment, Percentage, Segment, SegmentName
from handyman_store.schema import segment_events, segment_memberships
from handyman_store.segment_rows import event_of, explicit_states
from handyman_store.store import Store
from tests.core.segment_strategies import T0

pytestmark = pytest.mark.timeout(180)

THREADS = 8
ROUNDS = 6
USER = 77
NAMES = [SegmentName(f"S{index}") for index in range(4)]
EVERYTHING = ReportPeriod(T0 - timedelta(days=1), T0 + timedelta(days=1))
PERCENTAGES = [Percentage(0), Percentage(5000), Percentage(10_000), Percentage(0)]


def random_body(rng: random.Random, now_minutes: int) -> dict[str, object]:
    chosen = rng.sample(NAMES, rng.randint(1, 3))
    split = rng.randint(0, len(chosen))
    adds: list[dict[str, object]] = []
    for name in chosen[:split]:
        entry: dict[str, object] = {"name": name}
        if rng.random() < 0.5:
            minutes = now_minutes + rng.randint(1, 30)
            entry["expires_at"] = format_instant(T0 + timedelta(minutes=minutes))
        adds.append(entry)
    return {"add": adds, "remove": list(chosen[split:])}


def stored_state(engine: Engine, segment_ids: Sequence[int]) -> dict[int, ExplicitState]:
    with engine.connect() as connection:
        return explicit_states(connection, USER, segment_ids, lock=False)


def stored_events(engine: Engine, after: int) -> list[tuple[int, HistoryEvent]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(segment_events)
            .where(segment_events.c.user_id == USER, segment_events.c.event_id > after)
            .order_by(segment_events.c.event_id)
        )
        return [(row.event_id, event_of(row)) for row in rows]


def serial_order_exists(
    start: Mapping[int, ExplicitState],
    changes: Sequence[MembershipChange],
    final: Mapping[int, ExplicitState],
    events: Sequence[HistoryEvent],
    now: datetime,
) -> bool:
    """Depth-first over orders, pruned by the events each change must have written next."""
    seen: set[tuple[frozenset[int], tuple[object, ...], int]] = set()

    def search(remaining: frozenset[int], state: dict[int, ExplicitState], logged: int) -> bool:
        key = (remaining, tuple(sorted(state.items())), logged)
        if key in seen:
            return False
        seen.add(key)
        if not remaining:
            return state == dict(final) and logged == len(events)
        for index in remaining:
            outcome = apply_change(USER, changes[index], state, now)
            written = list(outcome.events)
            if list(events[logged : logged + len(written)]) != written:
                continue
            after = dict(state)
            for segment_id, new in outcome.states.items():
                after.pop(segment_id, None)
                if new is not None:
                    after[segment_id] = new
            if search(remaining - {index}, after, logged + len(written)):
                return True
        return False

    return search(frozenset(range(len(changes))), dict(start), 0)


def run_together(store: Store, drafts: Sequence[ChangeDraft], now: datetime) -> None:
    barrier = threading.Barrier(len(drafts))

    def run(draft: ChangeDraft) -> None:
        barrier.wait()
        store.change_memberships(USER, draft, now=now)

    with ThreadPoolExecutor(len(drafts)) as pool:
        for future in [pool.submit(run, draft) for draft in drafts]:
            future.result()


def test_concurrent_changes_of_one_user_equal_some_serial_order(engine: Engine) -> None:
    store = Store(engine)
    created: list[Segment] = [
        store.create_segment(NewSegment(name, "", percentage), salt=name, now=T0)
        for name, percentage in zip(NAMES, PERCENTAGES, strict=True)
    ]
    segment_ids = [segment.segment_id for segment in created]
    lookup = {segment.name: segment for segment in created}
    rng = random.Random(20260701)
    last_event = 0
    for round_number in range(ROUNDS):
        now_minutes = 20 * round_number
        now = T0 + timedelta(minutes=now_minutes)
        start = stored_state(engine, segment_ids)
        drafts: list[ChangeDraft] = [
            read_change(random_body(rng, now_minutes)) for _ in range(THREADS)
        ]
        changes = [check_change(draft, lookup, now) for draft in drafts]
        run_together(store, drafts, now)

        final = stored_state(engine, segment_ids)
        logged = stored_events(engine, last_event)
        if logged:
            last_event = logged[-1][0]
        events = [event for _, event in logged]
        assert serial_order_exists(start, changes, final, events, now), (
            f"round {round_number}: no serial order of the 8 changes gives the stored state"
        )


def test_a_deletion_racing_changes_leaves_no_member_behind(engine: Engine) -> None:
    store = Store(engine)
    store.create_segment(NewSegment(NAMES[0], "", Percentage(0)), salt="s", now=T0)
    drafts = [read_change({"add": [{"name": NAMES[0]}]}) for _ in range(THREADS - 1)]
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []

    def add(user_id: int, draft: ChangeDraft) -> None:
        barrier.wait()
        try:
            store.change_memberships(user_id, draft, now=T0)
            outcomes.append("added")
        except Conflict:
            outcomes.append("refused")

    def delete() -> None:
        barrier.wait()
        store.delete_segment(NAMES[0], now=T0)

    with ThreadPoolExecutor(THREADS) as pool:
        futures = [pool.submit(add, 100 + n, draft) for n, draft in enumerate(drafts)]
        futures.append(pool.submit(delete))
        for future in futures:
            future.result()

    with engine.connect() as connection:
        assert (
            connection.execute(select(func.count()).select_from(segment_memberships)).scalar_one()
            == 0
        )
    rows = list(store.segment_history(EVERYTHING, T0))
    added = {row.user_id for row in rows if row.operation is Operation.ADDED}
    removed = {row.user_id for row in rows if row.operation is Operation.REMOVED}
    assert added == removed
    assert len(added) == outcomes.count("added")


def test_the_expiry_job_racing_changes_logs_each_expiry_once(engine: Engine) -> None:
    store = Store(engine)
    store.create_segment(NewSegment(NAMES[0], "", Percentage(0)), salt="s", now=T0)
    users = range(200, 240)
    soon = format_instant(T0 + timedelta(minutes=1))
    for user_id in users:
        store.change_memberships(
            user_id, read_change({"add": [{"name": NAMES[0], "expires_at": soon}]}), now=T0
        )
    later = T0 + timedelta(minutes=5)
    barrier = threading.Barrier(THREADS)

    def readd(chunk: Sequence[int]) -> None:
        barrier.wait()
        for user_id in chunk:
            draft = read_change({"add": [{"name": NAMES[0]}]})
            store.change_memberships(user_id, draft, now=later)

    def expire() -> None:
        barrier.wait()
        store.expire_memberships(now=later)

    chunks = [list(users)[n :: THREADS - 1] for n in range(THREADS - 1)]
    with ThreadPoolExecutor(THREADS) as pool:
        futures = [pool.submit(readd, chunk) for chunk in chunks]
        futures.append(pool.submit(expire))
        for future in futures:
            future.result()

    rows = list(store.segment_history(EVERYTHING, later))
    for user_id in users:
        operations = [row.operation for row in rows if row.user_id == user_id]
        assert operations == [Operation.ADDED, Operation.EXPIRED, Operation.ADDED]
