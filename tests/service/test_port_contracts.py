"""The store ports' contract: the in-memory fakes and the real store (SQLite and PostgreSQL) behave
alike, call by call. The use-case tests rely on the fakes; this suite is what lets them."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from handyman_core.attempt_types import AttemptItem, AttemptType
from handyman_core.errors import Conflict, InvalidInput
from handyman_core.lti_passback import PassbackParams
from handyman_core.progress import ChapterView, ItemProgress
from handyman_core.run_lifecycle import (
    PREVIEW_CHARS,
    NewRun,
    OutputWrite,
    PulseAnswer,
    RunAllowance,
    RunEnding,
    RunFilter,
    RunStatus,
    StopAnswer,
    ending_of_result,
)
from handyman_core.run_protocol import Language, RunKind, RunResult, Verdict
from handyman_core.statistics_query import TimeWindow
from handyman_core.status import Status
from handyman_core.transitions import Apply, ChapterUpdate, NoAction, NotAllCompleted, Refused
from tests.service.conftest import (
    CHAPTER_1,
    CHAPTER_2,
    COURSE,
    EXAMPLE,
    NOW,
    PROJECT,
    SOURCE,
    TASK,
    TASK_2,
    TASKS_1,
    Ports,
)

USER, OTHER = 7, 8
PASSED = RunResult(Verdict.PASSED, user_code_output="ok\n")
FAILED = RunResult(Verdict.TESTS_FAILED)
CHAPTERS = [CHAPTER_1, CHAPTER_2, "pythonstart_chapter_0030"]


# --- progress --------------------------------------------------------------------------------


def test_a_solved_run_completes_the_task_and_starts_its_chapter_and_course(ports: Ports) -> None:
    store = ports.store
    item = store.record_task_run(USER, TASK, "code", PASSED, now=NOW)

    assert item == ItemProgress(Status.COMPLETED, 1, "code")
    assert store.task_item(USER, TASK) == item
    assert store.chapter_progress(USER, CHAPTER_1) == ChapterView(
        Status.IN_PROGRESS, Status.IN_PROGRESS, {TASK: item}
    )
    assert store.course_statuses(USER) == {COURSE: Status.IN_PROGRESS}


def test_a_failed_run_after_a_solve_keeps_the_task_completed_and_counts(ports: Ports) -> None:
    store = ports.store
    store.record_task_run(USER, TASK, "good", PASSED, now=NOW)
    item = store.record_task_run(USER, TASK, "worse", FAILED, now=NOW)

    assert item == ItemProgress(Status.COMPLETED, 2, "worse")


def test_saving_stores_the_code_without_an_attempt(ports: Ports) -> None:
    store = ports.store
    assert store.save_task(USER, TASK, "draft") == ItemProgress(Status.IN_PROGRESS, 0, "draft")
    assert store.chapter_progress(USER, CHAPTER_1) == ChapterView(
        None, None, {TASK: ItemProgress(Status.IN_PROGRESS, 0, "draft")}
    )


def test_code_no_database_can_store_is_refused_and_nothing_is_written(ports: Ports) -> None:
    store = ports.store
    with pytest.raises(InvalidInput):
        store.record_task_run(USER, TASK, "a\x00b", PASSED, now=NOW)
    with pytest.raises(InvalidInput):
        store.save_task(USER, TASK, "\ud800")
    assert store.user_progress(USER).is_empty()


def test_reads_without_solutions_leave_the_code_out(ports: Ports) -> None:
    store = ports.store
    store.record_task_run(USER, TASK, "code", PASSED, now=NOW)
    store.save_task(USER, TASK_2, "draft")

    progress = store.user_progress(USER, with_solutions=False)
    assert {item.solution for item in progress.tasks.values()} == {""}
    course = store.course_progress(USER, COURSE, with_solutions=False)
    assert course.tasks == progress.tasks
    assert course.chapters == {CHAPTER_1: Status.IN_PROGRESS}


def test_a_project_run_and_save_start_the_course(ports: Ports) -> None:
    store = ports.store
    store.save_project(USER, PROJECT, COURSE, "{}")
    assert store.course_statuses(USER) == {COURSE: Status.IN_PROGRESS}
    item = store.record_project_run(
        USER, PROJECT, COURSE, "{}", result=PASSED, solved=True, now=NOW
    )

    assert item == ItemProgress(Status.COMPLETED, 1, "{}")
    assert store.project_item(USER, PROJECT) == item
    assert store.course_progress(USER, COURSE, with_solutions=True).projects == {PROJECT: item}


def test_completing_a_course_needs_every_live_chapter_completed(ports: Ports) -> None:
    store = ports.store
    assert store.update_course_status(USER, COURSE, "completed", CHAPTERS) == NotAllCompleted()
    assert store.update_course_status(USER, COURSE, "in_progress", CHAPTERS) == Apply(
        Status.IN_PROGRESS
    )
    assert store.update_course_status(USER, COURSE, "in_progress", CHAPTERS) == NoAction()
    assert store.update_course_status(USER, COURSE, "bogus", CHAPTERS) == Refused(
        "in_progress", "bogus"
    )
    assert store.course_statuses(USER) == {COURSE: Status.IN_PROGRESS}


def test_a_chapter_is_completed_once_its_live_tasks_are(ports: Ports) -> None:
    store = ports.store
    update = store.update_chapter_status(
        USER, CHAPTER_1, "completed", live_task_ids=TASKS_1, course_chapter_ids_in_order=CHAPTERS
    )
    assert update == ChapterUpdate(NotAllCompleted(), CHAPTER_1)
    for task_id in TASKS_1:
        store.record_task_run(USER, task_id, "x", PASSED, now=NOW)
    update = store.update_chapter_status(
        USER, CHAPTER_1, "completed", live_task_ids=TASKS_1, course_chapter_ids_in_order=CHAPTERS
    )
    assert update == ChapterUpdate(Apply(Status.COMPLETED), CHAPTER_1)
    assert store.chapter_progress(USER, CHAPTER_1).chapter is Status.COMPLETED


def test_starting_a_started_chapter_names_the_first_chapter_still_to_do(ports: Ports) -> None:
    store = ports.store
    for task_id in TASKS_1:
        store.record_task_run(USER, task_id, "x", PASSED, now=NOW)
    store.update_chapter_status(
        USER, CHAPTER_1, "completed", live_task_ids=TASKS_1, course_chapter_ids_in_order=CHAPTERS
    )

    update = store.update_chapter_status(
        USER, CHAPTER_1, "in_progress", live_task_ids=TASKS_1, course_chapter_ids_in_order=CHAPTERS
    )
    assert update == ChapterUpdate(NoAction(), CHAPTER_2)


def test_a_merge_folds_the_old_account_into_the_current_one(ports: Ports) -> None:
    store = ports.store
    store.record_task_run(USER, TASK, "cur", FAILED, now=NOW)
    store.record_task_run(OTHER, TASK, "old", PASSED, now=NOW)
    store.save_task(OTHER, TASK_2, "draft")

    store.merge_users(USER, OTHER, now=NOW)

    assert store.task_item(USER, TASK) == ItemProgress(Status.COMPLETED, 2, "old")
    assert store.task_item(USER, TASK_2) == ItemProgress(Status.IN_PROGRESS, 0, "draft")
    assert store.user_progress(OTHER).is_empty()


def test_merging_a_user_into_itself_is_refused(ports: Ports) -> None:
    with pytest.raises(Conflict):
        ports.store.merge_users(USER, USER, now=NOW)


def test_a_split_copies_the_progress_to_an_empty_account(ports: Ports) -> None:
    store = ports.store
    store.record_task_run(USER, TASK, "code", PASSED, now=NOW)
    store.split_users(USER, OTHER, now=NOW)
    assert store.user_progress(OTHER) == store.user_progress(USER)


def test_a_split_into_an_account_with_progress_writes_nothing(ports: Ports) -> None:
    store = ports.store
    store.record_task_run(USER, TASK, "code", PASSED, now=NOW)
    store.save_task(OTHER, TASK_2, "mine")
    before = store.user_progress(OTHER)
    with pytest.raises(Conflict):
        store.split_users(USER, OTHER, now=NOW)
    assert store.user_progress(OTHER) == before


# --- playgrounds and the catalogue -----------------------------------------------------------


def test_a_kept_playground_is_given_back_and_an_unknown_one_is_none(ports: Ports) -> None:
    store = ports.store
    store.save_playground("pg-1", "python", USER, '{"a": 1}', now=NOW)
    store.save_playground("pg-1", "python", None, '{"a": 2}', now=NOW)
    assert store.playground_code("pg-1") == '{"a": 2}'
    assert store.playground_code("pg-2") is None


def test_before_any_import_the_catalogue_is_empty_at_version_0(empty_ports: Ports) -> None:
    store = empty_ports.store
    assert (store.catalogue_version().version, store.catalogue_version().source) == (0, "")
    assert store.load_catalogue().courses == ()


def test_an_import_is_a_new_version_with_its_source(empty_ports: Ports) -> None:
    empty_ports.publish()
    store = empty_ports.store
    assert (store.catalogue_version().version, store.catalogue_version().source) == (1, SOURCE)
    assert store.load_catalogue() == EXAMPLE


def test_the_database_answers(ports: Ports) -> None:
    ports.store.check_database()


# --- the run log -----------------------------------------------------------------------------

_ids = (f"{number:032x}" for number in itertools.count(1))
HOST = "web-1:4242"
LATER = NOW + timedelta(seconds=5)


def new_run(
    ports: Ports,
    *,
    owner: int | None = USER,
    language: Language = Language.BASH,
    kind: RunKind = RunKind.SCRIPT,
    host_id: str = HOST,
    at: int = 0,
) -> str:
    run_id = next(_ids)
    run = NewRun(run_id, owner, language, kind, None, host_id)
    ports.store.create_run(run, now=NOW + timedelta(seconds=at))
    return run_id


def running_run(ports: Ports, **options: object) -> str:
    run_id = new_run(ports, **options)  # type: ignore[arg-type]
    assert ports.store.mark_running(run_id, now=NOW)
    return run_id


def status_of(ports: Ports, run_id: str) -> RunStatus:
    record = ports.store.get_run(run_id)
    assert record is not None
    return record.status


def test_a_run_is_queued_then_starts_only_once(ports: Ports) -> None:
    run_id = new_run(ports)
    assert status_of(ports, run_id) is RunStatus.QUEUED
    assert ports.store.mark_running(run_id, now=NOW)
    assert not ports.store.mark_running(run_id, now=NOW)
    assert status_of(ports, run_id) is RunStatus.RUNNING


def test_a_run_taken_at_once_is_recorded_running_from_its_creation(ports: Ports) -> None:
    run_id = next(_ids)
    run = NewRun(run_id, USER, Language.BASH, RunKind.SCRIPT, None, HOST, status=RunStatus.RUNNING)
    assert ports.store.create_run(run, now=NOW)
    record = ports.store.get_run(run_id)
    assert record is not None
    assert (record.status, record.created_at, record.started_at) == (RunStatus.RUNNING, NOW, NOW)


def admitted(ports: Ports, owner: int | None, allowance: RunAllowance) -> bool:
    run = NewRun(next(_ids), owner, Language.BASH, RunKind.SCRIPT, None, HOST)
    return ports.store.create_run(run, now=LATER, allowance=allowance)


def test_a_user_with_as_many_runs_going_as_allowed_gets_no_more_recorded(ports: Ports) -> None:
    allowance = RunAllowance(2, heard_since=NOW)
    assert admitted(ports, USER, allowance)
    assert admitted(ports, USER, allowance)
    assert not admitted(ports, USER, allowance)
    assert ports.store.list_runs(RunFilter(owner=USER), offset=0, limit=10).total == 2
    assert admitted(ports, OTHER, allowance)
    assert admitted(ports, None, RunAllowance(0, heard_since=NOW))


def test_ended_runs_and_runs_not_heard_of_leave_their_places_free(ports: Ports) -> None:
    ended = running_run(ports)
    ports.store.finish_run(ended, ending_of_result(PASSED), now=NOW)
    new_run(ports, at=-31)
    allowance = RunAllowance(1, heard_since=NOW - timedelta(seconds=30))
    assert admitted(ports, USER, allowance)
    assert not admitted(ports, USER, allowance)


def test_a_finished_run_keeps_its_verdict_and_is_never_written_again(ports: Ports) -> None:
    run_id = running_run(ports)
    passed = ending_of_result(
        RunResult(Verdict.PASSED, user_code_output="hi\x00", tests_output="ok")
    )
    assert ports.store.finish_run(run_id, passed, now=LATER)
    assert not ports.store.finish_run(run_id, RunEnding(RunStatus.FAILED), now=LATER)
    record = ports.store.get_run(run_id)
    assert record is not None
    assert (record.status, record.verdict, record.user_code_output, record.tests_output) == (
        RunStatus.FINISHED,
        Verdict.PASSED,
        "hi\ufffd",
        "ok",
    )
    assert record.finished_at == LATER


def test_a_queued_run_cannot_finish_with_a_verdict(ports: Ports) -> None:
    run_id = new_run(ports)
    assert not ports.store.finish_run(run_id, ending_of_result(PASSED), now=LATER)


def test_stopping_answers_by_the_status_it_finds(ports: Ports) -> None:
    store = ports.store
    queued, running, ended = new_run(ports), running_run(ports), running_run(ports)
    store.finish_run(ended, ending_of_result(PASSED), now=LATER)

    assert store.request_stop(queued, now=LATER, reason="r") == (
        StopAnswer.STOPPED_NOW,
        RunStatus.QUEUED,
    )
    assert not store.mark_running(queued, now=LATER)
    assert store.request_stop(running, now=LATER, reason="r") == (
        StopAnswer.REQUESTED,
        RunStatus.RUNNING,
    )
    assert store.request_stop(ended, now=LATER, reason="r") == (
        StopAnswer.ALREADY_ENDED,
        RunStatus.FINISHED,
    )
    assert store.request_stop("f" * 32, now=LATER, reason="r") is None
    assert status_of(ports, queued) is RunStatus.STOPPED
    assert status_of(ports, running) is RunStatus.RUNNING


def test_a_pulse_writes_output_and_heartbeat_and_says_which_runs_to_stop(ports: Ports) -> None:
    store = ports.store
    going, asked, ended = running_run(ports), running_run(ports), running_run(ports)
    store.request_stop(asked, now=NOW, reason="r")
    store.finish_run(ended, ending_of_result(PASSED), now=NOW)

    answers = store.record_pulse(
        [going, asked, ended], {going: OutputWrite("so far"), ended: OutputWrite("late")}, now=LATER
    )

    assert answers == {
        going: PulseAnswer(RunStatus.RUNNING, stop_requested=False),
        asked: PulseAnswer(RunStatus.RUNNING, stop_requested=True),
        ended: PulseAnswer(RunStatus.FINISHED, stop_requested=False),
    }
    record = store.get_run(going)
    assert record is not None
    assert (record.user_code_output, record.heartbeat_at) == ("so far", LATER)
    finished = store.get_run(ended)
    assert finished is not None
    assert finished.user_code_output == "ok\n"


def test_a_pulse_appends_new_output_or_replaces_it_all(ports: Ports) -> None:
    store = ports.store
    run_id = running_run(ports)
    store.record_pulse([run_id], {run_id: OutputWrite("first\n")}, now=LATER)
    store.record_pulse([run_id], {run_id: OutputWrite("second\x00\n")}, now=LATER)
    record = store.get_run(run_id)
    assert record is not None
    assert record.user_code_output == "first\nsecond\ufffd\n"

    store.record_pulse([run_id], {run_id: OutputWrite("all", replaces=True)}, now=LATER)
    record = store.get_run(run_id)
    assert record is not None
    assert record.user_code_output == "all"


def test_orphans_are_failed_by_silence_or_by_their_worker(ports: Ports) -> None:
    store = ports.store
    silent, named, fresh = running_run(ports), running_run(ports, host_id="web-2:1"), new_run(ports)
    store.record_pulse([fresh], {}, now=LATER)

    assert store.fail_orphaned(reason="gone", now=LATER) == 0
    assert (
        store.fail_orphaned(heartbeat_before=NOW + timedelta(seconds=1), reason="gone", now=LATER)
        == 2
    )
    assert {status_of(ports, silent), status_of(ports, named)} == {RunStatus.FAILED}
    assert store.fail_orphaned(host_ids=["web-9:1"], reason="gone", now=LATER) == 0
    assert status_of(ports, fresh) is RunStatus.QUEUED


def test_the_workers_with_active_runs_are_found_by_prefix(ports: Ports) -> None:
    running_run(ports, host_id="web-1:1")
    new_run(ports, host_id="web-1:2")
    ended = running_run(ports, host_id="web-1:3")
    ports.store.finish_run(ended, ending_of_result(PASSED), now=LATER)
    running_run(ports, host_id="web-2:1")

    assert ports.store.active_host_ids("web-1:") == {"web-1:1", "web-1:2"}


def test_runs_are_listed_newest_first_filtered_and_counted(ports: Ports) -> None:
    first = new_run(ports, at=1)
    second = new_run(ports, at=2, language=Language.PYTHON)
    third = new_run(ports, at=3, owner=OTHER)
    store = ports.store

    page = store.list_runs(RunFilter(), offset=0, limit=2)
    assert ([record.run_id for record in page.runs], page.total) == ([third, second], 3)
    page = store.list_runs(RunFilter(), offset=2, limit=2)
    assert [record.run_id for record in page.runs] == [first]
    page = store.list_runs(RunFilter(owner=USER, language=Language.PYTHON), offset=0, limit=10)
    assert ([record.run_id for record in page.runs], page.total) == ([second], 1)


def test_pruning_deletes_only_ended_runs_created_before_the_cutoff(ports: Ports) -> None:
    store = ports.store
    old_ended = running_run(ports, at=0)
    store.finish_run(old_ended, ending_of_result(PASSED), now=NOW)
    old_running = running_run(ports, at=0)
    new_ended = running_run(ports, at=100)
    store.finish_run(new_ended, ending_of_result(PASSED), now=NOW)

    assert store.prune_runs(created_before=NOW + timedelta(seconds=50)) == 1

    assert store.get_run(old_ended) is None
    assert store.get_run(old_running) is not None
    assert store.get_run(new_ended) is not None


def test_a_listing_shows_previews_and_a_run_read_alone_all_its_output(ports: Ports) -> None:
    store = ports.store
    run_id = running_run(ports)
    long_output = "é" * (PREVIEW_CHARS + 500)
    store.record_pulse([run_id], {run_id: OutputWrite(long_output)}, now=LATER)

    (listed,) = store.list_runs(RunFilter(), offset=0, limit=10).runs
    assert listed.user_code_output == "é" * PREVIEW_CHARS
    assert listed.output_chars == (PREVIEW_CHARS + 500, 0)
    record = store.get_run(run_id)
    assert record is not None
    assert (record.user_code_output, record.output_chars) == (long_output, None)


# --- learning analytics ----------------------------------------------------------------------

LMS = PassbackParams("uni-lms", "block-1", "https://lms.example/grade", "student-7")
STATS_WINDOW = TimeWindow(NOW - timedelta(hours=1), NOW + timedelta(hours=1))


def test_a_task_run_with_passback_params_is_read_back_as_its_lmss_attempt(ports: Ports) -> None:
    ports.publish()
    ports.store.record_task_run(USER, TASK, "x", FAILED, now=NOW, passback=LMS)
    ports.store.record_task_run(OTHER, TASK, "x", PASSED, now=NOW + timedelta(seconds=1))

    [lms] = ports.store.statistics_records(frozenset({"uni-lms"}), STATS_WINDOW)
    everyone = list(ports.store.statistics_records(frozenset(), STATS_WINDOW))

    assert (lms.handyman_user_id, lms.user_id, lms.passback) == (USER, "student-7", LMS)
    assert (lms.attempt_type, lms.is_correct, lms.item_id, lms.course_id) == (
        AttemptType.SUBMIT,
        False,
        TASK,
        COURSE,
    )
    assert [record.handyman_user_id for record in everyone] == [USER, OTHER]
    assert everyone[1].passback is None


def test_statistics_pages_follow_the_cursor(ports: Ports) -> None:
    ports.publish()
    for second in range(3):
        ports.store.record_task_run(USER, TASK, "x", PASSED, now=NOW + timedelta(seconds=second))

    first = list(ports.store.statistics_records(frozenset(), STATS_WINDOW, limit=2))
    rest = list(ports.store.statistics_records(frozenset(), STATS_WINDOW, after=first[-1].position))

    assert len(first) == 2 and len(rest) == 1
    assert rest[0].created_at == NOW + timedelta(seconds=2)


def test_practice_and_playground_attempts_have_their_types(ports: Ports) -> None:
    ports.publish()
    ports.store.record_project_run(
        USER, PROJECT, COURSE, "{}", result=FAILED, solved=False, now=NOW,
        attempt_type=AttemptType.SUBMIT,
    )  # fmt: skip
    ports.store.record_playground_run(
        USER, "pg-1", "{}", result=PASSED, now=NOW + timedelta(seconds=1), passback=LMS
    )

    records = list(ports.store.statistics_records(frozenset(), STATS_WINDOW))

    assert [(r.item_kind, r.attempt_type, r.is_correct, r.course_id) for r in records] == [
        (AttemptItem.PROJECT, AttemptType.SUBMIT, False, COURSE),
        (AttemptItem.PLAYGROUND, AttemptType.RUN, None, None),
    ]
