"""The statistics API's reads: a client's attempts in a time window, in (created_at, attempt_id)
order, from a cursor position on, streamed rather than loaded whole.

Both orders the API pages by are indexed: (created_at, attempt_id) for a client that sees every
attempt, (lti_consumer_key, created_at, attempt_id) for one limited to its LMSs. A client with
several consumer keys reads a UNION ALL of one ordered range scan per key, which PostgreSQL
merges in order (Merge Append) instead of sorting the window; the row comparison against the
cursor lets each scan start exactly after the last record handed out.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC
from typing import Any

from sqlalchemy import Engine, Select, select, tuple_, union_all
from sqlalchemy.sql.elements import ColumnElement

from handyman_core.attempt_types import AttemptItem, AttemptType
from handyman_core.statistics_cursor import CursorPosition
from handyman_core.statistics_query import TimeWindow
from handyman_core.statistics_records import StatisticsRecord
from handyman_store.attempt_log import as_utc, passback_of
from handyman_store.schema import attempts

STREAM_BATCH = 2000
"""Rows fetched from the server-side cursor at a time: memory stays flat however long the
window, while round trips stay few. A page no longer than this is read in one plain query."""

_COLUMNS = (
    attempts.c.attempt_id,
    attempts.c.user_id,
    attempts.c.lti_consumer_key,
    attempts.c.lti_result_sourcedid,
    attempts.c.lti_outcome_service_url,
    attempts.c.lms_user_id,
    attempts.c.attempt_type,
    attempts.c.is_correct,
    attempts.c.created_at,
    attempts.c.item_kind,
    attempts.c.item_id,
    attempts.c.course_id,
)


def stream_statistics(
    engine: Engine,
    consumer_keys: frozenset[str],
    window: TimeWindow,
    *,
    after: CursorPosition | None = None,
    limit: int | None = None,
) -> Iterator[StatisticsRecord]:
    """The records of the window after `after`, at most `limit` of them. `consumer_keys` empty
    means every attempt. The connection is held until the iterator is exhausted or closed."""
    statement = _statement(consumer_keys, window, after, limit)
    with engine.connect() as connection:
        if limit is not None and limit <= STREAM_BATCH:
            yield from _records(connection.execute(statement).all())
            return
        result = connection.execution_options(stream_results=True, yield_per=STREAM_BATCH)
        for partition in result.execute(statement).partitions():
            yield from _records(partition)


def _records(rows: Iterable[Sequence[Any]]) -> Iterator[StatisticsRecord]:
    """Tuple unpacking and dictionary lookups rather than attribute access and enum calls: this
    runs for every record streamed."""
    for (
        attempt_id,
        user_id,
        consumer_key,
        sourcedid,
        outcome_url,
        lms_user_id,
        attempt_type,
        is_correct,
        created_at,
        item_kind,
        item_id,
        course_id,
    ) in rows:
        kind = _ITEM_KINDS[item_kind]
        yield StatisticsRecord(
            attempt_id=attempt_id,
            handyman_user_id=user_id,
            passback=passback_of(consumer_key, sourcedid, outcome_url, lms_user_id),
            attempt_type=_ATTEMPT_TYPES[attempt_type],
            is_correct=is_correct,
            created_at=as_utc(created_at),
            item_kind=kind,
            item_id=None if kind is AttemptItem.PLAYGROUND else item_id,
            course_id=course_id,
        )


_ATTEMPT_TYPES = {member.value: member for member in AttemptType}
_ITEM_KINDS = {member.value: member for member in AttemptItem}


def _statement(
    consumer_keys: frozenset[str],
    window: TimeWindow,
    after: CursorPosition | None,
    limit: int | None,
) -> Select[tuple[object, ...]]:
    conditions = _window_conditions(window, after)
    if len(consumer_keys) <= 1:
        statement = select(*_COLUMNS).where(*conditions)
        if consumer_keys:
            statement = statement.where(attempts.c.lti_consumer_key == next(iter(consumer_keys)))
        statement = statement.order_by(attempts.c.created_at, attempts.c.attempt_id)
    else:
        per_key = union_all(
            *(
                select(*_COLUMNS).where(*conditions, attempts.c.lti_consumer_key == key)
                for key in sorted(consumer_keys)
            )
        ).subquery()
        statement = select(*per_key.c).order_by(per_key.c.created_at, per_key.c.attempt_id)
    if limit is not None:
        statement = statement.limit(limit)
    return statement


def _window_conditions(
    window: TimeWindow, after: CursorPosition | None
) -> list[ColumnElement[bool]]:
    conditions = [
        attempts.c.created_at >= window.start.astimezone(UTC),
        attempts.c.created_at < window.end.astimezone(UTC),
    ]
    if after is not None:
        conditions.append(
            tuple_(attempts.c.created_at, attempts.c.attempt_id)
            > tuple_(after.created_at.astimezone(UTC), after.attempt_id)
        )
    return conditions
