"""A user's progress as plain values: what the store loads and the rules transform."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from attrs import field, frozen

from handyman_core.ids import ChapterId, CourseId, ProjectId, TaskId
from handyman_core.status import Status


@frozen
class ItemProgress:
    """Progress on one task or practice project. `status` is never `not_started` (no row)."""

    status: Status
    attempts: int = 0
    solution: str = ""


# One typed converter per field: mypy's attrs plugin cannot type a generic or overloaded
# converter such as `dict`, and would then reject every UserProgress(...) / evolve(...) call.
def _course_rows(rows: Mapping[CourseId, Status]) -> dict[CourseId, Status]:
    return dict(rows)


def _chapter_rows(rows: Mapping[ChapterId, Status]) -> dict[ChapterId, Status]:
    return dict(rows)


def _task_rows(rows: Mapping[TaskId, ItemProgress]) -> dict[TaskId, ItemProgress]:
    return dict(rows)


def _project_rows(rows: Mapping[ProjectId, ItemProgress]) -> dict[ProjectId, ItemProgress]:
    return dict(rows)


@frozen
class UserProgress:
    """Every stored progress row of one user; an absent key means `not_started`."""

    courses: Mapping[CourseId, Status] = field(factory=dict, converter=_course_rows)
    chapters: Mapping[ChapterId, Status] = field(factory=dict, converter=_chapter_rows)
    tasks: Mapping[TaskId, ItemProgress] = field(factory=dict, converter=_task_rows)
    projects: Mapping[ProjectId, ItemProgress] = field(factory=dict, converter=_project_rows)

    def is_empty(self) -> bool:
        return not (self.courses or self.chapters or self.tasks or self.projects)


class ChapterView(NamedTuple):
    """What a chapter page needs of one user: both statuses (None = no row) and the chapter's
    task rows."""

    course: Status | None
    chapter: Status | None
    tasks: dict[TaskId, ItemProgress]
