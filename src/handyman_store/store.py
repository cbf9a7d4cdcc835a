"""`Store`: the one object the use cases reach the database through.

It implements the core's store ports (`handyman_core.ports`: progress, playgrounds, catalogue,
run log, segments, database probe) and only binds the engine: reads get a short-lived
connection, writes open their own transaction in the functions they delegate to, where the rules
live.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from datetime import date, datetime

from sqlalchemy import Engine

from handyman_core.attempt_types import AttemptType
from handyman_core.catalogue import Catalogue
from handyman_core.client_keys import ClientAccess
from handyman_core.daily_figures import StoredDay
from handyman_core.ids import ChapterId, CourseId, ProjectId, TaskId
from handyman_core.lti_passback import PassbackParams
from handyman_core.ports import CatalogueVersion
from handyman_core.progress import ChapterView, ItemProgress, UserProgress
from handyman_core.run_lifecycle import (
    NewRun,
    OutputWrite,
    PulseAnswer,
    RunAllowance,
    RunEnding,
    RunFilter,
    RunPage,
    RunRecord,
    RunStatus,
    StopAnswer,
)
from handyman_core.run_protocol import RunResult
from handyman_core.segment_changes import ChangeDraft, ChangeOutcome
from handyman_core.segment_membership import ActiveSegment
from handyman_core.segment_report import ReportPeriod, ReportRow
from handyman_core.segments import (
    NewSegment,
    Segment,
    SegmentEdit,
    SegmentName,
    SegmentSummary,
)
from handyman_core.statistics_cursor import CursorPosition
from handyman_core.statistics_query import TimeWindow
from handyman_core.statistics_records import StatisticsRecord
from handyman_core.status import Status
from handyman_core.transitions import ChapterUpdate, Decision
from handyman_store import (
    attempt_log,
    catalogue_snapshot,
    daily_stats,
    database,
    merge_split,
    playgrounds,
    progress_reads,
    progress_writes,
    run_log,
    segment_admin,
    segment_history_reads,
    segment_membership_writes,
    segment_reads,
    statistics_clients,
    statistics_reads,
)
from handyman_store.attempt_log import Attempt
from handyman_store.database import read_connection, read_once_more_after_a_restart
from handyman_store.driver_sql import read


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def course_statuses(self, user_id: int) -> dict[CourseId, Status]:
        return read(self.engine, lambda driver: progress_reads.course_statuses(driver, user_id))

    def course_progress(
        self, user_id: int, course_id: CourseId, *, with_solutions: bool
    ) -> UserProgress:
        return read(
            self.engine,
            lambda driver: progress_reads.course_progress(
                driver, user_id, course_id, with_solutions=with_solutions
            ),
        )

    def chapter_progress(self, user_id: int, chapter_id: ChapterId) -> ChapterView:
        return read(
            self.engine, lambda driver: progress_reads.chapter_progress(driver, user_id, chapter_id)
        )

    def user_progress(self, user_id: int, *, with_solutions: bool = True) -> UserProgress:
        return read(
            self.engine,
            lambda driver: progress_reads.user_progress(
                driver, user_id, with_solutions=with_solutions
            ),
        )

    def task_item(self, user_id: int, task_id: TaskId) -> ItemProgress | None:
        return read(self.engine, lambda driver: progress_reads.task_item(driver, user_id, task_id))

    def project_item(self, user_id: int, project_id: ProjectId) -> ItemProgress | None:
        return read(
            self.engine, lambda driver: progress_reads.project_item(driver, user_id, project_id)
        )

    def record_task_run(
        self,
        user_id: int,
        task_id: TaskId,
        code: str,
        result: RunResult,
        *,
        now: datetime,
        passback: PassbackParams | None = None,
    ) -> ItemProgress:
        return progress_writes.record_task_run(
            self.engine, user_id, task_id, code, result, now=now, passback=passback
        )

    def record_project_run(
        self,
        user_id: int,
        project_id: ProjectId,
        course_id: CourseId,
        code: str,
        *,
        result: RunResult,
        solved: bool,
        now: datetime,
        attempt_type: AttemptType | None = None,
        passback: PassbackParams | None = None,
    ) -> ItemProgress:
        return progress_writes.record_project_run(
            self.engine,
            user_id,
            project_id,
            course_id,
            code,
            result=result,
            solved=solved,
            now=now,
            attempt_type=attempt_type,
            passback=passback,
        )

    def record_playground_run(
        self,
        user_id: int,
        playground_id: str,
        code: str,
        *,
        result: RunResult,
        now: datetime,
        passback: PassbackParams | None = None,
    ) -> None:
        progress_writes.record_playground_run(
            self.engine, user_id, playground_id, code, result=result, now=now, passback=passback
        )

    def save_task(self, user_id: int, task_id: TaskId, code: str) -> ItemProgress:
        return progress_writes.save_task(self.engine, user_id, task_id, code)

    def save_project(
        self, user_id: int, project_id: ProjectId, course_id: CourseId, code: str
    ) -> ItemProgress:
        return progress_writes.save_project(self.engine, user_id, project_id, course_id, code)

    def update_course_status(
        self,
        user_id: int,
        course_id: CourseId,
        requested: str,
        live_chapter_ids: Sequence[ChapterId],
    ) -> Decision:
        return progress_writes.update_course_status(
            self.engine, user_id, course_id, requested, live_chapter_ids
        )

    def update_chapter_status(
        self,
        user_id: int,
        chapter_id: ChapterId,
        requested: str,
        *,
        live_task_ids: Sequence[TaskId],
        course_chapter_ids_in_order: Sequence[ChapterId],
    ) -> ChapterUpdate:
        return progress_writes.update_chapter_status(
            self.engine,
            user_id,
            chapter_id,
            requested,
            live_task_ids=live_task_ids,
            course_chapter_ids_in_order=course_chapter_ids_in_order,
        )

    def merge_users(self, cur_user_id: int, old_user_id: int, *, now: datetime) -> None:
        merge_split.merge_users(self.engine, cur_user_id, old_user_id, now=now)

    def split_users(self, cur_user_id: int, new_user_id: int, *, now: datetime) -> None:
        merge_split.split_users(self.engine, cur_user_id, new_user_id, now=now)

    def attempts_of(self, user_id: int) -> list[Attempt]:
        with read_connection(self.engine) as connection:
            return attempt_log.attempts_of(connection, user_id)

    def save_playground(
        self,
        playground_id: str,
        lang_id: str,
        user_id: int | None,
        code: str,
        *,
        now: datetime,
    ) -> None:
        playgrounds.save_playground(self.engine, playground_id, lang_id, user_id, code, now=now)

    def playground_code(self, playground_id: str) -> str | None:
        with read_connection(self.engine) as connection:
            return playgrounds.playground_code(connection, playground_id)

    # --- the catalogue ------------------------------------------------------------------

    def catalogue_version(self) -> CatalogueVersion:
        return read_once_more_after_a_restart(self.engine, catalogue_snapshot.catalogue_version)

    def load_catalogue(self) -> Catalogue:
        return read_once_more_after_a_restart(self.engine, catalogue_snapshot.load_catalogue)

    # --- the run log --------------------------------------------------------------------

    def create_run(
        self, run: NewRun, *, now: datetime, allowance: RunAllowance | None = None
    ) -> bool:
        return run_log.create_run(self.engine, run, now=now, allowance=allowance)

    def mark_running(self, run_id: str, *, now: datetime) -> bool:
        return run_log.mark_running(self.engine, run_id, now=now)

    def finish_run(self, run_id: str, ending: RunEnding, *, now: datetime) -> bool:
        return run_log.finish_run(self.engine, run_id, ending, now=now)

    def record_pulse(
        self, run_ids: Collection[str], outputs: Mapping[str, OutputWrite], *, now: datetime
    ) -> dict[str, PulseAnswer]:
        return run_log.record_pulse(self.engine, run_ids, outputs, now=now)

    def request_stop(
        self, run_id: str, *, now: datetime, reason: str
    ) -> tuple[StopAnswer, RunStatus] | None:
        return run_log.request_stop(self.engine, run_id, now=now, reason=reason)

    def fail_orphaned(
        self,
        *,
        heartbeat_before: datetime | None = None,
        host_ids: Collection[str] = (),
        reason: str,
        now: datetime,
    ) -> int:
        return run_log.fail_orphaned(
            self.engine,
            heartbeat_before=heartbeat_before,
            host_ids=host_ids,
            reason=reason,
            now=now,
        )

    def active_host_ids(self, host_prefix: str) -> set[str]:
        with read_connection(self.engine) as connection:
            return run_log.active_host_ids(connection, host_prefix)

    def get_run(self, run_id: str) -> RunRecord | None:
        with read_connection(self.engine) as connection:
            return run_log.get_run(connection, run_id)

    def prune_runs(self, *, created_before: datetime) -> int:
        return run_log.prune_runs(self.engine, created_before=created_before)

    def list_runs(self, where: RunFilter, *, offset: int, limit: int) -> RunPage:
        with read_connection(self.engine) as connection:
            return run_log.list_runs(connection, where, offset=offset, limit=limit)

    # --- learning analytics -------------------------------------------------------------

    def statistics_client(self, name: str) -> ClientAccess | None:
        return read(self.engine, lambda driver: statistics_clients.client_access(driver, name))

    def statistics_records(
        self,
        consumer_keys: frozenset[str],
        window: TimeWindow,
        *,
        after: CursorPosition | None = None,
        limit: int | None = None,
    ) -> Iterator[StatisticsRecord]:
        return statistics_reads.stream_statistics(
            self.engine, consumer_keys, window, after=after, limit=limit
        )

    def stored_days(self, first: date, last: date, client: str | None = None) -> list[StoredDay]:
        with read_connection(self.engine) as connection:
            return daily_stats.stored_days(connection, first, last, client)

    # --- segments -----------------------------------------------------------------------

    def create_segment(self, new: NewSegment, *, salt: str, now: datetime) -> Segment:
        return segment_admin.create_segment(
            self.engine,
            new.name,
            description=new.description,
            percentage=new.percentage,
            salt=salt,
            now=now,
        )

    def change_segment(self, name: SegmentName, edit: SegmentEdit, *, now: datetime) -> Segment:
        return segment_admin.change_segment(
            self.engine, name, percentage=edit.percentage, description=edit.description, now=now
        )

    def delete_segment(self, name: SegmentName, *, now: datetime) -> Segment:
        return segment_admin.delete_segment(self.engine, name, now=now)

    def segment_summaries(
        self, now: datetime, name: SegmentName | None = None
    ) -> list[SegmentSummary]:
        with read_connection(self.engine) as connection:
            return segment_admin.segment_summaries(connection, now, name)

    def user_segments(self, user_id: int, now: datetime) -> list[ActiveSegment]:
        return read(self.engine, lambda driver: segment_reads.user_segments(driver, user_id, now))

    def change_memberships(
        self, user_id: int, draft: ChangeDraft, *, now: datetime
    ) -> ChangeOutcome:
        return segment_membership_writes.change_memberships(self.engine, user_id, draft, now=now)

    def expire_memberships(self, *, now: datetime) -> int:
        return segment_membership_writes.expire_memberships(self.engine, now=now)

    def segment_history(self, period: ReportPeriod, now: datetime) -> Iterator[ReportRow]:
        """The connection is held until the iterator is exhausted or closed. One snapshot for
        the whole report: a repeatable-read transaction on PostgreSQL (its server-side cursor
        needs a transaction anyway); on SQLite a deferred one, which reads one WAL snapshot and
        does not hold the write lock while the report streams."""
        if self.engine.dialect.name == "postgresql":
            connection = self.engine.connect().execution_options(isolation_level="REPEATABLE READ")
        else:
            connection = read_connection(self.engine)
        with connection:
            yield from segment_history_reads.history_rows(connection, period, now)

    # --- health -------------------------------------------------------------------------

    def check_database(self) -> None:
        database.check(self.engine)
