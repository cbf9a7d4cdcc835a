"""The store's transactions produce exactly what the pure core rules produce, on SQLite and
PostgreSQL: merge and split, folds of runs and saves, and status updates.

Each example writes random rows for fresh user ids into the test's database, so examples never
see each other's rows.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import pytest
from attrs import evolve, frozen
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from handyman_core import merge_rules, run_rules
from handyman_core.attempt_types import AttemptType
from handyman_core.completion import all_chapters_completed, all_tasks_completed
from handyman_core.errors import Conflict
from handyman_core.ids import (
    ChapterId,
    CourseId,
    ProjectId,
    TaskId,
    chapter_of_task,
    course_of_chapter,
)
from handyman_core.progress import ItemProgress, UserProgress
from handyman_core.run_protocol import RunResult, Verdict
from handyman_core.status import Status
from handyman_core.transitions import (
    Apply,
    Decision,
    NoAction,
    decide_chapter_update,
    decide_course_update,
    no_action_chapter,
)
from handyman_store import progress_reads, progress_writes
from handyman_store.attempt_log import attempts_of
from handyman_store.merge_split import merge_users, split_users
from tests.core import strategies
from tests.store.progress_catalogue import CATALOGUE, NOW, seed_catalogue, write_progress

DB_EXAMPLES = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
_fresh_user_ids = itertools.count(1_000)

CATALOGUE_COURSES = tuple(course.id for course in CATALOGUE.courses)
CATALOGUE_CHAPTERS = tuple(chapter.id for chapter in CATALOGUE.chapters)
CATALOGUE_TASKS = tuple(task.id for task in CATALOGUE.tasks)
CATALOGUE_PROJECTS = tuple(project.id for project in CATALOGUE.projects)


def storable(progress: UserProgress) -> UserProgress:
    """PostgreSQL text cannot hold NUL (the store refuses such code before it gets there)."""
    return evolve(
        progress,
        tasks={key: _without_nul(item) for key, item in progress.tasks.items()},
        projects={key: _without_nul(item) for key, item in progress.projects.items()},
    )


def _without_nul(item: ItemProgress) -> ItemProgress:
    return evolve(item, solution=item.solution.replace("\x00", ""))


progress_over_catalogue = strategies.user_progress(
    CATALOGUE_COURSES, CATALOGUE_CHAPTERS, CATALOGUE_TASKS, CATALOGUE_PROJECTS
).map(storable)
codes = st.text(alphabet=strategies.STORABLE_CHARACTERS, max_size=8)


@pytest.fixture
def db(engine: Engine) -> Engine:
    return seed_catalogue(engine)


def stored(engine: Engine, user_id: int) -> UserProgress:
    with engine.connect() as connection:
        return progress_reads.user_progress(connection, user_id)


def fresh_user(engine: Engine, progress: UserProgress) -> int:
    user_id = next(_fresh_user_ids)
    write_progress(engine, user_id, progress)
    return user_id


@DB_EXAMPLES
@given(old=progress_over_catalogue, cur=progress_over_catalogue)
def test_merge_equals_the_core_merge(db: Engine, old: UserProgress, cur: UserProgress) -> None:
    old_id, cur_id = fresh_user(db, old), fresh_user(db, cur)
    merge_users(db, cur_id, old_id, now=NOW)
    assert stored(db, cur_id) == merge_rules.merge_users(old, cur)
    assert stored(db, old_id) == UserProgress()


@DB_EXAMPLES
@given(
    cur=progress_over_catalogue,
    new=st.just(UserProgress()) | progress_over_catalogue,
)
def test_split_equals_the_core_split(db: Engine, cur: UserProgress, new: UserProgress) -> None:
    cur_id, new_id = fresh_user(db, cur), fresh_user(db, new)
    try:
        expected = merge_rules.split_user(cur, new)
    except Conflict:
        with pytest.raises(Conflict):
            split_users(db, cur_id, new_id, now=NOW)
        assert stored(db, new_id) == new
    else:
        split_users(db, cur_id, new_id, now=NOW)
        assert stored(db, new_id) == expected
    assert stored(db, cur_id) == cur


@frozen
class TaskRun:
    task_id: TaskId
    solved: bool
    code: str


@frozen
class TaskSave:
    task_id: TaskId
    code: str


@frozen
class ProjectRun:
    project_id: ProjectId
    solved: bool
    code: str


@frozen
class ProjectSave:
    project_id: ProjectId
    code: str


Operation = TaskRun | TaskSave | ProjectRun | ProjectSave

task_ids = st.sampled_from(CATALOGUE_TASKS)
project_ids = st.sampled_from(CATALOGUE_PROJECTS)
operations = st.lists(
    st.one_of(
        st.builds(TaskRun, task_ids, st.booleans(), codes),
        st.builds(TaskSave, task_ids, codes),
        st.builds(ProjectRun, project_ids, st.booleans(), codes),
        st.builds(ProjectSave, project_ids, codes),
    ),
    max_size=12,
)


def course_of_project(project_id: ProjectId) -> CourseId:
    project = CATALOGUE.project(project_id)
    assert project is not None
    return project.course_id


def apply_in_core(progress: UserProgress, operation: Operation) -> UserProgress:
    match operation:
        case TaskRun(task_id, solved, code):
            return run_rules.run_on_user(progress, task_id, solved, code)
        case TaskSave(task_id, code):
            return run_rules.save_on_user(progress, task_id, code)
        case ProjectRun(project_id, solved, code):
            course_id = course_of_project(project_id)
            return run_rules.project_run_on_user(progress, project_id, course_id, solved, code)
        case ProjectSave(project_id, code):
            course_id = course_of_project(project_id)
            return run_rules.project_save_on_user(progress, project_id, course_id, code)


def apply_in_store(engine: Engine, user_id: int, operation: Operation) -> None:
    match operation:
        case TaskRun(task_id, solved, code):
            result = RunResult(Verdict.PASSED if solved else Verdict.RUN_FAILED)
            progress_writes.record_task_run(engine, user_id, task_id, code, result, now=NOW)
        case TaskSave(task_id, code):
            progress_writes.save_task(engine, user_id, task_id, code)
        case ProjectRun(project_id, solved, code):
            progress_writes.record_project_run(
                engine,
                user_id,
                project_id,
                course_of_project(project_id),
                code,
                result=RunResult(Verdict.PASSED if solved else Verdict.TESTS_FAILED),
                solved=solved,
                attempt_type=AttemptType.SUBMIT,
                now=NOW,
            )
        case ProjectSave(project_id, code):
            progress_writes.save_project(
                engine, user_id, project_id, course_of_project(project_id), code
            )


@DB_EXAMPLES
@given(initial=progress_over_catalogue, steps=operations)
def test_runs_and_saves_equal_folding_the_core_rules(
    db: Engine, initial: UserProgress, steps: Sequence[Operation]
) -> None:
    user_id = fresh_user(db, initial)
    expected = initial
    for operation in steps:
        apply_in_store(db, user_id, operation)
        expected = apply_in_core(expected, operation)
    assert stored(db, user_id) == expected
    with db.connect() as connection:
        logged = attempts_of(connection, user_id)
    assert len(logged) == sum(isinstance(step, TaskRun | ProjectRun) for step in steps)


requested_statuses = st.sampled_from([*(status.value for status in Status), "", "bogus"])


@DB_EXAMPLES
@given(
    initial=progress_over_catalogue,
    chapter_id=st.sampled_from(CATALOGUE_CHAPTERS),
    requested=requested_statuses,
    retired=st.sets(task_ids),
)
def test_a_chapter_update_equals_the_core_decision(
    db: Engine, initial: UserProgress, chapter_id: ChapterId, requested: str, retired: set[TaskId]
) -> None:
    user_id = fresh_user(db, initial)
    course_id = course_of_chapter(chapter_id)
    live_tasks = [task.id for task in CATALOGUE.tasks_of(chapter_id) if task.id not in retired]
    chapters_in_order = [chapter.id for chapter in CATALOGUE.chapters_of(course_id)]
    update = progress_writes.update_chapter_status(
        db,
        user_id,
        chapter_id,
        requested,
        live_task_ids=live_tasks,
        course_chapter_ids_in_order=chapters_in_order,
    )
    task_statuses = {
        task_id: item.status
        for task_id, item in initial.tasks.items()
        if chapter_of_task(task_id) == chapter_id
    }
    decision = decide_chapter_update(
        initial.chapters.get(chapter_id),
        requested,
        all_tasks_completed(live_tasks, task_statuses),
    )
    assert update.decision == decision
    if isinstance(decision, NoAction):
        assert update.chapter_id == no_action_chapter(
            chapters_in_order, initial.chapters, chapter_id
        )
    else:
        assert update.chapter_id == chapter_id
    assert stored(db, user_id) == _after_chapter_decision(initial, chapter_id, decision)


@DB_EXAMPLES
@given(
    initial=progress_over_catalogue,
    course_id=st.sampled_from(CATALOGUE_COURSES),
    requested=requested_statuses,
    retired=st.sets(st.sampled_from(CATALOGUE_CHAPTERS)),
)
def test_a_course_update_equals_the_core_decision(
    db: Engine, initial: UserProgress, course_id: CourseId, requested: str, retired: set[ChapterId]
) -> None:
    user_id = fresh_user(db, initial)
    live_chapters = [
        chapter.id for chapter in CATALOGUE.chapters_of(course_id) if chapter.id not in retired
    ]
    decision = progress_writes.update_course_status(
        db, user_id, course_id, requested, live_chapters
    )
    assert decision == decide_course_update(
        initial.courses.get(course_id),
        requested,
        all_chapters_completed(live_chapters, initial.chapters),
    )
    expected = initial
    if isinstance(decision, Apply):
        expected = evolve(initial, courses={**initial.courses, course_id: decision.status})
    assert stored(db, user_id) == expected


def _after_chapter_decision(
    progress: UserProgress, chapter_id: ChapterId, decision: Decision
) -> UserProgress:
    """Apply writes the chapter and starts a course that has no row; anything else writes
    nothing."""
    if not isinstance(decision, Apply):
        return progress
    course_id = course_of_chapter(chapter_id)
    courses = dict(progress.courses)
    courses.setdefault(course_id, Status.IN_PROGRESS)
    return evolve(
        progress, chapters={**progress.chapters, chapter_id: decision.status}, courses=courses
    )
