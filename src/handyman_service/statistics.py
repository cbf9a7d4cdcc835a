"""Learning analytics: an LMS's attempts for a statistics API client, and the stored daily
figures (docs/learning-analytics.md)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date

from attrs import frozen

from handyman_core.client_keys import authorize, is_client_name
from handyman_core.daily_figures import StoredDay
from handyman_core.local_days import days_from_to
from handyman_core.statistics_cursor import CursorPosition
from handyman_core.statistics_query import StatisticsQuery
from handyman_core.statistics_records import StatisticsRecord
from handyman_service.context import ServiceContext

MAX_DAILY_DAYS = 366


@frozen
class StatisticsAnswer:
    records: Iterator[StatisticsRecord]
    """Read from the store as they are iterated when the query has no limit."""
    next_after: CursorPosition | None
    """Where the next page starts; None on the last page (and for a whole window)."""


def list_statistics(context: ServiceContext, query: StatisticsQuery) -> StatisticsAnswer:
    """Unauthorized for an unknown client or a wrong key (alike; a name no client can have is
    not looked up, since it may be one a database cannot even compare, such as one with NUL).
    Without a limit the whole
    window streams, its query already run, so a database that is down fails here and not half
    way through an answer; with one, a page, fetched one record long to know whether more follow."""
    store = context.statistics
    access = store.statistics_client(query.client) if is_client_name(query.client) else None
    consumer_keys = authorize(access, query.client_key)
    if query.limit is None:
        records = store.statistics_records(consumer_keys, query.window, after=query.after)
        return StatisticsAnswer(_started(records), None)
    page = list(
        store.statistics_records(
            consumer_keys, query.window, after=query.after, limit=query.limit + 1
        )
    )
    if len(page) <= query.limit:
        return StatisticsAnswer(iter(page), None)
    page = page[: query.limit]
    return StatisticsAnswer(iter(page), page[-1].position)


@frozen
class DailyQuery:
    first: date
    last: date
    client: str | None = None


def daily_stats(context: ServiceContext, query: DailyQuery) -> list[StoredDay]:
    """InvalidInput naming `to` for a backwards span or one over `MAX_DAILY_DAYS`. No client has
    a NUL in its consumer key (passback params refuse it; PostgreSQL text cannot hold it)."""
    days_from_to(query.first, query.last, max_days=MAX_DAILY_DAYS)
    if query.client is not None and "\x00" in query.client:
        return []
    return context.statistics.stored_days(query.first, query.last, query.client)


def _started(records: Iterator[StatisticsRecord]) -> Iterator[StatisticsRecord]:
    first = next(records, None)
    if first is None:
        return iter(())
    return itertools.chain((first,), records)
