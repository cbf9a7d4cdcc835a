"""get_courses, get_course_info, get_course_description, update_course_progress,
courses_stats and course_stats."""

from __future__ import annotations

from typing import Any

import falcon

from handyman_core.catalogue import Course
from handyman_core.course_statistics import CourseStatistics
from handyman_core.errors import InvalidInput
from handyman_core.ids import CourseId
from handyman_core.status import Status, one_of, parse_status
from handyman_core.transitions import Apply, NoAction, NotAllCompleted, Refused
from handyman_http.endpoints.base import Endpoint
from handyman_http.legacy_request import (
    Options,
    course_target,
    optional_user,
    required_status,
    required_user,
)
from handyman_http.metrics import PROGRESS_UPDATE_COUNTERS, Event, LegacyCounters, emit
from handyman_http.request_check import RequestCheck
from handyman_service import courses

_ALL = "all"


def _wanted_status(options: Options) -> Status | None:
    """`all` (or nothing) is every course; unlike the original, `not_started` works and unknown
    values are a 400."""
    wanted = options.status or _ALL
    if wanted == _ALL:
        return None
    status = parse_status(wanted)
    if status is None:
        raise InvalidInput({"status": "must be " + one_of([_ALL, *Status])})
    return status


def _course_id(options: Options) -> CourseId:
    return course_target(options).course_id


class GetCourses(Endpoint):
    """Anonymous: every course by id. A user with status `all` (or none): every course with its
    status, ordered by status text then id, as the original. Any other status filters and omits
    the status key."""

    counters = LegacyCounters(
        "get_courses", events={Event.ANONYMOUS: "anonym", Event.SIGNED_IN: "authorized"}
    )

    def parse(self, req: falcon.Request) -> courses.ListCourses:
        check = RequestCheck()
        options = check.take(self.body, req, Options)
        user_id = check.take(optional_user, req)
        wanted = check.then(options, _wanted_status)
        check.done()
        return courses.ListCourses(user_id.value, wanted.value)

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        query = self.parse(req)
        emit(req, Event.ANONYMOUS if query.user_id is None else Event.SIGNED_IN)
        listing = courses.list_courses(self.context, query)
        resp.media = [_course_element(entry.course, entry.status) for entry in listing]


def _course_element(course: Course, status: Status | None) -> dict[str, Any]:
    element: dict[str, Any] = {"course_id": course.id, "type": "free"}
    if status is not None:
        element["status"] = status.value
    element.update(title=course.title, description=course.description, tags=course.tags)
    return element


class _CourseEndpoint(Endpoint):
    def parse(self, req: falcon.Request) -> courses.CourseQuery:
        """No user is needed, but a `user_id` sent anyway must be well formed (and sees the
        courses its segments open)."""
        check = RequestCheck()
        options = check.take(self.body, req, Options)
        user_id = check.take(optional_user, req)
        course_id = check.then(options, _course_id)
        check.done()
        return courses.CourseQuery(user_id.value, course_id.value)


class GetCourseInfo(_CourseEndpoint):
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"tags": courses.get_course(self.context, self.parse(req)).tags}


class GetCourseDescription(_CourseEndpoint):
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        course = courses.get_course(self.context, self.parse(req))
        resp.media = {"description": course.description}


class UpdateCourseProgress(Endpoint):
    """Domain refusals keep HTTP 200 and the original bodies: the site reads them."""

    counters = LegacyCounters("update_course_progress", events=PROGRESS_UPDATE_COUNTERS)

    def parse(self, req: falcon.Request) -> courses.UpdateCourseProgress:
        check = RequestCheck()
        options = check.take(self.body, req, Options)
        user_id = check.take(required_user, req)
        course_id = check.then(options, _course_id)
        requested = check.then(options, required_status)
        check.done()
        return courses.UpdateCourseProgress(user_id.value, course_id.value, requested.value)

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        match courses.update_course_progress(self.context, self.parse(req)):
            case Apply(status=status):
                emit(req, Event.OK, *([Event.OK_COMPLETED] if status is Status.COMPLETED else []))
                resp.media = {"status": "ok"}
            case NoAction():
                emit(req, Event.NO_ACTION)
                resp.media = {"status": "no_action"}
            case Refused(current_status=current, new_status=new):
                emit(req, Event.REFUSED)
                resp.media = {
                    "current_status": current,
                    "error": "Couldn't change status",
                    "new_status": new,
                }
            case NotAllCompleted():
                emit(req, Event.REFUSED)
                resp.media = {"error": "Not all materials in course are completed"}


def _statistics_element(entry: CourseStatistics) -> dict[str, Any]:
    return {
        "course_id": entry.course_id,
        "title": entry.title,
        "total_chapters": entry.total_chapters,
        "finished_chapters": entry.finished_chapters,
        "total_tasks": entry.total_tasks,
        "finished_tasks": entry.finished_tasks,
        "total_projects": entry.total_projects,
        "finished_projects": entry.finished_projects,
        "status": entry.status.value,
    }


class CoursesStats(Endpoint):
    def parse(self, req: falcon.Request) -> int:
        check = RequestCheck()
        check.take(self.body, req, Options)
        user_id = check.take(required_user, req)
        check.done()
        return user_id.value

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        entries = courses.statistics_of_courses(self.context, self.parse(req))
        resp.media = [_statistics_element(entry) for entry in entries]


class CourseStats(Endpoint):
    def parse(self, req: falcon.Request) -> courses.CourseStatisticsQuery:
        check = RequestCheck()
        options = check.take(self.body, req, Options)
        user_id = check.take(required_user, req)
        course_id = check.then(options, _course_id)
        check.done()
        return courses.CourseStatisticsQuery(user_id.value, course_id.value)

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        entries = courses.statistics_of_course(self.context, self.parse(req))
        resp.media = [_statistics_element(entry) for entry in entries]
