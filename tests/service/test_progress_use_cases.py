"""Courses, chapters, accounts, practice, playground, runs and health over in-memory ports."""

from __future__ import annotations

import pytest

from handyman_core.chapter_page import ChapterPage
from handyman_core.completion import CHAPTER_COMPLETED, CHAPTER_NOT_COMPLETED
from handyman_core.errors import Conflict, Forbidden, NotFound
from handyman_core.ids import CourseId
from handyman_core.run_lifecycle import RunStatus
from handyman_core.run_protocol import Language, RunKind, RunRequest, RunResult
from handyman_core.status import Status
from handyman_core.transitions import Apply, NoAction, NotAllCompleted
from handyman_service import accounts, chapters, courses, playground, practice, runs
from handyman_service.health import HealthReport, check_health
from handyman_service.tasks import RunTask, run_task
from tests.http.test_practice_endpoints import TREE
from tests.service.conftest import (
    CHAPTER_1,
    CHAPTER_2,
    CHAPTER_3,
    COURSE,
    PROJECT,
    TASK,
    TASKS_1,
)
from tests.service.use_case_context import World, world

USER, OTHER = 7, 8


def solve_chapter_1(w: World) -> None:
    for task_id in TASKS_1:
        run_task(w.context, RunTask(USER, task_id, "x"))


# --- courses ---------------------------------------------------------------------------------


def test_a_visitor_lists_every_course_without_statuses() -> None:
    listing = courses.list_courses(world().context, courses.ListCourses(None))
    assert [(entry.course.id, entry.status) for entry in listing] == [(COURSE, None)]


def test_a_user_lists_courses_with_their_status_or_filtered_by_one() -> None:
    w = world()
    assert [e.status for e in courses.list_courses(w.context, courses.ListCourses(USER))] == [
        Status.NOT_STARTED
    ]
    started = courses.ListCourses(USER, Status.IN_PROGRESS)
    assert courses.list_courses(w.context, started) == []
    run_task(w.context, RunTask(USER, TASK, "x"))
    assert [e.course.id for e in courses.list_courses(w.context, started)] == [COURSE]


def test_an_unknown_course_is_not_found() -> None:
    with pytest.raises(NotFound):
        courses.get_course(world().context, courses.CourseQuery(None, CourseId("nosuchcourse")))


def test_completing_a_course_waits_for_its_chapters() -> None:
    w = world()
    command = courses.UpdateCourseProgress(USER, COURSE, "completed")
    assert courses.update_course_progress(w.context, command) == NotAllCompleted()
    start = courses.UpdateCourseProgress(USER, COURSE, "in_progress")
    assert courses.update_course_progress(w.context, start) == Apply(Status.IN_PROGRESS)


def test_statistics_count_the_users_courses_only() -> None:
    w = world()
    assert courses.statistics_of_courses(w.context, USER) == []
    run_task(w.context, RunTask(USER, TASK, "x"))
    (entry,) = courses.statistics_of_course(w.context, courses.CourseStatisticsQuery(USER, COURSE))
    assert (entry.finished_tasks, entry.status) == (1, Status.IN_PROGRESS)


# --- chapters --------------------------------------------------------------------------------


def test_the_outline_lists_chapters_then_the_project_with_the_users_statuses() -> None:
    w = world()
    run_task(w.context, RunTask(USER, TASK, "x"))
    outline = chapters.outline_course(w.context, chapters.OutlineQuery(USER, COURSE))
    assert outline.course_status is Status.IN_PROGRESS
    assert [row.item_id for row in outline.rows] == [CHAPTER_1, CHAPTER_2, CHAPTER_3, PROJECT]
    assert outline.rows[0].status is Status.IN_PROGRESS


def test_a_chapter_opens_by_course_at_its_first_chapter() -> None:
    page = chapters.open_chapter(world().context, chapters.ChapterQuery(None, COURSE))
    assert page.chapter_id == CHAPTER_1


def test_the_active_chapter_needs_a_course_in_progress() -> None:
    w = world()
    query = chapters.ActiveChapterQuery(USER, COURSE)
    assert chapters.active_chapter(w.context, query) == chapters.CourseNotInProgress()
    run_task(w.context, RunTask(USER, TASK, "x"))
    active = chapters.active_chapter(w.context, query)
    assert isinstance(active, ChapterPage)
    assert active.chapter_id == CHAPTER_1


def test_the_summary_names_unfinished_tasks_until_the_chapter_is_done() -> None:
    w = world()
    query = chapters.SummaryQuery(USER, CHAPTER_1)
    summary = chapters.summarise_chapter(w.context, query)
    assert summary.user_status_on_chapter == CHAPTER_NOT_COMPLETED
    assert summary.not_completed_tasks == TASKS_1
    assert summary.next_item_id == CHAPTER_2
    solve_chapter_1(w)
    summary = chapters.summarise_chapter(w.context, query)
    assert (summary.not_completed_tasks, summary.course_completed) == ((), False)


