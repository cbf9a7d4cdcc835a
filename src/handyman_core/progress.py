"""A user's progress as plain values: what the store loads and the rules transform."""

from __future__ import annotations

from collections.abc import Mapping

from attrs import field, frozen

from handyman_core.ids import ChapterId, CourseId, ProjectId, TaskId
from handyman_core.status import Status

@frozen
class ItemProgress:
    """Progress on one task or practice project. `status` is never `not_started` (no row)."""

    status: Status
    attempts: int = 0
    solution: str = ""

@frozen
class UserProgress:
    """Every stored progress row of one user; an absent key means `not_started`."""

    courses: Mapping[CourseId, Status] = field(factory=dict, converter=dict)
    chapters: Mapping[ChapterId, Status] = field(factory=dict, converter=dict)
    tasks: Mapping[TaskId, ItemProgress] = field(factory=dict, converter=dict)
    projects: Mapping[ProjectId, ItemProgress] = field(factory=dict, converter=dict)

    def is_empty(self) -> bool:
        return not (self.courses or self.chapters or self.tasks or self.projects)
