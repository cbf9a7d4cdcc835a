"""Effects of a run with a verdict and of a save (contract §3)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from handyman_core.ids import (
    ChapterId,
    CourseId,
    ProjectId,
    TaskId,
    chapter_of_task,
    course_of_task,
)
from handyman_core.progress import ItemProgress, UserProgress
from handyman_core.run_rules import (
    apply_run,
    apply_save,
    chapter_after_run,
    course_after_run,
    project_run_on_user,
    project_save_on_user,
    run_on_user,
    save_on_user,
)
from handyman_core.status import Status
from tests.core.strategies import (
    POOL_COURSES,
    POOL_PROJECTS,
    POOL_TASKS,
    item_progress,
    rank,
    rows_of,
    solutions,
    statuses_of,
    total_attempts,
    user_progress,
)

TASK = TaskId("python_chapter_0010_task_0010")
CHAPTER = ChapterId("python_chapter_0010")
COURSE = CourseId("python")
PROJECT = ProjectId("python_calculator")

maybe_items = st.none() | item_progress()
maybe_statuses = st.none() | st.sampled_from(list(Status))


# --- apply_run -----------------------------------------------------------------------------------


def test_first_solved_run_completes_with_one_attempt() -> None:
    assert apply_run(None, True, "x = 1") == ItemProgress(Status.COMPLETED, 1, "x = 1")


def test_first_failed_run_is_in_progress_with_one_attempt() -> None:
    assert apply_run(None, False, "x = 1") == ItemProgress(Status.IN_PROGRESS, 1, "x = 1")


def test_failed_rerun_keeps_a_completed_task_completed() -> None:
    done = ItemProgress(Status.COMPLETED, 1, "good")
    assert apply_run(done, False, "bad") == ItemProgress(Status.COMPLETED, 2, "bad")


def test_solved_rerun_of_an_unfinished_task_completes_it() -> None:
    started = ItemProgress(Status.IN_PROGRESS, 4, "wip")
    assert apply_run(started, True, "good") == ItemProgress(Status.COMPLETED, 5, "good")


@given(item=maybe_items, code=solutions())
def test_a_solved_run_always_completes(item: ItemProgress | None, code: str) -> None:
    assert apply_run(item, True, code).status == Status.COMPLETED


@given(item=maybe_items, solved=st.booleans(), code=solutions())
def test_a_run_never_lowers_the_item(item: ItemProgress | None, solved: bool, code: str) -> None:
    before = item.status if item else None
    assert apply_run(item, solved, code).status.rank >= rank(before)


@given(item=maybe_items, solved=st.booleans(), code=solutions())
def test_a_run_adds_exactly_one_attempt(item: ItemProgress | None, solved: bool, code: str) -> None:
    before = item.attempts if item else 0
    assert apply_run(item, solved, code).attempts == before + 1


@given(item=maybe_items, solved=st.booleans(), code=solutions())
def test_a_run_stores_the_submitted_code(
    item: ItemProgress | None, solved: bool, code: str
) -> None:
    assert apply_run(item, solved, code).solution == code


@given(item=maybe_items, code=solutions())
def test_a_failed_run_leaves_only_completed_or_started_or_blocked(
    item: ItemProgress | None, code: str
) -> None:
    after = apply_run(item, False, code).status
    expected = item.status if item and item.status != Status.IN_PROGRESS else Status.IN_PROGRESS
    assert after == expected


# --- apply_save ----------------------------------------------------------------------------------


def test_first_save_opens_the_item_with_no_attempts() -> None:
    assert apply_save(None, "draft") == ItemProgress(Status.IN_PROGRESS, 0, "draft")


def test_save_replaces_only_the_solution() -> None:
    done = ItemProgress(Status.COMPLETED, 3, "good")
    assert apply_save(done, "draft") == ItemProgress(Status.COMPLETED, 3, "draft")


@given(item=item_progress(), code=solutions())
def test_save_never_changes_status_or_attempts_of_a_row(item: ItemProgress, code: str) -> None:
    saved = apply_save(item, code)
    assert (saved.status, saved.attempts, saved.solution) == (item.status, item.attempts, code)


# --- chapter and course after a run --------------------------------------------------------------


def test_run_starts_a_chapter_without_row() -> None:
    assert chapter_after_run(None) == Status.IN_PROGRESS


def test_run_leaves_a_completed_chapter_alone() -> None:
    assert chapter_after_run(Status.COMPLETED) is None


def test_run_starts_a_course_without_row() -> None:
    assert course_after_run(None) == Status.IN_PROGRESS


@given(status=st.sampled_from([Status.IN_PROGRESS, Status.BLOCKED, Status.COMPLETED]))
def test_run_leaves_any_existing_chapter_or_course_row_alone(status: Status) -> None:
    assert chapter_after_run(status) is None
    assert course_after_run(status) is None


# --- whole user: task run and save ---------------------------------------------------------------


def test_first_run_creates_task_chapter_and_course_rows() -> None:
    after = run_on_user(UserProgress(), TASK, True, "code")
    assert after == UserProgress(
        courses={COURSE: Status.IN_PROGRESS},
        chapters={CHAPTER: Status.IN_PROGRESS},
        tasks={TASK: ItemProgress(Status.COMPLETED, 1, "code")},
    )


def test_run_does_not_reopen_a_completed_chapter_or_course() -> None:
    before = UserProgress(courses={COURSE: Status.COMPLETED}, chapters={CHAPTER: Status.COMPLETED})
    after = run_on_user(before, TASK, False, "code")
    assert (after.courses, after.chapters) == (before.courses, before.chapters)


@given(
    progress=user_progress(),
    task_id=st.sampled_from(POOL_TASKS),
    solved=st.booleans(),
    code=solutions(),
)
def test_a_task_run_never_lowers_any_status(
    progress: UserProgress, task_id: TaskId, solved: bool, code: str
) -> None:
    before = statuses_of(progress)
    after = statuses_of(run_on_user(progress, task_id, solved, code))
    assert all(rank(after.get(key)) >= status.rank for key, status in before.items())


@given(
    progress=user_progress(),
    task_id=st.sampled_from(POOL_TASKS),
    solved=st.booleans(),
    code=solutions(),
)
def test_a_task_run_touches_only_its_task_chapter_and_course(
    progress: UserProgress, task_id: TaskId, solved: bool, code: str
) -> None:
    after = run_on_user(progress, task_id, solved, code)
    touched = {task_id, chapter_of_task(task_id), course_of_task(task_id)}
    before_rows, after_rows = rows_of(progress), rows_of(after)
    changed = {
        key
        for key in before_rows.keys() | after_rows.keys()
        if before_rows.get(key) != after_rows.get(key)
    }
    assert changed <= touched
    assert task_id in changed


@given(
    progress=user_progress(),
    task_id=st.sampled_from(POOL_TASKS),
    solved=st.booleans(),
    code=solutions(),
)
def test_a_task_run_adds_one_attempt_in_total(
    progress: UserProgress, task_id: TaskId, solved: bool, code: str
) -> None:
    after = run_on_user(progress, task_id, solved, code)
    assert total_attempts(after) == total_attempts(progress) + 1


@given(
    progress=user_progress(),
    task_id=st.sampled_from(POOL_TASKS),
    solved=st.booleans(),
    code=solutions(),
)
def test_after_a_task_run_its_chapter_and_course_have_rows(
    progress: UserProgress, task_id: TaskId, solved: bool, code: str
) -> None:
    after = run_on_user(progress, task_id, solved, code)
    assert chapter_of_task(task_id) in after.chapters
    assert course_of_task(task_id) in after.courses


@given(progress=user_progress(), task_id=st.sampled_from(POOL_TASKS), code=solutions())
def test_a_save_touches_only_the_task_row(
    progress: UserProgress, task_id: TaskId, code: str
) -> None:
    after = save_on_user(progress, task_id, code)
    assert (after.courses, after.chapters, after.projects) == (
        progress.courses,
        progress.chapters,
        progress.projects,
    )
    assert after.tasks[task_id] == apply_save(progress.tasks.get(task_id), code)
    assert {k: v for k, v in after.tasks.items() if k != task_id} == {
        k: v for k, v in progress.tasks.items() if k != task_id
    }


# --- whole user: practice projects ---------------------------------------------------------------


def test_project_run_starts_the_course_but_no_chapter() -> None:
    after = project_run_on_user(UserProgress(), PROJECT, COURSE, False, "{}")
    assert after == UserProgress(
        courses={COURSE: Status.IN_PROGRESS},
        projects={PROJECT: ItemProgress(Status.IN_PROGRESS, 1, "{}")},
    )


def test_a_plain_run_never_downgrades_a_completed_project() -> None:
    before = UserProgress(
        courses={COURSE: Status.COMPLETED},
        projects={PROJECT: ItemProgress(Status.COMPLETED, 2, "{}")},
    )
    after = project_run_on_user(before, PROJECT, COURSE, False, "{ }")
    assert after.projects[PROJECT] == ItemProgress(Status.COMPLETED, 3, "{ }")
    assert after.courses == before.courses


def test_first_project_save_has_no_attempts_and_starts_the_course() -> None:
    after = project_save_on_user(UserProgress(), PROJECT, COURSE, "{}")
    assert after == UserProgress(
        courses={COURSE: Status.IN_PROGRESS},
        projects={PROJECT: ItemProgress(Status.IN_PROGRESS, 0, "{}")},
    )


@given(
    progress=user_progress(),
    project_id=st.sampled_from(POOL_PROJECTS),
    course_id=st.sampled_from(POOL_COURSES),
    solved=st.booleans(),
    code=solutions(),
)
def test_a_project_run_follows_the_task_item_rules(
    progress: UserProgress, project_id: ProjectId, course_id: CourseId, solved: bool, code: str
) -> None:
    after = project_run_on_user(progress, project_id, course_id, solved, code)
    assert after.projects[project_id] == apply_run(progress.projects.get(project_id), solved, code)
    assert after.chapters == progress.chapters
    assert after.tasks == progress.tasks
    assert after.courses[course_id].rank >= rank(progress.courses.get(course_id))


@given(
    progress=user_progress(),
    project_id=st.sampled_from(POOL_PROJECTS),
    course_id=st.sampled_from(POOL_COURSES),
    code=solutions(),
)
def test_a_project_save_never_changes_an_existing_projects_status_or_attempts(
    progress: UserProgress, project_id: ProjectId, course_id: CourseId, code: str
) -> None:
    after = project_save_on_user(progress, project_id, course_id, code)
    before_item = progress.projects.get(project_id)
    after_item = after.projects[project_id]
    if before_item is not None:
        assert (after_item.status, after_item.attempts) == (
            before_item.status,
            before_item.attempts,
        )
    assert after_item.solution == code
