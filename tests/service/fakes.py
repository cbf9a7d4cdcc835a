"""In-memory implementations of the core's store ports, for fast use-case tests.

Each applies the same core rule the store applies in SQL; `test_port_contracts.py` runs one suite
against these and against the real store on both databases, so they cannot drift apart.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime

from attrs import evolve

from handyman_core import merge_rules
from handyman_core.attempt_types import AttemptItem, AttemptType, is_correct
from handyman_core.catalogue import Catalogue
from handyman_core.client_keys import ClientAccess
from handyman_core.completion import all_chapters_completed, all_tasks_completed
from handyman_core.daily_figures import StoredDay
from handyman_core.errors import DependencyUnavailable
from handyman_core.ids import (
    ChapterId,
    CourseId,
    ProjectId,
    TaskId,
    chapter_of_task,
    course_of_chapter,
    course_of_task,
)
from handyman_core.lti_passback import PassbackParams
from handyman_core.ports import CatalogueVersion
from handyman_core.progress import ChapterView, ItemProgress, UserProgress
from handyman_core.run_lifecycle import (
    ACTIVE_STATUSES,
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
    can_move,
    preview_of,
    sources_of,
    stop_answer,
    stopped_before_start,
)
from handyman_core.run_protocol import RunResult
from handyman_core.run_rules import apply_run, apply_save, chapter_after_run, course_after_run
from handyman_core.segment_changes import ChangeDraft, ChangeOutcome
from handyman_core.segment_membership import ActiveSegment
from handyman_core.segment_report import ReportPeriod, ReportRow
from handyman_core.segments import NewSegment, Segment, SegmentEdit, SegmentName, SegmentSummary
from handyman_core.statistics_cursor import CursorPosition
from handyman_core.statistics_query import TimeWindow
from handyman_core.statistics_records import StatisticsRecord
from handyman_core.status import Status
from handyman_core.transitions import (
    Apply,
    ChapterUpdate,
    Decision,
    NoAction,
    decide_chapter_update,
    decide_course_update,
    no_action_chapter,
)
from handyman_core.unicode_text import check_storable_text
from tests.service.segment_book import SegmentBook


class InMemoryStore:
    """Every store port over dictionaries, one lock for all writes (the store's per-user lock is
    stricter than needed here: a test drives one user at a time)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._users: dict[int, UserProgress] = {}
        self.attempts: list[tuple[int, str, RunResult]] = []
        self.statistics: list[StatisticsRecord] = []
        """Every attempt as the statistics API answers it (merges re-own them, as the log)."""
        self.clients: dict[str, ClientAccess] = {}
        self.days: list[StoredDay] = []
        self._playgrounds: dict[str, str] = {}
        self._catalogue = Catalogue()
        self._version = CatalogueVersion(0, "")
        self._runs: dict[str, RunRecord] = {}
        self._project_courses: dict[ProjectId, CourseId] = {}
        self.database_up = True
        self.segment_book = SegmentBook()

    # --- test set-up ------------------------------------------------------------------------

    def publish(self, catalogue: Catalogue, source: str) -> None:
        """What an import does: a new live catalogue under the next version."""
        with self._lock:
            self._catalogue = catalogue
            self._version = CatalogueVersion(self._version.version + 1, source)

    # --- progress reads ----------------------------------------------------------------------

    def _user(self, user_id: int) -> UserProgress:
        return self._users.get(user_id, UserProgress())

    def course_statuses(self, user_id: int) -> dict[CourseId, Status]:
        return dict(self._user(user_id).courses)

    def course_progress(
        self, user_id: int, course_id: CourseId, *, with_solutions: bool
    ) -> UserProgress:
        user = self._user(user_id)
        return UserProgress(
            courses={key: value for key, value in user.courses.items() if key == course_id},
            chapters={
                key: value
                for key, value in user.chapters.items()
                if course_of_chapter(key) == course_id
            },
            tasks={
                key: _solution(value, with_solutions)
                for key, value in user.tasks.items()
                if course_of_task(key) == course_id
            },
            projects={
                key: _solution(value, with_solutions)
                for key, value in user.projects.items()
                if self._project_courses.get(key) == course_id
            },
        )

    def chapter_progress(self, user_id: int, chapter_id: ChapterId) -> ChapterView:
        user = self._user(user_id)
        return ChapterView(
            course=user.courses.get(course_of_chapter(chapter_id)),
            chapter=user.chapters.get(chapter_id),
            tasks={
                key: value
                for key, value in user.tasks.items()
                if chapter_of_task(key) == chapter_id
            },
        )

    def user_progress(self, user_id: int, *, with_solutions: bool = True) -> UserProgress:
        user = self._user(user_id)
        return evolve(
            user,
            tasks={key: _solution(value, with_solutions) for key, value in user.tasks.items()},
            projects={
                key: _solution(value, with_solutions) for key, value in user.projects.items()
            },
        )

    def task_item(self, user_id: int, task_id: TaskId) -> ItemProgress | None:
        return self._user(user_id).tasks.get(task_id)

    def project_item(self, user_id: int, project_id: ProjectId) -> ItemProgress | None:
        return self._user(user_id).projects.get(project_id)

    # --- progress writes ---------------------------------------------------------------------

    def _set(self, user_id: int, progress: UserProgress) -> None:
        if progress.is_empty():
            self._users.pop(user_id, None)
        else:
            self._users[user_id] = progress

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
        check_storable_text(code, "solution_text")
        with self._lock:
            user = self._user(user_id)
            item = apply_run(user.tasks.get(task_id), result.verdict.solves, code)
            chapter_id, course_id = chapter_of_task(task_id), course_of_task(task_id)
            self._set(
                user_id,
                evolve(
                    user,
                    tasks={**user.tasks, task_id: item},
                    chapters=_with(user.chapters, chapter_id, chapter_after_run),
                    courses=_with(user.courses, course_id, course_after_run),
                ),
            )
            self.attempts.append((user_id, task_id, result))
            self._log(
                user_id,
                item=AttemptItem.TASK,
                item_id=task_id,
                course_id=course_id,
                attempt_type=AttemptType.SUBMIT,
                result=result,
                now=now,
                passback=passback,
            )
            return item

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
        check_storable_text(code, "solution_text")
        kind = attempt_type or (AttemptType.SUBMIT if solved else AttemptType.RUN)
        if solved and is_correct(kind, result.verdict) is not True:
            raise ValueError("only a passing submit solves a project")
        with self._lock:
            user = self._user(user_id)
            item = apply_run(user.projects.get(project_id), solved, code)
            self._write_project(user_id, project_id, course_id, item)
            self.attempts.append((user_id, project_id, result))
            self._log(
                user_id,
                item=AttemptItem.PROJECT,
                item_id=project_id,
                course_id=course_id,
                attempt_type=kind,
                result=result,
                now=now,
                passback=passback,
            )
            return item

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
        check_storable_text(code, "solution_text")
        with self._lock:
            self._log(
                user_id,
                item=AttemptItem.PLAYGROUND,
                item_id=None,
                course_id=None,
                attempt_type=AttemptType.RUN,
                result=result,
                now=now,
                passback=passback,
            )

    def _log(
        self,
        user_id: int,
        *,
        item: AttemptItem,
        item_id: str | None,
        course_id: str | None,
        attempt_type: AttemptType,
        result: RunResult,
        now: datetime,
        passback: PassbackParams | None,
    ) -> None:
        self.statistics.append(
            StatisticsRecord(
                attempt_id=len(self.statistics) + 1,
                handyman_user_id=user_id,
                consumer_key=passback.oauth_consumer_key if passback else None,
                result_sourcedid=passback.lis_result_sourcedid if passback else None,
                outcome_service_url=passback.lis_outcome_service_url if passback else None,
                lms_user_id=passback.lms_user_id if passback else None,
                attempt_type=attempt_type.value,
                is_correct=is_correct(attempt_type, result.verdict),
                created_at=now.astimezone(UTC),
                item_kind=item.value,
                item_id=item_id,
                course_id=course_id,
            )
        )

    def save_task(self, user_id: int, task_id: TaskId, code: str) -> ItemProgress:
        check_storable_text(code, "solution_text")
        with self._lock:
            user = self._user(user_id)
            item = apply_save(user.tasks.get(task_id), code)
            self._set(user_id, evolve(user, tasks={**user.tasks, task_id: item}))
            return item

    def save_project(
        self, user_id: int, project_id: ProjectId, course_id: CourseId, code: str
    ) -> ItemProgress:
        check_storable_text(code, "solution_text")
        with self._lock:
            item = apply_save(self._user(user_id).projects.get(project_id), code)
            self._write_project(user_id, project_id, course_id, item)
            return item

    def _write_project(
        self, user_id: int, project_id: ProjectId, course_id: CourseId, item: ItemProgress
    ) -> None:
        user = self._user(user_id)
        self._project_courses[project_id] = course_id
        self._set(
            user_id,
            evolve(
                user,
                projects={**user.projects, project_id: item},
                courses=_with(user.courses, course_id, course_after_run),
            ),
        )

    def update_course_status(
        self,
        user_id: int,
        course_id: CourseId,
        requested: str,
        live_chapter_ids: Sequence[ChapterId],
    ) -> Decision:
        with self._lock:
            user = self._user(user_id)
            decision = decide_course_update(
                user.courses.get(course_id),
                requested,
                all_chapters_completed(live_chapter_ids, user.chapters),
            )
            if isinstance(decision, Apply):
                self._set(
                    user_id, evolve(user, courses={**user.courses, course_id: decision.status})
                )
            return decision

    def update_chapter_status(
        self,
        user_id: int,
        chapter_id: ChapterId,
        requested: str,
        *,
        live_task_ids: Sequence[TaskId],
        course_chapter_ids_in_order: Sequence[ChapterId],
    ) -> ChapterUpdate:
        with self._lock:
            user = self._user(user_id)
            statuses = {task_id: item.status for task_id, item in user.tasks.items()}
            decision = decide_chapter_update(
                user.chapters.get(chapter_id),
                requested,
                all_tasks_completed(live_task_ids, statuses),
            )
            if isinstance(decision, Apply):
                course_id = course_of_chapter(chapter_id)
                self._set(
                    user_id,
                    evolve(
                        user,
                        chapters={**user.chapters, chapter_id: decision.status},
                        courses=_with(user.courses, course_id, course_after_run),
                    ),
                )
            if isinstance(decision, NoAction):
                chapters = {
                    key: value
                    for key, value in user.chapters.items()
                    if course_of_chapter(key) == course_of_chapter(chapter_id)
                }
                return ChapterUpdate(
                    decision, no_action_chapter(course_chapter_ids_in_order, chapters, chapter_id)
                )
            return ChapterUpdate(decision, chapter_id)

    def merge_users(self, cur_user_id: int, old_user_id: int, *, now: datetime) -> None:
        cur, old = merge_rules.check_merge_ids(cur_user_id, old_user_id)
        with self._lock:
            self._set(cur, merge_rules.merge_users(self._user(old), self._user(cur)))
            self._users.pop(old, None)
            self.attempts = [
                (cur if user == old else user, item, result) for user, item, result in self.attempts
            ]
            self.statistics = [
                record._replace(handyman_user_id=cur) if record.handyman_user_id == old else record
                for record in self.statistics
            ]
            self.segment_book.transfer(old, cur, now=now, keep_source=False)

    def split_users(self, cur_user_id: int, new_user_id: int, *, now: datetime) -> None:
        cur, new = merge_rules.check_split_ids(cur_user_id, new_user_id)
        with self._lock:
            self._set(new, merge_rules.split_user(self._user(cur), self._user(new)))
            self.segment_book.transfer(cur, new, now=now, keep_source=True)

    # --- learning analytics ------------------------------------------------------------------

    def statistics_client(self, name: str) -> ClientAccess | None:
        return self.clients.get(name)

    def statistics_records(
        self,
        consumer_keys: frozenset[str],
        window: TimeWindow,
        *,
        after: CursorPosition | None = None,
        limit: int | None = None,
    ) -> Iterator[StatisticsRecord]:
        with self._lock:
            chosen = sorted(
                (
                    record
                    for record in self.statistics
                    if record.created_at in window
                    and (after is None or record.position > after)
                    and (not consumer_keys or record.consumer_key in consumer_keys)
                ),
                key=lambda record: record.position,
            )
        return iter(chosen if limit is None else chosen[:limit])

    def stored_days(self, first: date, last: date, client: str | None = None) -> list[StoredDay]:
        return [
            day
            for day in self.days
            if first <= day.figures.day <= last and client in (None, day.figures.client)
        ]

    # --- segments ---------------------------------------------------------------------------

    def create_segment(self, new: NewSegment, *, salt: str, now: datetime) -> Segment:
        with self._lock:
            return self.segment_book.create_segment(new, salt=salt, now=now)

    def change_segment(self, name: SegmentName, edit: SegmentEdit, *, now: datetime) -> Segment:
        with self._lock:
            return self.segment_book.change_segment(name, edit, now=now)

    def delete_segment(self, name: SegmentName, *, now: datetime) -> Segment:
        with self._lock:
            return self.segment_book.delete_segment(name, now=now)

    def segment_summaries(
        self, now: datetime, name: SegmentName | None = None
    ) -> list[SegmentSummary]:
        with self._lock:
            return self.segment_book.segment_summaries(now, name)

    def user_segments(self, user_id: int, now: datetime) -> list[ActiveSegment]:
        with self._lock:
            return self.segment_book.user_segments(user_id, now)

    def change_memberships(
        self, user_id: int, draft: ChangeDraft, *, now: datetime
    ) -> ChangeOutcome:
        with self._lock:
            return self.segment_book.change_memberships(user_id, draft, now=now)

    def expire_memberships(self, *, now: datetime) -> int:
        with self._lock:
            return self.segment_book.expire_memberships(now=now)

    def segment_history(self, period: ReportPeriod, now: datetime) -> Iterator[ReportRow]:
        with self._lock:
            return self.segment_book.segment_history(period, now)

    # --- playgrounds -------------------------------------------------------------------------

    def save_playground(
        self, playground_id: str, lang_id: str, user_id: int | None, code: str, *, now: datetime
    ) -> None:
        check_storable_text(code, "project")
        with self._lock:
            self._playgrounds[playground_id] = code

    def playground_code(self, playground_id: str) -> str | None:
        return self._playgrounds.get(playground_id)

    # --- the catalogue -----------------------------------------------------------------------

    def catalogue_version(self) -> CatalogueVersion:
        return self._version

    def load_catalogue(self) -> Catalogue:
        return self._catalogue

    # --- the run log -------------------------------------------------------------------------

    def create_run(
        self, run: NewRun, *, now: datetime, allowance: RunAllowance | None = None
    ) -> bool:
        with self._lock:
            if run.run_id in self._runs:
                raise ValueError(f"run {run.run_id} exists")
            if allowance is not None and not allowance.admits(self._runs.values(), run.owner):
                return False
            self._runs[run.run_id] = RunRecord(
                run_id=run.run_id,
                owner=run.owner,
                language=run.language,
                kind=run.kind,
                item_id=run.item_id,
                status=run.status,
                verdict=None,
                user_code_output="",
                tests_output="",
                output_truncated=False,
                stop_requested=False,
                detail=None,
                host_id=run.host_id,
                created_at=now,
                started_at=now if run.status is RunStatus.RUNNING else None,
                finished_at=None,
                heartbeat_at=now,
            )
            return True

    def mark_running(self, run_id: str, *, now: datetime) -> bool:
        return self._move(run_id, RunStatus.RUNNING, started_at=now, heartbeat_at=now)

    def finish_run(self, run_id: str, ending: RunEnding, *, now: datetime) -> bool:
        return self._move(run_id, ending.status, **_ending(ending, now))

    def record_pulse(
        self, run_ids: Collection[str], outputs: Mapping[str, OutputWrite], *, now: datetime
    ) -> dict[str, PulseAnswer]:
        with self._lock:
            answers: dict[str, PulseAnswer] = {}
            for run_id in run_ids:
                record = self._runs.get(run_id)
                if record is None:
                    continue
                if run_id in outputs and record.status is RunStatus.RUNNING:
                    write = outputs[run_id]
                    text = _storable(write.text)
                    whole = text if write.replaces else record.user_code_output + text
                    record = evolve(record, user_code_output=whole)
                if record.status in ACTIVE_STATUSES:
                    record = evolve(record, heartbeat_at=now)
                self._runs[run_id] = record
                answers[run_id] = PulseAnswer(record.status, record.stop_requested)
            return answers

    def request_stop(
        self, run_id: str, *, now: datetime, reason: str
    ) -> tuple[StopAnswer, RunStatus] | None:
        with self._lock:
            record = self._runs.get(run_id)
            if record is None:
                return None
            answer = stop_answer(record.status)
            if answer is StopAnswer.STOPPED_NOW:
                self._runs[run_id] = evolve(
                    record,
                    status=RunStatus.STOPPED,
                    stop_requested=True,
                    **_ending(stopped_before_start(reason), now),
                )
            elif answer is StopAnswer.REQUESTED:
                self._runs[run_id] = evolve(record, stop_requested=True)
            return answer, record.status

    def fail_orphaned(
        self,
        *,
        heartbeat_before: datetime | None = None,
        host_ids: Collection[str] = (),
        reason: str,
        now: datetime,
    ) -> int:
        if heartbeat_before is None and not host_ids:
            return 0
        failed = 0
        ending = _ending(RunEnding(RunStatus.FAILED, detail=reason), now)
        with self._lock:
            for run_id, record in list(self._runs.items()):
                stale = heartbeat_before is not None and record.heartbeat_at < heartbeat_before
                if record.status in sources_of(RunStatus.FAILED) and (
                    stale or record.host_id in host_ids
                ):
                    self._runs[run_id] = evolve(record, status=RunStatus.FAILED, **ending)
                    failed += 1
        return failed

    def active_host_ids(self, host_prefix: str) -> set[str]:
        return {
            record.host_id
            for record in list(self._runs.values())
            if record.status in ACTIVE_STATUSES and record.host_id.startswith(host_prefix)
        }

    def get_run(self, run_id: str) -> RunRecord | None:
        return self._runs.get(run_id)

    def prune_runs(self, *, created_before: datetime) -> int:
        with self._lock:
            old = [
                run_id
                for run_id, record in self._runs.items()
                if record.created_at < created_before and record.status.terminal
            ]
            for run_id in old:
                del self._runs[run_id]
            return len(old)

    def list_runs(self, where: RunFilter, *, offset: int, limit: int) -> RunPage:
        matching = [
            record
            for record in list(self._runs.values())
            if (where.owner is None or record.owner == where.owner)
            and (where.status is None or record.status is where.status)
            and (where.language is None or record.language is where.language)
            and (where.kind is None or record.kind is where.kind)
        ]
        matching.sort(key=lambda record: (record.created_at, record.run_id), reverse=True)
        page = [preview_of(record) for record in matching[offset : offset + limit]]
        return RunPage(page, len(matching))

    def _move(self, run_id: str, target: RunStatus, **values: object) -> bool:
        with self._lock:
            record = self._runs.get(run_id)
            if record is None or not can_move(record.status, target):
                return False
            self._runs[run_id] = evolve(record, status=target, **values)  # type: ignore[arg-type]
            return True

    # --- health ------------------------------------------------------------------------------

    def check_database(self) -> None:
        if not self.database_up:
            raise DependencyUnavailable("the database is down")


def _solution(item: ItemProgress, with_solutions: bool) -> ItemProgress:
    return item if with_solutions else evolve(item, solution="")


def _with(statuses: Mapping[str, Status], key: str, rule: object) -> dict[str, Status]:
    updated = dict(statuses)
    status = rule(updated.get(key))  # type: ignore[operator]
    if status is not None:
        updated[key] = status
    return updated


def _storable(text: str) -> str:
    return text.replace("\x00", "\ufffd")


def _ending(ending: RunEnding, now: datetime) -> dict[str, object]:
    return {
        "verdict": ending.verdict,
        "user_code_output": _storable(ending.user_code_output),
        "tests_output": _storable(ending.tests_output),
        "output_truncated": ending.output_truncated,
        "detail": ending.detail,
        "finished_at": now,
        "heartbeat_at": now,
    }
