"""Completion checks and get_progress's chapter verdict (original §2.4, §2.5, §2.9)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from handyman_core.completion import (
    CHAPTER_COMPLETED,
    CHAPTER_NOT_COMPLETED,
    ChapterSummary,
    all_chapters_completed,
    all_tasks_completed,
    chapter_summary,
)
from handyman_core.status import Status

TASKS = [f"python_chapter_0010_task_{n:04d}" for n in (10, 20, 30, 40)]
CHAPTERS = [f"python_chapter_{n:04d}" for n in (10, 20, 30)]

task_statuses = st.dictionaries(st.sampled_from(TASKS), st.sampled_from(list(Status)))
maybe_chapter_status = st.none() | st.sampled_from(list(Status))


def test_a_chapter_with_no_tasks_is_complete() -> None:
    assert all_tasks_completed([], {})


def test_a_course_with_no_chapters_is_complete() -> None:
    assert all_chapters_completed([], {})


def test_one_task_without_row_makes_the_chapter_incomplete() -> None:
    statuses = {task: Status.COMPLETED for task in TASKS[:-1]}
    assert not all_tasks_completed(TASKS, statuses)


def test_a_blocked_chapter_makes_the_course_incomplete() -> None:
    statuses = {chapter: Status.COMPLETED for chapter in CHAPTERS}
    statuses[CHAPTERS[1]] = Status.BLOCKED
    assert not all_chapters_completed(CHAPTERS, statuses)


def test_rows_of_retired_items_do_not_count() -> None:
    """Only the ids passed (the live catalogue) matter, not extra progress rows."""
    statuses = {TASKS[0]: Status.COMPLETED, "python_chapter_0010_task_9990": Status.IN_PROGRESS}
    assert all_tasks_completed(TASKS[:1], statuses)


@given(statuses=task_statuses)
def test_all_completed_means_every_listed_task_has_a_completed_row(
    statuses: dict[str, Status],
) -> None:
    expected = all(statuses.get(task) is Status.COMPLETED for task in TASKS)
    assert all_tasks_completed(TASKS, statuses) == expected
    assert all_chapters_completed(TASKS, statuses) == expected


# --- chapter_summary -----------------------------------------------------------------------------


def test_unsolved_tasks_make_the_chapter_not_completed_and_are_listed_in_order() -> None:
    statuses = {TASKS[0]: Status.COMPLETED, TASKS[2]: Status.IN_PROGRESS}
    assert chapter_summary(TASKS, statuses, Status.IN_PROGRESS) == ChapterSummary(
        user_status_on_chapter=CHAPTER_NOT_COMPLETED,
        not_completed_tasks=(TASKS[1], TASKS[2], TASKS[3]),
    )


def test_a_chapter_row_that_says_completed_wins_over_unsolved_tasks() -> None:
    summary = chapter_summary(TASKS, {}, Status.COMPLETED)
    assert summary == ChapterSummary(CHAPTER_COMPLETED, tuple(TASKS))


def test_a_chapter_with_all_tasks_solved_is_completed_without_a_chapter_row() -> None:
    statuses = {task: Status.COMPLETED for task in TASKS}
    assert chapter_summary(TASKS, statuses, None) == ChapterSummary(CHAPTER_COMPLETED, ())


def test_a_chapter_without_tasks_is_completed() -> None:
    """The original says the same of an unknown chapter id; callers reject those earlier."""
    assert chapter_summary([], {}, None) == ChapterSummary(CHAPTER_COMPLETED, ())


@given(statuses=task_statuses, chapter_status=maybe_chapter_status)
def test_not_completed_tasks_are_the_listed_tasks_without_a_completed_row(
    statuses: dict[str, Status], chapter_status: Status | None
) -> None:
    summary = chapter_summary(TASKS, statuses, chapter_status)
    expected = [task for task in TASKS if statuses.get(task) is not Status.COMPLETED]
    assert list(summary.not_completed_tasks) == expected


@given(statuses=task_statuses, chapter_status=maybe_chapter_status)
def test_the_verdict_is_completed_iff_all_tasks_are_or_the_row_says_so(
    statuses: dict[str, Status], chapter_status: Status | None
) -> None:
    summary = chapter_summary(TASKS, statuses, chapter_status)
    completed = all_tasks_completed(TASKS, statuses) or chapter_status is Status.COMPLETED
    assert summary.user_status_on_chapter == (
        CHAPTER_COMPLETED if completed else CHAPTER_NOT_COMPLETED
    )
