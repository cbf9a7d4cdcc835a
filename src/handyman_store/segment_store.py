"""`SegmentStore`: the one object the service calls for segments, memberships and their history.

Like `Store`, it only binds the engine: reads get a short-lived connection, writes open their
own transaction in the modules they delegate to.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import Connection, Engine

from handyman_core.segment_changes import ChangeDraft, ChangeOutcome
from handyman_core.segment_membership import ActiveSegment
from handyman_core.segment_report import ReportPeriod, ReportRow
from handyman_core.segments import Percentage, Segment, SegmentName
from handyman_store import segment_admin, segment_history_reads, segment_membership_writes
from handyman_store.database import read_connection
from handyman_store.segment_admin import SegmentSummary
from handyman_store.segment_reads import user_segments


class SegmentStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(
        self,
        name: SegmentName,
        *,
        description: str,
        percentage: Percentage,
        salt: str,
        now: datetime,
    ) -> Segment:
        return segment_admin.create_segment(
            self.engine, name, description=description, percentage=percentage, salt=salt, now=now
        )

    def change(
        self,
        name: SegmentName,
        *,
        percentage: Percentage | None,
        description: str | None,
        now: datetime,
    ) -> Segment:
        return segment_admin.change_segment(
            self.engine, name, percentage=percentage, description=description, now=now
        )

    def delete(self, name: SegmentName, *, now: datetime) -> Segment:
        return segment_admin.delete_segment(self.engine, name, now=now)

    def summaries(self, now: datetime, name: SegmentName | None = None) -> list[SegmentSummary]:
        with read_connection(self.engine) as connection:
            return segment_admin.segment_summaries(connection, now, name)

    def user_segments(self, user_id: int, now: datetime) -> list[ActiveSegment]:
        with read_connection(self.engine) as connection:
            return user_segments(connection, user_id, now)

    def change_memberships(
        self, user_id: int, draft: ChangeDraft, *, now: datetime
    ) -> ChangeOutcome:
        return segment_membership_writes.change_memberships(self.engine, user_id, draft, now=now)

    def expire(self, *, now: datetime) -> int:
        return segment_membership_writes.expire_memberships(self.engine, now=now)

    def history(self, period: ReportPeriod, now: datetime) -> Iterator[ReportRow]:
        """Rows as they are read; the connection is held until the iterator is exhausted or
        closed."""
        with self._report_connection() as connection:
            yield from segment_history_reads.history_rows(connection, period, now)

    def _report_connection(self) -> Connection:
        """One snapshot for the whole report: a repeatable-read transaction on PostgreSQL (its
        server-side cursor needs a transaction anyway); on SQLite a deferred one, which reads
        one WAL snapshot and does not hold the write lock while the report streams."""
        if self.engine.dialect.name == "postgresql":
            return self.engine.connect().execution_options(isolation_level="REPEATABLE READ")
        return read_connection(self.engine)
