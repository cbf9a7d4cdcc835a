"""Segments themselves: create, change the percentage or description, soft-delete, look up and
list, each write in one transaction.

A deletion is its members leaving at that instant: their rows go, the history gets their
`removed` events (and the rollout's end), and the segment row stays, flagged.
"""

from __future__ import annotations

from datetime import datetime

from attrs import evolve
from sqlalchemy import (
    Connection,
    DateTime,
    Engine,
    and_,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from handyman_core.errors import Conflict
from handyman_core.segment_history import (
    Operation,
    creation_events,
    percentage_event,
)
from handyman_core.segments import (
    NO_ROLLOUT,
    Percentage,
    Segment,
    SegmentName,
    SegmentSummary,
    check_name_free,
    current_by_name,
    deleted,
    require_live,
)
from handyman_store.schema import segment_events, segment_memberships, segments
from handyman_store.segment_rows import (
    INCLUDED,
    lock_segment,
    log_events,
    segment_of,
    segments_named,
    settle_segment,
    utc,
)


def create_segment(
    engine: Engine,
    name: SegmentName,
    *,
    description: str,
    percentage: Percentage,
    salt: str,
    now: datetime,
) -> Segment:
    """A new live segment; Conflict while a live segment bears the name."""
    with engine.begin() as connection:
        check_name_free(name, _current(connection, name, lock=True))
        values = {
            "name": name,
            "description": description,
            "percentage": percentage.hundredths,
            "salt": salt,
            "created_at": utc(now),
            "deleted_at": None,
        }
        try:
            with connection.begin_nested():
                segment_id = connection.execute(
                    insert(segments).values(values).returning(segments.c.segment_id)
                ).scalar_one()
        except IntegrityError:
            raise Conflict(f"a segment named {name} already exists") from None
        segment = segment_of({**values, "segment_id": segment_id, "created_at": utc(now)})
        log_events(connection, creation_events(segment))
    return segment


def change_segment(
    engine: Engine,
    name: SegmentName,
    *,
    percentage: Percentage | None = None,
    description: str | None = None,
    now: datetime,
) -> Segment:
    """Set a live segment's percentage and/or description. Inclusions that expired under the
    old percentage are settled under it first."""
    with engine.begin() as connection:
        segment = require_live(_current(connection, name, lock=False), name)
        segment = lock_segment(connection, segment.segment_id, exclusive=True)
        segment = require_live(segment, name)
        changed = segment
        if description is not None:
            changed = evolve(changed, description=description)
        if percentage is not None and percentage != segment.percentage:
            settle_segment(connection, segment, now)
            event = percentage_event(segment, percentage, now)
            log_events(connection, [] if event is None else [event])
            changed = evolve(changed, percentage=percentage)
        if changed != segment:
            connection.execute(
                update(segments)
                .where(segments.c.segment_id == segment.segment_id)
                .values(description=changed.description, percentage=changed.percentage.hundredths)
            )
    return changed


def delete_segment(engine: Engine, name: SegmentName, *, now: datetime) -> Segment:
    """Flag the live segment deleted; Conflict when the name's latest segment is already
    deleted, NotFound when no segment ever bore it."""
    with engine.begin() as connection:
        current = _current(connection, name, lock=False)
        if current is not None and current.live:
            current = lock_segment(connection, current.segment_id, exclusive=True)
        gone = deleted(current, name, now)
        assert current is not None
        settle_segment(connection, current, now)
        _members_leave(connection, current, now)
        connection.execute(
            update(segments)
            .where(segments.c.segment_id == current.segment_id)
            .values(deleted_at=utc(now))
        )
    return gone


def _members_leave(connection: Connection, segment: Segment, now: datetime) -> None:
    """`core.segment_history.deletion_events`, set-based: after settling, every inclusion left
    is active, so each is a member leaving."""
    memberships = segment_memberships.c
    connection.execute(
        insert(segment_events).from_select(
            ["segment_id", "user_id", "operation", "at"],
            select(
                memberships.segment_id,
                memberships.user_id,
                literal(Operation.REMOVED.value),
                literal(utc(now), DateTime(timezone=True)),
            )
            .where(memberships.segment_id == segment.segment_id, memberships.state == INCLUDED)
            .order_by(memberships.user_id),
        )
    )
    rollout_ends = percentage_event(segment, NO_ROLLOUT, now)
    log_events(connection, [] if rollout_ends is None else [rollout_ends])
    connection.execute(
        delete(segment_memberships).where(memberships.segment_id == segment.segment_id)
    )


def current_segment(connection: Connection, name: SegmentName) -> Segment | None:
    return _current(connection, name, lock=False)


def segment_summaries(
    connection: Connection, now: datetime, name: SegmentName | None = None
) -> list[SegmentSummary]:
    """Every segment (deleted ones too), by name then age, with its explicit members now."""
    memberships = segment_memberships.c
    members = (
        select(func.count())
        .where(
            and_(
                memberships.segment_id == segments.c.segment_id,
                memberships.state == INCLUDED,
                or_(memberships.expires_at.is_(None), memberships.expires_at > utc(now)),
            )
        )
        .scalar_subquery()
    )
    query = select(segments, members.label("members")).order_by(
        segments.c.name, segments.c.segment_id
    )
    if name is not None:
        query = query.where(segments.c.name == name)
    return [SegmentSummary(segment_of(row), int(row.members)) for row in connection.execute(query)]


def _current(connection: Connection, name: SegmentName, *, lock: bool) -> Segment | None:
    return current_by_name(segments_named(connection, [name], lock=lock)[name])
