"""Segments, memberships and their history in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select

from handyman_core.errors import Conflict, InvalidInput, NotFound
from handyman_core.instants import format_instant
from handyman_core.segment_changes import read_change
from handyman_core.segment_history import Operation
from handyman_core.segment_membership import ActiveSegment, Source
from handyman_core.segment_report import ReportPeriod, ReportRow
from handyman_core.segments import NewSegment, Percentage, SegmentEdit, SegmentName
from handyman_store.schema import segment_events, segment_memberships, segments
from handyman_store.store import Store

T0 = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
BETA = SegmentName("BETA_RUST_COURSE")
HALF = SegmentName("NEW_EDITOR_50")
ALL = SegmentName("EVERYBODY")
EVERYTHING = ReportPeriod(T0 - timedelta(days=365), T0 + timedelta(days=365))


@pytest.fixture
def store(engine: Engine) -> Store:
    store = Store(engine)
    store.create_segment(NewSegment(BETA, "beta", Percentage(0)), salt="s-beta", now=T0)
    store.create_segment(NewSegment(HALF, "", Percentage(5000)), salt="s-half", now=T0)
    store.create_segment(NewSegment(ALL, "", Percentage(10_000)), salt="s-all", now=T0)
    return store


def change(store: Store, user_id: int, body: object, now: datetime = T0) -> None:
    store.change_memberships(user_id, read_change(body), now=now)


def names(store: Store, user_id: int, now: datetime) -> list[str]:
    return [segment.name for segment in store.user_segments(user_id, now)]


Row = tuple[datetime, str, int | None, Operation, Percentage | None]


def history(store: Store, now: datetime = T0 + timedelta(days=30)) -> list[ReportRow]:
    return list(store.segment_history(EVERYTHING, now))


def plain(rows: list[ReportRow], segment: str | None = None) -> list[Row]:
    """Rows without their segment ids, of one segment if named."""
    return [
        (row.at, row.segment, row.user_id, row.operation, row.percentage)
        for row in rows
        if segment is None or row.segment == segment
    ]


def entry(
    at: datetime,
    name: str,
    user_id: int | None,
    operation: Operation,
    percentage: Percentage | None = None,
) -> Row:
    return (at, name, user_id, operation, percentage)


def tables(engine: Engine) -> dict[str, list[Any]]:
    with engine.connect() as connection:
        return {
            table.name: [
                tuple(row)
                for row in connection.execute(select(table).order_by(*table.primary_key.columns))
            ]
            for table in (segments, segment_memberships, segment_events)
        }


def test_an_added_user_is_listed_with_since_and_expiry(store: Store) -> None:
    expires = T0 + timedelta(days=7)
    change(store, 5, {"add": [{"name": BETA, "expires_at": format_instant(expires)}]})
    assert store.user_segments(5, T0 + timedelta(hours=1))[0] == ActiveSegment(
        BETA, Source.EXPLICIT, T0, expires
    )


def test_an_expired_membership_is_gone_at_the_exact_instant_without_any_job(
    store: Store,
) -> None:
    expires = T0 + timedelta(days=7)
    change(store, 5, {"add": [{"name": BETA, "expires_at": format_instant(expires)}]})
    assert BETA in names(store, 5, expires - MICROSECOND)
    assert BETA not in names(store, 5, expires)


def test_the_expiry_job_logs_each_expiry_once(store: Store) -> None:
    expires = T0 + timedelta(days=7)
    change(store, 5, {"add": [{"name": BETA, "expires_at": format_instant(expires)}]})
    before_job = history(store)
    assert store.expire_memberships(now=expires - MICROSECOND) == 0
    assert store.expire_memberships(now=expires) == 1
    assert store.expire_memberships(now=expires + timedelta(days=1)) == 0
    after_job = history(store)
    assert before_job == after_job
    assert entry(expires, BETA, 5, Operation.EXPIRED) in plain(after_job)


def test_a_rollout_covers_users_never_seen_and_a_removal_excludes_one(
    store: Store,
) -> None:
    assert ALL in names(store, 987_654_321, T0)
    change(store, 987_654_321, {"remove": [ALL]})
    assert ALL not in names(store, 987_654_321, T0)
    assert ALL in names(store, 987_654_322, T0)


def test_raising_a_percentage_keeps_an_excluded_user_out(store: Store) -> None:
    change(store, 5, {"remove": [HALF]})
    store.change_segment(HALF, SegmentEdit(Percentage(10_000), None), now=T0)
    assert HALF not in names(store, 5, T0)
    assert HALF in names(store, 6, T0)


def test_a_refused_change_names_every_entry_and_writes_nothing(
    engine: Engine, store: Store
) -> None:
    change(store, 5, {"add": [{"name": BETA}]})
    store.delete_segment(HALF, now=T0)
    before = tables(engine)
    bodies: list[tuple[object, type[Exception], set[str]]] = [
        (
            {"add": [{"name": ALL}, {"name": "nope"}], "remove": [BETA, BETA]},
            InvalidInput,
            {"remove[1]", "add[1].name"},
        ),
        ({"add": [{"name": ALL}], "remove": [BETA, BETA]}, Conflict, {"remove[1]"}),
        (
            {"add": [{"name": ALL}, {"name": "NOPE"}], "remove": [HALF]},
            NotFound,
            {"add[1].name", "remove[0]"},
        ),
        ({"add": [{"name": ALL}], "remove": [HALF]}, Conflict, {"remove[0]"}),
        (
            {"add": [{"name": ALL, "expires_at": format_instant(T0)}]},
            Conflict,
            {"add[0].expires_at"},
        ),
    ]
    for body, error, fields in bodies:
        with pytest.raises(error) as raised:
            change(store, 5, body)
        assert set(getattr(raised.value, "fields", {})) == fields
    assert tables(engine) == before


def test_deleting_a_segment_makes_its_members_leave_and_keeps_its_history(
    store: Store,
) -> None:
    change(store, 5, {"add": [{"name": BETA}]})
    change(store, 6, {"add": [{"name": BETA}]})
    later = T0 + timedelta(hours=1)
    store.delete_segment(BETA, now=later)
    assert BETA not in names(store, 5, later)
    rows = plain(history(store), BETA)
    assert rows == [
        entry(T0, BETA, 5, Operation.ADDED),
        entry(T0, BETA, 6, Operation.ADDED),
        entry(later, BETA, 5, Operation.REMOVED),
        entry(later, BETA, 6, Operation.REMOVED),
    ]


def test_deleting_a_rollout_logs_its_end_as_a_segment_level_row(store: Store) -> None:
    later = T0 + timedelta(hours=1)
    store.delete_segment(HALF, now=later)
    rows = plain(history(store), HALF)
    assert rows == [
        entry(T0, HALF, None, Operation.ADDED, Percentage(5000)),
        entry(later, HALF, None, Operation.REMOVED, Percentage(0)),
    ]


def test_deleting_twice_is_a_conflict_and_unknown_is_not_found(store: Store) -> None:
    store.delete_segment(BETA, now=T0)
    with pytest.raises(Conflict, match="already deleted"):
        store.delete_segment(BETA, now=T0)
    with pytest.raises(NotFound):
        store.delete_segment(SegmentName("NEVER"), now=T0)


def test_a_deleted_name_is_a_new_segment_when_created_again(store: Store) -> None:
    change(store, 5, {"add": [{"name": BETA}]})
    old = store.delete_segment(BETA, now=T0 + timedelta(hours=1))
    new = store.create_segment(
        NewSegment(BETA, "again", Percentage(0)), salt="s2", now=T0 + timedelta(hours=2)
    )
    assert new.segment_id != old.segment_id
    assert BETA not in names(store, 5, T0 + timedelta(hours=3))
    listed = [(s.segment.segment_id, s.segment.live) for s in store.segment_summaries(T0, BETA)]
    assert listed == [(old.segment_id, False), (new.segment_id, True)]


def test_a_live_name_cannot_be_created_twice(store: Store) -> None:
    with pytest.raises(Conflict, match="already exists"):
        store.create_segment(NewSegment(BETA, "", Percentage(0)), salt="x", now=T0)


def test_the_list_counts_explicit_members_now(store: Store) -> None:
    change(store, 5, {"add": [{"name": BETA}]})
    soon = format_instant(T0 + timedelta(hours=1))
    change(store, 6, {"add": [{"name": BETA, "expires_at": soon}]})
    change(store, 7, {"remove": [BETA]})
    counts = {s.segment.name: s.members for s in store.segment_summaries(T0 + timedelta(minutes=1))}
    assert counts == {BETA: 2, HALF: 0, ALL: 0}
    later = {s.segment.name: s.members for s in store.segment_summaries(T0 + timedelta(hours=1))}
    assert later[BETA] == 1


def test_a_percentage_change_is_in_the_history_and_settles_expiries_first(
    store: Store,
) -> None:
    expires = T0 + timedelta(hours=1)
    user = next(u for u in range(1, 10_000) if HALF not in names(store, u, T0))
    change(store, user, {"add": [{"name": HALF, "expires_at": format_instant(expires)}]})
    later = T0 + timedelta(hours=2)
    store.change_segment(HALF, SegmentEdit(Percentage(10_000), None), now=later)
    rows = plain(history(store), HALF)
    assert rows == [
        entry(T0, HALF, None, Operation.ADDED, Percentage(5000)),
        entry(T0, HALF, user, Operation.ADDED),
        entry(expires, HALF, user, Operation.EXPIRED),
        entry(later, HALF, None, Operation.ADDED, Percentage(10_000)),
    ]
    assert HALF in names(store, user, later)


def test_an_unsettled_expiry_is_in_the_report_once_its_time_has_come(
    store: Store,
) -> None:
    expires = T0 + timedelta(hours=1)
    change(store, 5, {"add": [{"name": BETA, "expires_at": format_instant(expires)}]})
    expiry = entry(expires, BETA, 5, Operation.EXPIRED)
    assert expiry not in plain(history(store, now=expires - MICROSECOND))
    assert expiry in plain(history(store, now=expires))


def test_a_period_with_no_events_has_no_rows(store: Store) -> None:
    empty = ReportPeriod(T0 + timedelta(days=1), T0 + timedelta(days=2))
    assert list(store.segment_history(empty, T0 + timedelta(days=3))) == []


def test_a_description_can_change_without_touching_the_percentage(store: Store) -> None:
    changed = store.change_segment(BETA, SegmentEdit(None, "new words"), now=T0)
    assert changed.description == "new words"
    assert store.segment_summaries(T0, BETA)[0].segment == changed


def test_an_expiry_the_rollout_covers_is_no_row_before_or_after_the_job(
    store: Store,
) -> None:
    expires = T0 + timedelta(hours=1)
    change(store, 5, {"add": [{"name": ALL, "expires_at": format_instant(expires)}]})
    later = T0 + timedelta(hours=2)
    assert [row for row in history(store, later) if row.user_id == 5] == []
    store.expire_memberships(now=later)
    assert [row for row in history(store, later) if row.user_id == 5] == []
    assert ALL in names(store, 5, later)
