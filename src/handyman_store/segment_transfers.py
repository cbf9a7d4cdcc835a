"""Explicit memberships carried across merge_users and split_users, inside their transaction.

The caller holds both users' write locks; this holds the segments both users have states in
(`FOR SHARE`, like any membership change), reads both users' states, lets the core fold them
(`core.segment_merge`) and writes the outcome and its events.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select

from handyman_core.segment_merge import MembershipTransfer, transfer_memberships
from handyman_store.schema import segment_memberships, segments
from handyman_store.segment_rows import explicit_states, log_events, segment_of, write_states


def carry_memberships(
    connection: Connection, source: int, target: int, *, now: datetime, keep_source: bool
) -> MembershipTransfer:
    """Fold `source`'s explicit memberships into `target`'s: a merge (`keep_source` False)
    leaves `source` none, a split leaves them as they were."""
    memberships = segment_memberships.c
    touched = select(memberships.segment_id).where(memberships.user_id.in_([source, target]))
    held = connection.execute(
        select(segments)
        .where(segments.c.segment_id.in_(touched))
        .order_by(segments.c.segment_id)
        .with_for_update(read=True)
    )
    by_id = {segment.segment_id: segment for segment in map(segment_of, held)}
    transfer = transfer_memberships(
        by_id,
        (source, explicit_states(connection, source, by_id)),
        (target, explicit_states(connection, target, by_id)),
        now,
        keep_source=keep_source,
    )
    write_states(connection, source, transfer.source_states)
    write_states(connection, target, transfer.target_states)
    log_events(connection, transfer.events)
    return transfer
