"""Courses: the list, one course, statistics, and the course status a learner sets."""

from __future__ import annotations

from attrs import frozen

from handyman_core.catalogue import Course
from handyman_core.course_statistics import CourseStatistics, course_statistics
from handyman_core.ids import CourseId
from handyman_core.status import Status
from handyman_core.transitions import Decision
from handyman_service.context import ServiceContext
from handyman_service.live_items import live_course
from handyman_service.visible_catalogue import catalogue_for


@frozen
class ListCourses:
    """`wanted` None lists every course (with its status, for a user); a status filters."""

    user_id: int | None
    wanted: Status | None = None


@frozen
class CourseListing:
    course: Course
    status: Status | None
    """The user's status; None for a visitor, and when a filter chose the courses."""


def list_courses(context: ServiceContext, query: ListCourses) -> list[CourseListing]:
    """A visitor gets every course in catalogue order. A user gets every course with its status,
    ordered by status text then id, as the original; a filter keeps catalogue order."""
    courses = catalogue_for(context, query.user_id).courses
    if query.user_id is None:
        return [CourseListing(course, None) for course in courses]
    statuses = context.progress.course_statuses(query.user_id)
    rows = [(statuses.get(course.id, Status.NOT_STARTED), course) for course in courses]
    if query.wanted is None:
        rows.sort(key=lambda row: (row[0].value, row[1].id))
        return [CourseListing(course, status) for status, course in rows]
    return [CourseListing(course, None) for status, course in rows if status == query.wanted]


@frozen
class CourseQuery:
    user_id: int | None
    course_id: CourseId


def get_course(context: ServiceContext, query: CourseQuery) -> Course:
    return live_course(catalogue_for(context, query.user_id), query.course_id)


@frozen
class UpdateCourseProgress:
    user_id: int
    course_id: CourseId
    requested: str
    """Any text: the transition table refuses what it does not know, and the refusal names it."""


def update_course_progress(context: ServiceContext, command: UpdateCourseProgress) -> Decision:
    """Completing a course needs every live chapter completed."""
    catalogue = catalogue_for(context, command.user_id)
    course = live_course(catalogue, command.course_id)
    chapter_ids = [chapter.id for chapter in catalogue.chapters_of(course.id)]
    return context.progress.update_course_status(
        command.user_id, course.id, command.requested, chapter_ids
    )


def statistics_of_courses(context: ServiceContext, user_id: int) -> list[CourseStatistics]:
    """One entry per course the user has in progress or completed."""
    progress = context.progress.user_progress(user_id, with_solutions=False)
    return course_statistics(catalogue_for(context, user_id), progress)


@frozen
class CourseStatisticsQuery:
    user_id: int
    course_id: CourseId


def statistics_of_course(
    context: ServiceContext, query: CourseStatisticsQuery
) -> list[CourseStatistics]:
    """As `statistics_of_courses`, for one live course: empty when the user has not started it."""
    catalogue = catalogue_for(context, query.user_id)
    live_course(catalogue, query.course_id)
    progress = context.progress.course_progress(
        query.user_id, query.course_id, with_solutions=False
    )
    return course_statistics(catalogue, progress)
