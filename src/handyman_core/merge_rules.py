"""merge_users and split_users as functions on progress values (docs/behaviour.md, "Merge and
split").

The store must produce exactly what these functions produce, in one transaction. Unlike the
original, practice projects are merged and split too, and a user is never merged into itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from handyman_core.errors import Conflict, InvalidInput
from handyman_core.ids import parse_user_id
from handyman_core.progress import ItemProgress, UserProgress
from handyman_core.status import Status, higher_status

_Key = TypeVar("_Key", bound=str)
_Value = TypeVar("_Value")


def merge_status(old: Status | None, cur: Status | None) -> Status | None:
    """completed > blocked > in_progress > no row."""
    if old is None:
        return cur
    if cur is None:
        return old
    return higher_status(old, cur)


def merge_solution(old: ItemProgress, cur: ItemProgress) -> str:
    """The original's best_solution: a completed solution wins, the old one first; otherwise a
    non-empty old text beats the current one."""
    if old.status == Status.COMPLETED:
        return old.solution
    if cur.status == Status.COMPLETED:
        return cur.solution
    return old.solution or cur.solution


def merge_item(old: ItemProgress | None, cur: ItemProgress | None) -> ItemProgress | None:
    if old is None:
        return cur
    if cur is None:
        return old
    return ItemProgress(
        status=higher_status(old.status, cur.status),
        attempts=old.attempts + cur.attempts,
        solution=merge_solution(old, cur),
    )


def merge_users(old: UserProgress, cur: UserProgress) -> UserProgress:
    """`cur`'s progress after absorbing `old`'s (whose rows are then deleted)."""
    return UserProgress(
        courses=_merge_rows(old.courses, cur.courses, merge_status),
        chapters=_merge_rows(old.chapters, cur.chapters, merge_status),
        tasks=_merge_rows(old.tasks, cur.tasks, merge_item),
        projects=_merge_rows(old.projects, cur.projects, merge_item),
    )


def split_user(cur: UserProgress, new: UserProgress) -> UserProgress:
    """`new`'s progress after the split: a copy of `cur`'s. Refused when `new` already has any
    progress, so that a split can never overwrite or mix two users' rows."""
    if not new.is_empty():
        raise Conflict("new_user_id already has progress")
    return UserProgress(
        courses=cur.courses, chapters=cur.chapters, tasks=cur.tasks, projects=cur.projects
    )


def check_merge_ids(
    cur_user_id: str | int | None, old_user_id: str | int | None
) -> tuple[int, int]:
    """Both ids valid and different (merging a user into itself wiped it in the original)."""
    return _two_distinct_users("cur_user_id", cur_user_id, "old_user_id", old_user_id)


def check_split_ids(
    cur_user_id: str | int | None, new_user_id: str | int | None
) -> tuple[int, int]:
    return _two_distinct_users("cur_user_id", cur_user_id, "new_user_id", new_user_id)


def _two_distinct_users(
    first_field: str,
    first: str | int | None,
    second_field: str,
    second: str | int | None,
) -> tuple[int, int]:
    problems: dict[str, str] = {}
    parsed: dict[str, int] = {}
    for field, value in ((first_field, first), (second_field, second)):
        try:
            parsed[field] = parse_user_id(value, field)
        except InvalidInput as error:
            problems.update(error.fields)
    if problems:
        raise InvalidInput(problems)
    if parsed[first_field] == parsed[second_field]:
        # Both ids are well formed, so the request is valid as a document says it (no schema
        # can state that two fields differ); what it asks cannot be done: a conflict.
        raise Conflict(f"{second_field} must differ from {first_field}: it is the same account")
    return parsed[first_field], parsed[second_field]


def _merge_rows(
    old: Mapping[_Key, _Value],
    cur: Mapping[_Key, _Value],
    merge: Callable[[_Value | None, _Value | None], _Value | None],
) -> dict[_Key, _Value]:
    merged: dict[_Key, _Value] = {}
    for key in old.keys() | cur.keys():
        value = merge(old.get(key), cur.get(key))
        if value is not None:
            merged[key] = value
    return merged
