"""Id grammar and the original's positional derivation task -> chapter -> course
(docs/behaviour.md, "Ids and the request object").

Ids are plain `str` at runtime; the NewTypes document which kind a function expects.
No id that fails this grammar ever reaches a query or a file path.
"""

from __future__ import annotations

import re
from typing import NewType

from handyman_core.errors import InvalidInput

CourseId = NewType("CourseId", str)
ChapterId = NewType("ChapterId", str)
TaskId = NewType("TaskId", str)
ProjectId = NewType("ProjectId", str)
ExampleId = NewType("ExampleId", str)

MAX_ID_LENGTH = 128
MAX_USER_ID = 2**63 - 1

_COURSE = r"[a-z][a-z0-9]*"
COURSE_RE = re.compile(rf"(?P<course>{_COURSE})")
CHAPTER_RE = re.compile(rf"(?P<course>{_COURSE})_chapter_(?P<number>[0-9]{{4}})")
TASK_RE = re.compile(rf"(?P<chapter>{_COURSE}_chapter_[0-9]{{4}})_task_(?P<number>[0-9]{{4}})")
PROJECT_RE = re.compile(rf"(?P<course>{_COURSE})_(?P<name>[a-z0-9_]+)")
EXAMPLE_RE = re.compile(r"[a-z0-9_]+")

_TASK_SUFFIX_LENGTH = len("_task_0000")
_CHAPTER_SUFFIX_LENGTH = len("_chapter_0000")


def _check(field: str, kind: str, pattern: re.Pattern[str], value: str) -> str:
    if not value:
        raise InvalidInput.field(field, "must not be empty")
    if len(value) > MAX_ID_LENGTH:
        raise InvalidInput.field(field, f"must be at most {MAX_ID_LENGTH} characters")
    if pattern.fullmatch(value) is None:
        raise InvalidInput.field(field, f"is not a valid {kind} id")
    return value


def parse_course_id(value: str, field: str = "course_id") -> CourseId:
    return CourseId(_check(field, "course", COURSE_RE, value))


def parse_chapter_id(value: str, field: str = "chapter_id") -> ChapterId:
    return ChapterId(_check(field, "chapter", CHAPTER_RE, value))


def parse_task_id(value: str, field: str = "task_id") -> TaskId:
    return TaskId(_check(field, "task", TASK_RE, value))


def parse_project_id(value: str, field: str = "project_id") -> ProjectId:
    return ProjectId(_check(field, "project", PROJECT_RE, value))


def parse_example_id(value: str, field: str = "example_id") -> ExampleId:
    return ExampleId(_check(field, "example", EXAMPLE_RE, value))


def chapter_of_task(task_id: TaskId) -> ChapterId:
    """The original's rule: strip `_task_NNNN`."""
    return ChapterId(task_id[:-_TASK_SUFFIX_LENGTH])


def course_of_chapter(chapter_id: ChapterId) -> CourseId:
    """The original's rule: strip `_chapter_NNNN`."""
    return CourseId(chapter_id[:-_CHAPTER_SUFFIX_LENGTH])


def course_of_task(task_id: TaskId) -> CourseId:
    return course_of_chapter(chapter_of_task(task_id))


def is_chapter_id(value: str) -> bool:
    return CHAPTER_RE.fullmatch(value) is not None


def parent_chapter_of(chapter_id: ChapterId) -> ChapterId | None:
    """A sub-chapter (`..._0011`) belongs to the chapter with its last digit set to 0."""
    if chapter_id.endswith("0"):
        return None
    return ChapterId(chapter_id[:-1] + "0")


def parse_user_id(value: object, field: str = "user_id") -> int:
    """A positive decimal integer within signed 64 bits."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidInput.field(field, "must be a positive integer")
    if isinstance(value, int):
        number = value
    else:
        if not value.isascii() or not value.isdigit() or len(value) > 19:
            raise InvalidInput.field(field, "must be a positive decimal integer")
        number = int(value)
    if not 0 < number <= MAX_USER_ID:
        raise InvalidInput.field(field, "must be between 1 and 2^63-1")
    return number
