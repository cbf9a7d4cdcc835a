"""update_course_progress / update_chapter_progress decisions: original §0.7, §2.4, §2.5."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handyman_core.status import Status
from handyman_core.transitions import (
    Apply,
    Decision,
    NoAction,
    NotAllCompleted,
    Refused,
    decide_chapter_update,
    decide_course_update,
    is_new_status_valid,
    no_action_chapter,
)

VOCABULARY = ("", "not_started", "in_progress", "blocked", "completed")


def transcribed_rules(current: str, new: str) -> bool:
    """§0.7 word for word: a transition is valid if any of the three rules holds."""
    rule_1 = new == "blocked"
    rule_2 = current in ("", "not_started") and new in ("in_progress", "completed")
    rule_3 = current == "in_progress" and new == "completed"
    return rule_1 or rule_2 or rule_3


# --- is_new_status_valid -------------------------------------------------------------------------

VALID_PAIRS = {
    ("", "in_progress"),
    ("", "completed"),
    ("not_started", "in_progress"),
    ("not_started", "completed"),
    ("in_progress", "completed"),
} | {(current, "blocked") for current in VOCABULARY}


@pytest.mark.parametrize("current", VOCABULARY)
@pytest.mark.parametrize("new", VOCABULARY)
def test_the_transition_matrix_over_the_vocabulary(current: str, new: str) -> None:
    assert is_new_status_valid(current, new) == ((current, new) in VALID_PAIRS)


def test_blocked_can_be_entered_from_completed() -> None:
    assert is_new_status_valid("completed", "blocked")


def test_nothing_but_blocked_leaves_blocked() -> None:
    assert [new for new in VOCABULARY if is_new_status_valid("blocked", new)] == ["blocked"]


def test_completed_to_completed_is_invalid() -> None:
    assert not is_new_status_valid("completed", "completed")


def test_in_progress_to_in_progress_is_invalid() -> None:
    assert not is_new_status_valid("in_progress", "in_progress")


def test_not_started_is_never_a_valid_target() -> None:
    assert not any(is_new_status_valid(current, "not_started") for current in VOCABULARY)


text_or_vocabulary = st.sampled_from(VOCABULARY) | st.text(max_size=12)


@given(current=text_or_vocabulary, new=text_or_vocabulary)
def test_validity_agrees_with_the_three_rules(current: str, new: str) -> None:
    assert is_new_status_valid(current, new) == transcribed_rules(current, new)


@given(current=st.sampled_from(VOCABULARY), new=st.text(max_size=12))
def test_unknown_targets_are_invalid(current: str, new: str) -> None:
    if new not in VOCABULARY:
        assert not is_new_status_valid(current, new)


# --- decide_course_update: the observed table of §2.4 --------------------------------------------


def test_course_without_row_can_be_started() -> None:
    assert decide_course_update(None, "in_progress", False) == Apply(Status.IN_PROGRESS)


def test_course_in_progress_started_again_is_no_action() -> None:
    assert decide_course_update(Status.IN_PROGRESS, "in_progress", False) == NoAction()


def test_completed_course_started_again_is_no_action() -> None:
    assert decide_course_update(Status.COMPLETED, "in_progress", True) == NoAction()


def test_course_to_unknown_status_is_refused_with_both_values() -> None:
    assert decide_course_update(Status.IN_PROGRESS, "bogus", True) == Refused(
        current_status="in_progress", new_status="bogus"
    )


def test_blocked_course_cannot_be_started() -> None:
    assert decide_course_update(Status.BLOCKED, "in_progress", True) == Refused(
        current_status="blocked", new_status="in_progress"
    )


def test_completed_course_cannot_be_completed_again() -> None:
    assert decide_course_update(Status.COMPLETED, "completed", True) == Refused(
        current_status="completed", new_status="completed"
    )


def test_course_cannot_be_completed_before_all_its_chapters() -> None:
    assert decide_course_update(None, "completed", False) == NotAllCompleted()


def test_course_can_be_completed_once_all_its_chapters_are() -> None:
    assert decide_course_update(Status.IN_PROGRESS, "completed", True) == Apply(Status.COMPLETED)


def test_missing_course_row_is_reported_as_empty_current_status() -> None:
    assert decide_course_update(None, "bogus", True) == Refused(
        current_status="", new_status="bogus"
    )


def test_not_started_is_taken_as_no_course_row() -> None:
    assert decide_course_update(Status.NOT_STARTED, "bogus", True) == Refused(
        current_status="", new_status="bogus"
    )


def test_course_can_be_blocked_without_any_completion_check() -> None:
    assert decide_course_update(Status.COMPLETED, "blocked", False) == Apply(Status.BLOCKED)


# --- decide_chapter_update: §2.5 -----------------------------------------------------------------


def test_chapter_without_row_can_be_started() -> None:
    assert decide_chapter_update(None, "in_progress", False) == Apply(Status.IN_PROGRESS)


def test_chapter_in_progress_started_again_is_no_action() -> None:
    assert decide_chapter_update(Status.IN_PROGRESS, "in_progress", False) == NoAction()


def test_completed_chapter_started_again_is_no_action() -> None:
    assert decide_chapter_update(Status.COMPLETED, "in_progress", True) == NoAction()


def test_chapter_with_unsolved_tasks_cannot_be_completed() -> None:
    assert decide_chapter_update(Status.IN_PROGRESS, "completed", False) == NotAllCompleted()


def test_chapter_with_all_tasks_done_can_be_completed_from_no_row() -> None:
    """Also the case of a chapter with zero tasks (the caller's check passes)."""
    assert decide_chapter_update(None, "completed", True) == Apply(Status.COMPLETED)


def test_missing_chapter_row_is_reported_as_not_started() -> None:
    assert decide_chapter_update(None, "bogus", True) == Refused(
        current_status="not_started", new_status="bogus"
    )


def test_blocked_chapter_cannot_be_started() -> None:
    assert decide_chapter_update(Status.BLOCKED, "in_progress", True) == Refused(
        current_status="blocked", new_status="in_progress"
    )


def test_the_transition_check_comes_before_the_completion_check() -> None:
    assert decide_chapter_update(Status.COMPLETED, "completed", False) == Refused(
        current_status="completed", new_status="completed"
    )


# --- properties of both deciders -----------------------------------------------------------------

NO_ROW = (None, Status.NOT_STARTED)
currents = st.none() | st.sampled_from(list(Status))
requests = st.sampled_from(VOCABULARY) | st.text(max_size=12)
Decider = Callable[[Status | None, str, bool], Decision]
deciders: st.SearchStrategy[Decider] = st.sampled_from(
    [decide_course_update, decide_chapter_update]
)


@given(decide=deciders, current=currents, requested=requests, all_done=st.booleans())
def test_apply_writes_exactly_the_requested_status(
    decide: Decider, current: Status | None, requested: str, all_done: bool
) -> None:
    decision = decide(current, requested, all_done)
    if isinstance(decision, Apply):
        assert decision.status.value == requested


@given(decide=deciders, current=currents, requested=requests, all_done=st.booleans())
def test_no_action_only_answers_a_request_to_start(
    decide: Decider, current: Status | None, requested: str, all_done: bool
) -> None:
    decision = decide(current, requested, all_done)
    if isinstance(decision, NoAction):
        assert requested == "in_progress"
        assert current in (Status.IN_PROGRESS, Status.COMPLETED)


@given(decide=deciders, current=currents, requested=requests)
def test_completion_check_only_matters_for_completing(
    decide: Decider, current: Status | None, requested: str
) -> None:
    if requested != "completed":
        assert decide(current, requested, True) == decide(current, requested, False)


@given(current=currents, requested=requests, all_done=st.booleans())
def test_course_and_chapter_differ_only_in_how_a_missing_row_is_reported(
    current: Status | None, requested: str, all_done: bool
) -> None:
    course = decide_course_update(current, requested, all_done)
    chapter = decide_chapter_update(current, requested, all_done)
    if isinstance(course, Refused) and isinstance(chapter, Refused) and current in NO_ROW:
        assert (course.current_status, chapter.current_status) == ("", "not_started")
    else:
        assert course == chapter


# --- no_action_chapter ---------------------------------------------------------------------------

CHAPTERS = ["python_chapter_0010", "python_chapter_0020", "python_chapter_0030"]


def test_no_action_names_the_first_chapter_in_progress() -> None:
    statuses = {"python_chapter_0010": Status.COMPLETED, "python_chapter_0020": Status.IN_PROGRESS}
    assert no_action_chapter(CHAPTERS, statuses, "python_chapter_0010") == "python_chapter_0020"


def test_no_action_names_the_first_chapter_not_started() -> None:
    statuses = {"python_chapter_0010": Status.COMPLETED, "python_chapter_0020": Status.BLOCKED}
    assert no_action_chapter(CHAPTERS, statuses, "python_chapter_0010") == "python_chapter_0030"


def test_no_action_falls_back_to_the_requested_chapter() -> None:
    statuses = {chapter: Status.COMPLETED for chapter in CHAPTERS}
    assert no_action_chapter(CHAPTERS, statuses, "python_chapter_0020") == "python_chapter_0020"


def test_no_action_with_no_progress_names_the_first_chapter() -> None:
    assert no_action_chapter(CHAPTERS, {}, "python_chapter_0030") == "python_chapter_0010"


@given(
    statuses=st.dictionaries(st.sampled_from(CHAPTERS), st.sampled_from(list(Status))),
    requested=st.sampled_from(CHAPTERS),
)
def test_no_action_chapter_is_an_open_chapter_or_the_requested_one(
    statuses: dict[str, Status], requested: str
) -> None:
    chosen = no_action_chapter(CHAPTERS, statuses, requested)
    open_chapters = [
        chapter
        for chapter in CHAPTERS
        if statuses.get(chapter, Status.NOT_STARTED) in (Status.NOT_STARTED, Status.IN_PROGRESS)
    ]
    assert chosen == (open_chapters[0] if open_chapters else requested)