def test_completing_the_last_chapter_shows_the_courses_projects() -> None:
    w = world()
    for chapter in w.context.catalogue.current().chapters:
        for task in w.context.catalogue.current().tasks_of(chapter.id):
            run_task(w.context, RunTask(USER, task.id, "x"))
        chapters.update_chapter_progress(
            w.context, chapters.UpdateChapterProgress(USER, chapter.id, "completed")
        )
    summary = chapters.summarise_chapter(w.context, chapters.SummaryQuery(USER, CHAPTER_3))
    assert summary.user_status_on_chapter == CHAPTER_COMPLETED
    assert summary.course_completed
    assert [(p.project.id, p.status) for p in summary.projects] == [(PROJECT, Status.NOT_STARTED)]


def test_restarting_a_completed_chapter_sends_the_user_to_the_next_one_to_do() -> None:
    w = world()
    solve_chapter_1(w)
    complete = chapters.UpdateChapterProgress(USER, CHAPTER_1, "completed")
    assert chapters.update_chapter_progress(w.context, complete).update.decision == Apply(
        Status.COMPLETED
    )
    restart = chapters.UpdateChapterProgress(USER, CHAPTER_1, "in_progress")
    outcome = chapters.update_chapter_progress(w.context, restart)
    assert (outcome.update.decision, outcome.update.chapter_id) == (NoAction(), CHAPTER_2)


# --- accounts, practice, playground ----------------------------------------------------------


def test_merge_and_split_move_progress_between_accounts() -> None:
    w = world()
    run_task(w.context, RunTask(OTHER, TASK, "x"))
    accounts.merge_users(w.context, accounts.MergeUsers(USER, OTHER))
    assert w.store.task_item(USER, TASK) is not None
    with pytest.raises(Conflict):
        accounts.split_users(w.context, accounts.SplitUsers(OTHER, USER))


def test_a_practice_project_opens_with_its_path_under_the_imported_folder() -> None:
    w = world()
    view = practice.open_practice(w.context, practice.PracticeQuery(None, COURSE, PROJECT))
    assert view.status is Status.NOT_STARTED
    assert view.project_path is not None
    assert view.project_path.endswith(f"{COURSE}/practice/{PROJECT}/project")


def test_only_a_passing_test_action_completes_a_project() -> None:
    w = world()
    for action, expected in (("run", Status.IN_PROGRESS), ("test", Status.COMPLETED)):
        command = practice.HandlePracticeCode(USER, COURSE, PROJECT, action, TREE)
        outcome = practice.handle_practice_code(w.context, command)
        assert isinstance(outcome, RunResult)
        item = w.store.project_item(USER, PROJECT)
        assert item is not None
        assert item.status is expected


def test_saving_a_project_stores_the_tree_without_running_it() -> None:
    w = world()
    command = practice.HandlePracticeCode(USER, COURSE, PROJECT, "save", TREE)
    assert practice.handle_practice_code(w.context, command) == practice.ProjectSaved()
    assert w.runner.requests == []
    item = w.store.project_item(USER, PROJECT)
    assert item is not None
    assert (item.status, item.attempts, item.solution) == (Status.IN_PROGRESS, 0, TREE)


def test_a_kept_playground_is_given_back_and_an_unknown_one_is_not_found() -> None:
    w = world()
    request = RunRequest(kind=RunKind.PLAYGROUND, language=Language.PYTHON)
    playground.run_playground(w.context, playground.RunPlayground(None, request, "{}", "pg-1"))
    assert playground.playground_code(w.context, "pg-1") == "{}"
    with pytest.raises(NotFound):
        playground.playground_code(w.context, "pg-2")


# --- tracked runs and health -----------------------------------------------------------------


def test_another_users_run_is_forbidden_without_the_admin() -> None:
    w = world()
    script = RunRequest(kind=RunKind.SCRIPT, language=Language.BASH, source_run="echo")
    record = runs.start_run(w.context, runs.StartRun(runs.Caller(USER), script, wait=True))
    assert record.status is RunStatus.FINISHED
    with pytest.raises(Forbidden):
        runs.visible_run(w.context, runs.RunQuery(runs.Caller(OTHER), record.run_id))
    admin = runs.RunQuery(runs.Caller(None, admin=True), record.run_id)
    assert runs.visible_run(w.context, admin) == record


def test_stopping_an_ended_run_is_a_conflict() -> None:
    w = world()
    script = RunRequest(kind=RunKind.SCRIPT, language=Language.BASH, source_run="echo")
    record = runs.start_run(w.context, runs.StartRun(runs.Caller(USER), script, wait=True))
    with pytest.raises(Conflict):
        runs.stop_run(w.context, runs.RunQuery(runs.Caller(USER), record.run_id))


def test_listing_shows_the_callers_runs_only() -> None:
    w = world()
    script = RunRequest(kind=RunKind.SCRIPT, language=Language.BASH, source_run="echo")
    runs.start_run(w.context, runs.StartRun(runs.Caller(USER), script, wait=True))
    runs.start_run(w.context, runs.StartRun(runs.Caller(OTHER), script, wait=True))
    page = runs.list_runs(
        w.context, runs.ListRuns(runs.Caller(USER), runs.RunFilter(), offset=0, limit=10)
    )
    assert [record.owner for record in page.runs] == [USER]


def test_health_reports_the_database_and_the_runner() -> None:
    w = world()
    assert check_health(w.context) == HealthReport(None, True)
    w.store.database_up = False
    report = check_health(w.context)
    assert report.database_failure is not None
    assert report.database_failure.dependency == "dependency"
