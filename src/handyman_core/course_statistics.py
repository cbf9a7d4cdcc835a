"""The progress page (courses_stats / course_stats): per started course, totals over live items."""

from __future__ import annotations

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
    courses are absent, as in the original), ordered by course id."""
    finished_tasks: dict[str, int] = {}
    for task_id, item in progress.tasks.items():
        task = catalogue.task(task_id)
        chapter = catalogue.chapter(task.chapter_id) if task else None
        if chapter is not None and item.status is Status.COMPLETED:
            finished_tasks[chapter.course_id] = finished_tasks.get(chapter.course_id, 0) + 1
    statistics = []
    for course_id, status in sorted(progress.courses.items()):
        course = catalogue.course(course_id)
        if course is None or not status.in_statistics:
            continue
        chapters = catalogue.chapters_of(course_id)
        projects = catalogue.projects_of(course_id)
        statistics.append(
            CourseStatistics(
                course_id=course_id,
                title=course.title,
                total_chapters=len(chapters),
                finished_chapters=sum(
                    progress.chapters.get(chapter.id) is Status.COMPLETED for chapter in chapters
                ),
                total_tasks=sum(len(catalogue.tasks_of(chapter.id)) for chapter in chapters),
                finished_tasks=finished_tasks.get(course_id, 0),
                total_projects=len(projects),
                finished_projects=sum(
                    (project_item := progress.projects.get(project.id)) is not None
                    and project_item.status is Status.COMPLETED
                    for project in projects
                ),
                status=status,
            )
        )
    return statistics
