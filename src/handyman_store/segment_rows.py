"""Segment, membership and history rows as the core's values, and the writes every segment
transaction shares: logging events, writing and settling explicit states.

Instants are written in UTC; SQLite hands them back without a zone, PostgreSQL in the session's
zone, and both come back as aware UTC values here.

Every transaction that touches memberships of a segment holds that segment's row: `FOR SHARE` to
change memberships, `FOR UPDATE` to change the segment itself (percentage, deletion). So a
segment's percentage never changes under a transaction that decides on it, and an expired
inclusion is settled under the percentage it expired with.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import UTC, datetime

from sqlalchemy import Connection, Row, Select, and_, delete, select

from handyman_core.segment_history import HistoryEvent, Operation, settle
from handyman_core.segment_membership import Excluded, ExplicitState, Included
from handyman_core.segments import Percentage, Segment, SegmentName
from handyman_store.schema import segment_events, segment_memberships, segments
from handyman_store.upsert import conflict_insert, primary_key

INCLUDED = "included"
EXCLUDED = "excluded"
SETTLE_BATCH = 5_000


def utc(moment: datetime) -> datetime:
    """The same instant in UTC, as it is written; a naive value names no instant."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a timezone-aware datetime is required")
    return moment.astimezone(UTC)


def from_database(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def maybe_from_database(moment: datetime | None) -> datetime | None:
    return None if moment is None else from_database(moment)


def segment_of(row: Row[tuple[object, ...]] | Mapping[str, object]) -> Segment:
    values = row._mapping if isinstance(row, Row) else row
    created_at = values["created_at"]
    deleted_at = values["deleted_at"]
    assert isinstance(created_at, datetime)
    assert deleted_at is None or isinstance(deleted_at, datetime)
    return Segment(
        segment_id=int(str(values["segment_id"])),
        name=SegmentName(str(values["name"])),
        description=str(values["description"]),
        percentage=Percentage(int(str(values["percentage"]))),
        salt=str(values["salt"]),
        created_at=from_database(created_at),
        deleted_at=maybe_from_database(deleted_at),
    )


def state_of(state: str, since: datetime, expires_at: datetime | None) -> ExplicitState:
    if state == EXCLUDED:
        return Excluded(from_database(since))
    return Included(from_database(since), maybe_from_database(expires_at))


def state_columns(state: ExplicitState) -> dict[str, object]:
    if isinstance(state, Excluded):
        return {"state": EXCLUDED, "since": utc(state.since), "expires_at": None}
    expires_at = None if state.expires_at is None else utc(state.expires_at)
    return {"state": INCLUDED, "since": utc(state.since), "expires_at": expires_at}


def segments_named(
    connection: Connection, names: Collection[SegmentName], *, lock: bool
) -> dict[SegmentName, list[Segment]]:
    """Every segment that ever bore one of `names`, live or deleted; with `lock`, their rows
    held `FOR SHARE` until the end of the transaction."""
    found: dict[SegmentName, list[Segment]] = {name: [] for name in names}
    if not names:
        return found
    query: Select[tuple[object, ...]] = (
        select(segments).where(segments.c.name.in_(sorted(names))).order_by(segments.c.segment_id)
    )
    if lock:
        query = query.with_for_update(read=True)
    for row in connection.execute(query):
        segment = segment_of(row)
        found[segment.name].append(segment)
    return found


def lock_segment(connection: Connection, segment_id: int, *, exclusive: bool) -> Segment:
    query = select(segments).where(segments.c.segment_id == segment_id)
    row = connection.execute(query.with_for_update(read=not exclusive)).one()
    return segment_of(row)


def explicit_states(
    connection: Connection, user_id: int, segment_ids: Collection[int], *, lock: bool = True
) -> dict[int, ExplicitState]:
    """The user's explicit states in these segments; with `lock`, their rows held for update."""
    if not segment_ids:
        return {}
    query = (
        select(
            segment_memberships.c.segment_id,
            segment_memberships.c.state,
            segment_memberships.c.since,
            segment_memberships.c.expires_at,
        )
        .where(
            segment_memberships.c.user_id == user_id,
            segment_memberships.c.segment_id.in_(sorted(segment_ids)),
        )
        .order_by(segment_memberships.c.segment_id)
    )
    if lock:
        query = query.with_for_update()
    return {
        int(segment_id): state_of(state, since, expires_at)
        for segment_id, state, since, expires_at in connection.execute(query)
    }


def write_states(
    connection: Connection, user_id: int, states: Mapping[int, ExplicitState | None]
) -> None:
    """Upsert the given states and delete the rows of segments whose state is None."""
    kept = [
        {"user_id": user_id, "segment_id": segment_id, **state_columns(state)}
        for segment_id, state in sorted(states.items())
        if state is not None
    ]
    dropped = sorted(segment_id for segment_id, state in states.items() if state is None)
    if dropped:
        connection.execute(
            delete(segment_memberships).where(
                segment_memberships.c.user_id == user_id,
                segment_memberships.c.segment_id.in_(dropped),
            )
        )
    if kept:
        statement = conflict_insert(connection, segment_memberships)
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=primary_key(segment_memberships),
                set_={
                    "state": statement.excluded.state,
                    "since": statement.excluded.since,
                    "expires_at": statement.excluded.expires_at,
                },
            ),
            kept,
        )


