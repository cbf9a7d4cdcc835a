"""Writes of users' explicit memberships: the one-call change, and the expiry job.

A change locks the user (as progress writes do), then holds the named segments' rows, reads the
user's states in them, lets the core check and apply the change, and writes the outcome and its
events, all in one transaction: a refused change writes nothing, and concurrent changes of one
user apply one after the other.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, select

from handyman_core.segment_changes import ChangeDraft, ChangeOutcome, apply_change, check_change
from handyman_core.segments import current_by_name
from handyman_store.database import read_connection, user_write_lock
from handyman_store.schema import segment_memberships
from handyman_store.segment_rows import (
    INCLUDED,
    explicit_states,
    lock_segment,
    log_events,
    segments_named,
    settle_segment,
    utc,
    write_states,
)


def change_memberships(
    engine: Engine, user_id: int, draft: ChangeDraft, *, now: datetime
) -> ChangeOutcome:
    """Apply a change read by `core.segment_changes.read_change`, or raise the core's error
    naming every offending entry, with nothing written."""
    with engine.begin() as connection:
        user_write_lock(connection, [user_id])
        named = segments_named(connection, draft.names(), lock=True)
        current = {name: current_by_name(found) for name, found in named.items()}
        change = check_change(draft, current, now)
        segment_ids = [segment.segment_id for segment in change.segments()]
        states = explicit_states(connection, user_id, segment_ids)
        outcome = apply_change(user_id, change, states, now)
        write_states(connection, user_id, outcome.states)
        log_events(connection, outcome.events)
    return outcome


def expire_memberships(engine: Engine, *, now: datetime) -> int:
    """Log the end of every inclusion that expired by `now` and drop its row: what
    `handyman segments expire` runs. Membership never waits for it (expiry is evaluated when
    read); it only keeps the history table complete and the rows few. Idempotent, and safe
    beside live traffic: one segment per transaction, rows being changed are left to the change.
    Returns how many inclusions were settled."""
    memberships = segment_memberships.c
    with read_connection(engine) as connection:
        expiring = connection.execute(
            select(memberships.segment_id)
            .where(memberships.state == INCLUDED, memberships.expires_at <= utc(now))
            .distinct()
            .order_by(memberships.segment_id)
        ).scalars()
        segment_ids = [int(segment_id) for segment_id in expiring]
    settled = 0
    for segment_id in segment_ids:
        with engine.begin() as connection:
            segment = lock_segment(connection, segment_id, exclusive=False)
            if segment.live:
                settled += settle_segment(connection, segment, now, skip_locked=True)
    return settled
