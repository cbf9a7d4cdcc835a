"""merge_users / split_users as value functions (contract §4, original §1.3, §2.15, §2.16)."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from handyman_core.errors import Conflict, InvalidInput
from handyman_core.ids import ChapterId, CourseId, ProjectId, TaskId
from handyman_core.merge_rules import (
    check_merge_ids,
    check_split_ids,
    merge_item,
    merge_status,
    merge_users,
    split_user,
)
from handyman_core.progress import ItemProgress, UserProgress
from handyman_core.status import Status
from tests.core.strategies import (
    item_progress,
    rank,
    statuses_of,
    total_attempts,
    user_ids,
    user_progress,
)

maybe_statuses = st.none() | st.sampled_from([Status.IN_PROGRESS, Status.BLOCKED, Status.COMPLETED])
maybe_items = st.none() | item_progress()

# --- merge_status: max_edu_status ----------------------------------------------------------------


def test_completed_beats_in_progress() -> None:
    assert merge_status(Status.COMPLETED, Status.IN_PROGRESS) == Status.COMPLETED


def test_blocked_beats_in_progress() -> None:
    """Observed: course rust, cur blocked + old in_progress -> blocked."""
    assert merge_status(Status.IN_PROGRESS, Status.BLOCKED) == Status.BLOCKED


def test_completed_beats_blocked() -> None:
    assert merge_status(Status.BLOCKED, Status.COMPLETED) == Status.COMPLETED


def test_a_missing_row_takes_the_other_side() -> None:
    assert merge_status(None, Status.BLOCKED) == Status.BLOCKED
    assert merge_status(Status.BLOCKED, None) == Status.BLOCKED
    assert merge_status(None, None) is None


@given(old=maybe_statuses, cur=maybe_statuses)
def test_merge_status_is_the_higher_rank(old: Status | None, cur: Status | None) -> None:
    assert rank(merge_status(old, cur)) == max(rank(old), rank(cur))


@given(old=maybe_statuses, cur=maybe_statuses)
def test_merge_status_is_commutative(old: Status | None, cur: Status | None) -> None:
    assert merge_status(old, cur) == merge_status(cur, old)


# --- merge_item: the observed examples of §2.15 --------------------------------------------------


def test_old_completed_solution_wins_and_attempts_add_up() -> None:
    old = ItemProgress(Status.COMPLETED, 2, "old_code")
    cur = ItemProgress(Status.IN_PROGRESS, 3, "cur_code")
    assert merge_item(old, cur) == ItemProgress(Status.COMPLETED, 5, "old_code")


def test_cur_completed_solution_wins_over_old_work_in_progress() -> None:
    old = ItemProgress(Status.IN_PROGRESS, 1, "old_wip")
    cur = ItemProgress(Status.COMPLETED, 1, "cur_done")
    assert merge_item(old, cur) == ItemProgress(Status.COMPLETED, 2, "cur_done")


def test_non_empty_old_text_beats_empty_cur_text() -> None:
    old = ItemProgress(Status.IN_PROGRESS, 0, "old_nonempty")
    cur = ItemProgress(Status.IN_PROGRESS, 0, "")
    assert merge_item(old, cur) == ItemProgress(Status.IN_PROGRESS, 0, "old_nonempty")


def test_non_empty_old_text_beats_non_empty_cur_text_when_neither_is_completed() -> None:
    old = ItemProgress(Status.IN_PROGRESS, 0, "old")
    cur = ItemProgress(Status.BLOCKED, 0, "cur")
    assert merge_item(old, cur) == ItemProgress(Status.BLOCKED, 0, "old")


def test_empty_old_text_gives_cur_text() -> None:
    old = ItemProgress(Status.IN_PROGRESS, 0, "")
    cur = ItemProgress(Status.IN_PROGRESS, 0, "cur")
    assert merge_item(old, cur) == ItemProgress(Status.IN_PROGRESS, 0, "cur")


def test_both_completed_keeps_old_solution() -> None:
    old = ItemProgress(Status.COMPLETED, 1, "old")
    cur = ItemProgress(Status.COMPLETED, 1, "cur")
    assert merge_item(old, cur) == ItemProgress(Status.COMPLETED, 2, "old")


@given(row=item_progress())
def test_a_row_on_one_side_only_is_taken_as_it_is(row: ItemProgress) -> None:
    assert merge_item(row, None) == row
    assert merge_item(None, row) == row


@given(old=maybe_items, cur=maybe_items)
def test_the_merged_solution_is_a_completed_one_when_either_side_is_completed(
    old: ItemProgress | None, cur: ItemProgress | None
) -> None:
    merged = merge_item(old, cur)
    completed = [row.solution for row in (old, cur) if row and row.status == Status.COMPLETED]
    if merged is not None and completed:
        assert merged.solution == completed[0]


# --- merge_users ---------------------------------------------------------------------------------


def test_merge_combines_every_kind_of_row_including_practice() -> None:
    old = UserProgress(
        courses={CourseId("python"): Status.COMPLETED},
        chapters={ChapterId("python_chapter_0010"): Status.COMPLETED},
        tasks={TaskId("python_chapter_0010_task_0010"): ItemProgress(Status.COMPLETED, 2, "a")},
        projects={ProjectId("python_calculator"): ItemProgress(Status.COMPLETED, 1, "{}")},
    )
    cur = UserProgress(
        courses={CourseId("python"): Status.IN_PROGRESS, CourseId("rust"): Status.BLOCKED},
        projects={ProjectId("python_calculator"): ItemProgress(Status.IN_PROGRESS, 4, "{ }")},
    )
    assert merge_users(old, cur) == UserProgress(
        courses={CourseId("python"): Status.COMPLETED, CourseId("rust"): Status.BLOCKED},
        chapters={ChapterId("python_chapter_0010"): Status.COMPLETED},
        tasks={TaskId("python_chapter_0010_task_0010"): ItemProgress(Status.COMPLETED, 2, "a")},
        projects={ProjectId("python_calculator"): ItemProgress(Status.COMPLETED, 5, "{}")},
    )


@given(old=user_progress(), cur=user_progress())
def test_merge_is_commutative_in_statuses_and_attempts(
    old: UserProgress, cur: UserProgress
) -> None:
    one_way, other_way = merge_users(old, cur), merge_users(cur, old)
    assert statuses_of(one_way) == statuses_of(other_way)
    assert attempts_by_item(one_way) == attempts_by_item(other_way)


@given(old=user_progress(), cur=user_progress())
def test_merge_never_lowers_a_status_of_either_side(old: UserProgress, cur: UserProgress) -> None:
    merged = statuses_of(merge_users(old, cur))
    for side in (old, cur):
        for key, status in statuses_of(side).items():
            assert rank(merged.get(key)) >= status.rank


@given(old=user_progress(), cur=user_progress())
def test_merge_keeps_exactly_the_rows_of_both_sides(old: UserProgress, cur: UserProgress) -> None:
    merged = statuses_of(merge_users(old, cur))
    assert merged.keys() == statuses_of(old).keys() | statuses_of(cur).keys()


@given(old=user_progress(), cur=user_progress())
def test_merge_conserves_attempts(old: UserProgress, cur: UserProgress) -> None:
    assert total_attempts(merge_users(old, cur)) == total_attempts(old) + total_attempts(cur)


@given(progress=user_progress())
def test_merging_an_empty_user_is_the_identity(progress: UserProgress) -> None:
    assert merge_users(UserProgress(), progress) == progress
    assert merge_users(progress, UserProgress()) == progress


@given(a=user_progress(), b=user_progress(), c=user_progress())
def test_merge_is_associative_in_statuses(
    a: UserProgress, b: UserProgress, c: UserProgress
) -> None:
    left = merge_users(merge_users(a, b), c)
    right = merge_users(a, merge_users(b, c))
    assert statuses_of(left) == statuses_of(right)


# --- split_user ----------------------------------------------------------------------------------


@given(progress=user_progress())
def test_split_copies_every_row_to_the_new_user(progress: UserProgress) -> None:
    assert split_user(progress, UserProgress()) == progress


@given(cur=user_progress(), new=user_progress().filter(lambda p: not p.is_empty()))
def test_split_into_a_user_with_progress_is_a_conflict(
    cur: UserProgress, new: UserProgress
) -> None:
    with pytest.raises(Conflict):
        split_user(cur, new)


def test_split_into_a_user_with_only_practice_progress_is_a_conflict() -> None:
    new = UserProgress(projects={ProjectId("python_calculator"): ItemProgress(Status.BLOCKED)})
    with pytest.raises(Conflict):
        split_user(UserProgress(), new)


@given(progress=user_progress())
def test_split_then_merge_back_restores_the_statuses(progress: UserProgress) -> None:
    copy = split_user(progress, UserProgress())
    assert statuses_of(merge_users(copy, progress)) == statuses_of(progress)


# --- merge and split ids -------------------------------------------------------------------------


@given(cur=user_ids(), old=user_ids())
def test_two_different_valid_ids_are_accepted(cur: int, old: int) -> None:
    assume(cur != old)
    assert check_merge_ids(cur, old) == (cur, old)
    assert check_split_ids(cur, old) == (cur, old)


@given(user=user_ids())
def test_merging_a_user_into_itself_is_a_conflict_naming_the_field(user: int) -> None:
    with pytest.raises(Conflict, match=r"^old_user_id must differ from cur_user_id"):
        check_merge_ids(user, user)


@given(user=user_ids())
def test_splitting_a_user_into_itself_is_a_conflict_naming_the_field(user: int) -> None:
    with pytest.raises(Conflict, match=r"^new_user_id must differ from cur_user_id"):
        check_split_ids(user, user)


def test_a_zero_cur_user_id_is_named() -> None:
    with pytest.raises(InvalidInput) as raised:
        check_merge_ids(0, 5)
    assert set(raised.value.fields) == {"cur_user_id"}


def test_a_missing_old_user_id_is_named() -> None:
    with pytest.raises(InvalidInput) as raised:
        check_merge_ids(5, None)
    assert set(raised.value.fields) == {"old_user_id"}


def test_both_bad_ids_are_named_at_once() -> None:
    with pytest.raises(InvalidInput) as raised:
        check_split_ids(-1, 0)
    assert set(raised.value.fields) == {"cur_user_id", "new_user_id"}


def test_merge_ids_may_come_as_decimal_strings() -> None:
    assert check_merge_ids("12", "13") == (12, 13)


def attempts_by_item(progress: UserProgress) -> dict[str, int]:
    pairs: list[tuple[str, ItemProgress]] = [*progress.tasks.items(), *progress.projects.items()]
    return {key: item.attempts for key, item in pairs}
