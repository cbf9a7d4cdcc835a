"""An id must name a live catalogue item before anything is read, run or written (404 if not).

The original never checked; ids that only match the grammar would otherwise reach the database
and the runner.
"""

from __future__ import annotations

from handyman_core.catalogue import Catalogue, Chapter, Course, PracticeProject, Task
from handyman_core.errors import NotFound


def live_course(catalogue: Catalogue, course_id: str) -> Course:
    course = catalogue.course(course_id)
    if course is None:
        raise NotFound(f"Unknown course: {course_id}")
    return course


def live_chapter(catalogue: Catalogue, chapter_id: str) -> Chapter:
    chapter = catalogue.chapter(chapter_id)
    if chapter is None:
        raise NotFound(f"Unknown chapter: {chapter_id}")
    return chapter


def live_task(catalogue: Catalogue, task_id: str) -> Task:
    task = catalogue.task(task_id)
    if task is None:
        raise NotFound(f"Unknown task: {task_id}")
    return task


def live_project(
    catalogue: Catalogue, project_id: str, course_id: str | None = None
) -> PracticeProject:
    project = catalogue.project(project_id)
    if project is None or (course_id is not None and project.course_id != course_id):
        raise NotFound(f"Unknown practice project: {project_id}")
    return project
