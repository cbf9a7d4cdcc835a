"""What a run with a verdict and a save do to progress (docs/behaviour.md, "Progress after a run
or a save").

Unlike the original, a run never moves anything backwards: a failing re-run leaves a completed
task (or project) completed, and a run never reopens a completed chapter.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from attrs import evolve

from handyman_core.ids import CourseId, ProjectId, TaskId, chapter_of_task, course_of_task
from handyman_core.progress import ItemProgress, UserProgress
from handyman_core.status import Status, higher_status

_Key = TypeVar("_Key", bound=str)


def apply_run(item: ItemProgress | None, solved: bool, code: str) -> ItemProgress:
    """A task or practice project after a run that produced a verdict. A failing run cannot
    lower the item (a blocked item, which only imported data can hold, stays blocked)."""
    reached = Status.COMPLETED if solved else Status.IN_PROGRESS
    if item is None:
        return ItemProgress(status=reached, attempts=1, solution=code)
    return ItemProgress(
        status=higher_status(item.status, reached), attempts=item.attempts + 1, solution=code
    )


def apply_save(item: ItemProgress | None, code: str) -> ItemProgress:
    """Saving stores the code and nothing else; a first save opens the item as in_progress."""
    if item is None:
        return ItemProgress(status=Status.IN_PROGRESS, attempts=0, solution=code)
    return evolve(item, solution=code)


def chapter_after_run(chapter: Status | None) -> Status | None:
    """The chapter status to write after a run in it, or None to leave the row as it is."""
    return _started_if_absent(chapter)


def course_after_run(course: Status | None) -> Status | None:
    """The course status to write after a run in it, or None to leave the row as it is."""
    return _started_if_absent(course)


def run_on_user(progress: UserProgress, task_id: TaskId, solved: bool, code: str) -> UserProgress:
    """The whole effect of one task run: the reference the store's single transaction must match."""
    chapter_id = chapter_of_task(task_id)
    course_id = course_of_task(task_id)
    tasks = dict(progress.tasks)
    tasks[task_id] = apply_run(progress.tasks.get(task_id), solved, code)
    return evolve(
        progress,
        tasks=tasks,
        chapters=_with_started(progress.chapters, chapter_id),
        courses=_with_started(progress.courses, course_id),
    )


def save_on_user(progress: UserProgress, task_id: TaskId, code: str) -> UserProgress:
    """save_task touches the task row only (chapter and course stay as they are)."""
    tasks = dict(progress.tasks)
    tasks[task_id] = apply_save(progress.tasks.get(task_id), code)
    return evolve(progress, tasks=tasks)


def project_run_on_user(
    progress: UserProgress, project_id: ProjectId, course_id: CourseId, solved: bool, code: str
) -> UserProgress:
    """A practice project run: item rules as for a task; the course is started if it has no row.
    The chapter the project follows is not touched (as in the original)."""
    projects = dict(progress.projects)
    projects[project_id] = apply_run(progress.projects.get(project_id), solved, code)
    return evolve(progress, projects=projects, courses=_with_started(progress.courses, course_id))


def project_save_on_user(
    progress: UserProgress, project_id: ProjectId, course_id: CourseId, code: str
) -> UserProgress:
    """A practice save stores the project; like the original, it also starts the course (the
    site shows a started course once a project is saved). A new row has 0 attempts, as for tasks."""
    projects = dict(progress.projects)
    projects[project_id] = apply_save(progress.projects.get(project_id), code)
    return evolve(progress, projects=projects, courses=_with_started(progress.courses, course_id))


def _started_if_absent(status: Status | None) -> Status | None:
    if status is None or status == Status.NOT_STARTED:
        return Status.IN_PROGRESS
    return None


def _with_started(statuses: Mapping[_Key, Status], key: _Key) -> dict[_Key, Status]:
    updated = dict(statuses)
    written = _started_if_absent(statuses.get(key))
    if written is not None:
        updated[key] = written
    return updated
