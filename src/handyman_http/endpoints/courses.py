"""get_courses, get_course_info, get_course_description, update_course_progress,
courses_stats and course_stats."""

from __future__ import annotations

from typing import Any

import falcon

from handyman_core.course_statistics import CourseStatistics, course_statistics
from handyman_core.errors import InvalidInput
from handyman_core.status import Status, parse_status
from handyman_core.transitions import Apply, NoAction, NotAllCompleted, Refused
from handyman_http.endpoints.base import Endpoint
from handyman_http.legacy_request import (
    Options,
    course_target,
    live_course,
    required_status,
)
from handyman_http.metrics import count

_ALL = "all"


class GetCourses(Endpoint):
    """Anonymous: every course by id. A user with status `all` (or none): every course with its
    status, ordered by status text then id, as the original. Any other status filters and omits
    the status key; unlike the original, `not_started` works and unknown values are a 400."""

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        count("get_courses", "total")
        try:
            _, user_id, (wanted,) = self.parse_for_visitor(req, Options, _wanted_status)
        except InvalidInput:
            count("get_courses", "err_client")
            raise
        catalogue = self.services.catalogue.current()
        if user_id is None:
            count("get_courses", "anonym")
            resp.media = [_course_element(course) for course in catalogue.courses]
            return
        count("get_courses", "authorized")
        statuses = self.services.store.course_statuses(user_id)
        rows = [(statuses.get(c.id, Status.NOT_STARTED), c) for c in catalogue.courses]
        if wanted == _ALL:
            rows.sort(key=lambda row: (row[0].value, row[1].id))
            resp.media = [_course_element(course, status) for status, course in rows]
        else:
            resp.media = [_course_element(course) for status, course in rows if status == wanted]


def _wanted_status(options: Options) -> str:
    wanted = options.status or _ALL
    if wanted != _ALL and parse_status(wanted) is None:
        raise InvalidInput(
            {"status": "must be all, not_started, in_progress, blocked or completed"}
        )
    return wanted


def _course_element(course: Any, status: Status | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {"course_id": course.id, "type": "free"}
    if status is not None:
        element["status"] = status.value
    element.update(title=course.title, description=course.description, tags=course.tags)
    return element


class GetCourseInfo(Endpoint):
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        _, target = self.parse_options(req, course_target)
        course = live_course(self.services.catalogue.current(), target.course_id)
        resp.media = {"tags": course.tags}


class GetCourseDescription(Endpoint):
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        _, target = self.parse_options(req, course_target)
        course = live_course(self.services.catalogue.current(), target.course_id)
        resp.media = {"description": course.description}


class UpdateCourseProgress(Endpoint):
    """Domain refusals keep HTTP 200 and the original bodies: the site reads them."""

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        count("update_course_progress", "total")
        try:
            options, user_id, (target, _) = self.parse_for_user(
                req, Options, course_target, required_status
            )
            course = live_course(self.services.catalogue.current(), target.course_id)
        except InvalidInput:
            count("update_course_progress", "err_client")
            raise
        catalogue = self.services.catalogue.current()
        chapter_ids = [chapter.id for chapter in catalogue.chapters_of(course.id)]
        decision = self.services.store.update_course_status(
            user_id, course.id, options.status, chapter_ids
        )
        match decision:
            case Apply(status=status):
                count("update_course_progress", "ok")
                if status is Status.COMPLETED:
                    count("update_course_progress", "ok_completed")
                resp.media = {"status": "ok"}
            case NoAction():
                count("update_course_progress", "no_action")
                resp.media = {"status": "no_action"}
            case Refused(current_status=current, new_status=new):
                count("update_course_progress", "err_status")
                resp.media = {
                    "current_status": current,
                    "error": "Couldn't change status",
                    "new_status": new,
                }
            case NotAllCompleted():
                count("update_course_progress", "err_status")
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
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        _, user_id, _ = self.parse_for_user(req, Options)
        progress = self.services.store.user_progress(user_id, with_solutions=False)
        entries = course_statistics(self.services.catalogue.current(), progress)
        resp.media = [_statistics_element(entry) for entry in entries]


class CourseStats(Endpoint):
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        _, user_id, (target,) = self.parse_for_user(req, Options, course_target)
        catalogue = self.services.catalogue.current()
        live_course(catalogue, target.course_id)
        progress = self.services.store.course_progress(
            user_id, target.course_id, with_solutions=False
        )
        resp.media = [
            _statistics_element(entry) for entry in course_statistics(catalogue, progress)
        ]
