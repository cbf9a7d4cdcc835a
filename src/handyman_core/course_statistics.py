"""The progress page (courses_stats / course_stats): per started course, totals over live items."""

from __future__ import annotations

from collections.abc import Iterable

from attrs import frozen

from handyman_core.catalogue import Catalogue
from handyman_core.progress import UserProgress
from handyman_core.status import Status


@frozen
class CourseStatistics:
    course_id: str
    title: str
    total_chapters: int
    finished_chapters: int
    total_tasks: int
    finished_tasks: int
    total_projects: int
    finished_projects: int
    status: Status


def course_statistics(catalogue: Catalogue, progress: UserProgress) -> list[CourseStatistics]:
    """One entry per live course the user has in progress or completed (blocked and unstarted
    courses are absent, as in the original), ordered by course id.

    The finished counts go over the user's completed rows, each looked up in the catalogue
    (a user has rows in few chapters), rather than over every chapter of every course."""
    completed = Status.COMPLETED
    task_of = catalogue.task
    finished_by_chapter: dict[str, int] = {}
    for task_id, item in progress.tasks.items():
        if item.status is completed:
            task = task_of(task_id)
            if task is not None:
                chapter_id = task.chapter_id
                finished_by_chapter[chapter_id] = finished_by_chapter.get(chapter_id, 0) + 1
    finished_tasks = _per_course(catalogue, finished_by_chapter.items())
    finished_chapters = _per_course(
        catalogue,
        (
            (chapter_id, 1)
            for chapter_id, status in progress.chapters.items()
            if status is completed
        ),
    )
    finished_projects: dict[str, int] = {}
    for project_id, item in progress.projects.items():
        if item.status is completed:
            project = catalogue.project(project_id)
            if project is not None:
                finished_projects[project.course_id] = (
                    finished_projects.get(project.course_id, 0) + 1
                )
    statistics = []
    for course_id, status in sorted(progress.courses.items()):
        course = catalogue.course(course_id)
        if course is None or not status.in_statistics:
            continue
        chapters = catalogue.chapters_of(course_id)
        statistics.append(
            CourseStatistics(
                course_id=course_id,
                title=course.title,
                total_chapters=len(chapters),
                finished_chapters=finished_chapters.get(course_id, 0),
                total_tasks=sum(len(catalogue.tasks_of(chapter.id)) for chapter in chapters),
                finished_tasks=finished_tasks.get(course_id, 0),
                total_projects=len(catalogue.projects_of(course_id)),
                finished_projects=finished_projects.get(course_id, 0),
                status=status,
            )
        )
    return statistics


def _per_course(catalogue: Catalogue, per_chapter: Iterable[tuple[str, int]]) -> dict[str, int]:
    """Counts per chapter summed per course, over live chapters only."""
    counts: dict[str, int] = {}
    chapter_of = catalogue.chapter
    for chapter_id, count in per_chapter:
        chapter = chapter_of(chapter_id)
        if chapter is not None:
            counts[chapter.course_id] = counts.get(chapter.course_id, 0) + count
    return counts
