"""What the use cases (`handyman_service`) need of the store, as protocols over core values.

The code runner's ports (`Runner`, `StartableRunner`, `RunControl`) are in `run_protocol`. The
store's facade (`handyman_store.store.Store`) implements every protocol here; the service tests
implement them in memory, and one contract suite holds both to the same behaviour, so a use case
proven against the fakes behaves the same against the database.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Protocol

from attrs import frozen

from handyman_core.attempt_types import AttemptType
from handyman_core.catalogue import Catalogue
from handyman_core.client_keys import ClientAccess
from handyman_core.daily_figures import StoredDay
from handyman_core.ids import ChapterId, CourseId, ProjectId, TaskId
from handyman_core.lti_passback import PassbackParams
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


class ProgressStore(Protocol):
    """A user's progress: reads, and writes that each apply a core rule in one transaction under
    the user's write lock. Writes raise InvalidInput for text no database can store."""

    def course_statuses(self, user_id: int) -> dict[CourseId, Status]: ...

    def course_progress(
        self, user_id: int, course_id: CourseId, *, with_solutions: bool
    ) -> UserProgress: ...

    def chapter_progress(self, user_id: int, chapter_id: ChapterId) -> ChapterView: ...

    def user_progress(self, user_id: int, *, with_solutions: bool = True) -> UserProgress: ...

    def task_item(self, user_id: int, task_id: TaskId) -> ItemProgress | None: ...

    def project_item(self, user_id: int, project_id: ProjectId) -> ItemProgress | None: ...

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
        """A run with a verdict: `core.run_rules` applied to the task, chapter and course, plus
        one attempt-log row."""
        ...

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
        """`attempt_type`: the practice action as analytics counts it (`test` a submit, `run` a
        run); LTI `passback` parameters are stored with the attempt."""
        ...

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
        """A playground run as a `run` attempt of no course; progress is untouched."""
        ...

    def save_task(self, user_id: int, task_id: TaskId, code: str) -> ItemProgress: ...

    def save_project(
        self, user_id: int, project_id: ProjectId, course_id: CourseId, code: str
    ) -> ItemProgress: ...

    def update_course_status(
        self,
        user_id: int,
        course_id: CourseId,
        requested: str,
        live_chapter_ids: Sequence[ChapterId],
    ) -> Decision: ...

    def update_chapter_status(
        self,
        user_id: int,
        chapter_id: ChapterId,
        requested: str,
        *,
        live_task_ids: Sequence[TaskId],
        course_chapter_ids_in_order: Sequence[ChapterId],
    ) -> ChapterUpdate: ...

    def merge_users(self, cur_user_id: int, old_user_id: int, *, now: datetime) -> None:
        """`core.merge_rules` over every row of both users, and `core.segment_merge` over their
        explicit segment memberships, in one transaction; InvalidInput for bad ids."""
        ...

    def split_users(self, cur_user_id: int, new_user_id: int, *, now: datetime) -> None:
        """Conflict, writing nothing, when the new user already has progress."""
        ...


class PlaygroundStore(Protocol):
    def save_playground(
        self, playground_id: str, lang_id: str, user_id: int | None, code: str, *, now: datetime
    ) -> None: ...

    def playground_code(self, playground_id: str) -> str | None: ...


@frozen
class CatalogueVersion:
    """Grows with every import that changed something (0 before the first); `source` is the
    folder the catalogue was imported from ("" before any import)."""

    version: int
    source: str


class CatalogueStore(Protocol):
    def catalogue_version(self) -> CatalogueVersion: ...

    def load_catalogue(self) -> Catalogue:
        """Every live (non-retired) item."""
        ...