def log_events(connection: Connection, events: Iterable[HistoryEvent]) -> None:
    rows = [
        {
            "segment_id": event.segment_id,
            "user_id": event.user_id,
            "operation": event.operation.value,
            "at": utc(event.at),
            "percentage": None if event.percentage is None else event.percentage.hundredths,
        }
        for event in events
    ]
    if rows:
        connection.execute(segment_events.insert(), rows)


def event_of(row: Row[tuple[object, ...]]) -> HistoryEvent:
    values = row._mapping
    at = values["at"]
    percentage = values["percentage"]
    assert isinstance(at, datetime)
    user_id = values["user_id"]
    return HistoryEvent(
        segment_id=int(str(values["segment_id"])),
        user_id=None if user_id is None else int(str(user_id)),
        operation=Operation(str(values["operation"])),
        at=from_database(at),
        percentage=None if percentage is None else Percentage(int(str(percentage))),
    )


def settle_segment(
    connection: Connection, segment: Segment, now: datetime, *, skip_locked: bool = False
) -> int:
    """Settle every inclusion of `segment` that expired by `now`: log its end (see
    `core.segment_history.settle`) and drop its row. The caller holds the segment's row.
    With `skip_locked`, rows another transaction is changing are left to it. Returns how many
    inclusions were settled."""
    settled = 0
    while True:
        batch = _expired_batch(connection, segment.segment_id, now, skip_locked=skip_locked)
        events: list[HistoryEvent] = []
        for user_id, since, expires_at in batch:
            _, event = settle(segment, user_id, Included(since, expires_at), now)
            if event is not None:
                events.append(event)
        if batch:
            connection.execute(
                delete(segment_memberships).where(
                    segment_memberships.c.segment_id == segment.segment_id,
                    segment_memberships.c.user_id.in_([user_id for user_id, _, _ in batch]),
                )
            )
            log_events(connection, events)
        settled += len(batch)
        if len(batch) < SETTLE_BATCH:
            return settled


def _expired_batch(
    connection: Connection, segment_id: int, now: datetime, *, skip_locked: bool
) -> Sequence[tuple[int, datetime, datetime]]:
    memberships = segment_memberships.c
    query = (
        select(memberships.user_id, memberships.since, memberships.expires_at)
        .where(
            and_(
                memberships.segment_id == segment_id,
                memberships.state == INCLUDED,
                memberships.expires_at <= utc(now),
            )
        )
        .order_by(memberships.user_id)
        .limit(SETTLE_BATCH)
        .with_for_update(skip_locked=skip_locked)
    )
    return [
        (int(user_id), from_database(since), from_database(expires_at))
        for user_id, since, expires_at in connection.execute(query)
    ]