class RunLog(Protocol):
    """Every run's status and output where every worker of every host sees it. Each status change
    is conditional on `run_lifecycle.ALLOWED_MOVES`: of two racing writers, one wins and the other
    changes nothing (its call answers False)."""

    def create_run(
        self, run: NewRun, *, now: datetime, allowance: RunAllowance | None = None
    ) -> bool:
        """Records the run as `run.status` (running: started at `now`), in one write. With an
        `allowance`, a run with an owner is recorded only if its owner's runs that count
        against it are fewer than `allowance.runs` when the write happens: the check and the
        write are one step per owner, so two starts racing cannot both take the last place.
        False, recording nothing, when the owner has no place left."""
        ...

    def mark_running(self, run_id: str, *, now: datetime) -> bool:
        """False when the run is no longer queued (stopped while it waited)."""
        ...

    def finish_run(self, run_id: str, ending: RunEnding, *, now: datetime) -> bool:
        """False, writing nothing, when the run had already ended."""
        ...

    def record_pulse(
        self, run_ids: Collection[str], outputs: Mapping[str, OutputWrite], *, now: datetime
    ) -> dict[str, PulseAnswer]:
        """The new output of the running runs in `outputs` (appended, or replacing), a
        heartbeat for every active run in `run_ids`, and what the log says of each (a run
        missing from the answer is unknown)."""
        ...

    def request_stop(
        self, run_id: str, *, now: datetime, reason: str
    ) -> tuple[StopAnswer, RunStatus] | None:
        """None when there is no such run; else how the request was answered and the status
        it found."""
        ...

    def fail_orphaned(
        self,
        *,
        heartbeat_before: datetime | None = None,
        host_ids: Collection[str] = (),
        reason: str,
        now: datetime,
    ) -> int:
        """Fails the active runs not heard of since `heartbeat_before` and those of the workers
        `host_ids`; how many."""
        ...

    def prune_runs(self, *, created_before: datetime) -> int:
        """Deletes the ended runs created before `created_before`, output and all; how many.
        Active runs stay, and so does everything else (the attempt log, progress)."""
        ...

    def active_host_ids(self, host_prefix: str) -> set[str]:
        """The workers named with `host_prefix` that have active runs on record."""
        ...

    def get_run(self, run_id: str) -> RunRecord | None: ...

    def list_runs(self, where: RunFilter, *, offset: int, limit: int) -> RunPage:
        """Newest first, ties broken by id descending."""
        ...


class DatabaseProbe(Protocol):
    def check_database(self) -> None:
        """Raises DependencyUnavailable when the database does not answer in time."""
        ...


class StatisticsStore(Protocol):
    """Learning analytics: the statistics API's clients, an LMS's attempts in time order, and the
    stored daily figures."""

    def statistics_client(self, name: str) -> ClientAccess | None:
        """The client's key hash and consumer keys; None for an unknown client."""
        ...

    def statistics_records(
        self,
        consumer_keys: frozenset[str],
        window: TimeWindow,
        *,
        after: CursorPosition | None = None,
        limit: int | None = None,
    ) -> Iterator[StatisticsRecord]:
        """The attempts with `window.start <= created_at < window.end` whose LMS is one of
        `consumer_keys` (every attempt when empty), in (created_at, attempt_id) order, after
        `after`, at most `limit`; read as they are iterated."""
        ...

    def stored_days(self, first: date, last: date, client: str | None = None) -> list[StoredDay]:
        """The computed days from `first` to `last` (both included), by day then client."""
        ...


class SegmentStore(Protocol):
    """Segments, users' explicit memberships and their history (docs/segments.md). Every write
    is one transaction applying the core's segment rules; membership is decided at the instant
    asked about, so an expired inclusion is over whether or not its end was logged yet."""

    def create_segment(self, new: NewSegment, *, salt: str, now: datetime) -> Segment:
        """Conflict while a live segment bears the name."""
        ...

    def change_segment(self, name: SegmentName, edit: SegmentEdit, *, now: datetime) -> Segment:
        """NotFound for a name no segment bore, Conflict for a deleted segment."""
        ...

    def delete_segment(self, name: SegmentName, *, now: datetime) -> Segment:
        """The members leave at `now`. NotFound, or Conflict when already deleted."""
        ...

    def segment_summaries(
        self, now: datetime, name: SegmentName | None = None
    ) -> list[SegmentSummary]:
        """Every segment (of `name`, if given), deleted ones too, by name then id."""
        ...

    def user_segments(self, user_id: int, now: datetime) -> list[ActiveSegment]: ...

    def change_memberships(
        self, user_id: int, draft: ChangeDraft, *, now: datetime
    ) -> ChangeOutcome:
        """`core.segment_changes` all or nothing, under the user's lock; its errors name every
        offending entry and nothing is written."""
        ...

    def expire_memberships(self, *, now: datetime) -> int:
        """Log the end of every inclusion expired by `now`; how many. Idempotent."""
        ...

    def segment_history(self, period: ReportPeriod, now: datetime) -> Iterator[ReportRow]:
        """The report's rows in order, read from one snapshot as they are consumed."""
        ...
