"""get_practice and handle_practice_code."""

from __future__ import annotations

from typing import Any

import falcon
from attrs import define

from handyman_core import ids
from handyman_core.run_protocol import RunResult
from handyman_core.watchman_protocol import result_body
from handyman_http.endpoints.base import Endpoint
from handyman_http.legacy_request import optional_user, passback_of, required_user
from handyman_http.metrics import RUN_COUNTERS, Event, LegacyCounters, emit
from handyman_http.request_check import RequestCheck
from handyman_service import practice


@define
class PracticeQuery:
    course_id: str = ""
    task_id: str = ""
    """The site sends the project id in `task_id`."""


@define
class PracticeCode:
    project_contents: str = ""
    project_id: str = ""
    course_id: str = ""
    action: str = ""
    user_cmd_line_args: str = ""
    passback_params: Any = None


def _course_id(body: PracticeQuery | PracticeCode) -> ids.CourseId:
    return ids.parse_course_id(body.course_id)


def _queried_project(query: PracticeQuery) -> ids.ProjectId:
    return ids.parse_project_id(query.task_id, "task_id")


def _posted_project(body: PracticeCode) -> ids.ProjectId:
    return ids.parse_project_id(body.project_id)


class GetPractice(Endpoint):
    """`project_path` points into the folder the catalogue was imported from (or under
    HANDYMAN_PROJECT_PATH_ROOT): the site reads the starting tree from its own disk there."""

    def parse(self, req: falcon.Request) -> practice.PracticeQuery:
        check = RequestCheck()
        query = check.take(self.body, req, PracticeQuery)
        user_id = check.take(optional_user, req)
        course_id = check.then(query, _course_id)
        project_id = check.then(query, _queried_project)
        check.done()
        return practice.PracticeQuery(
            user_id.value, course_id.value, project_id.value, self.settings.project_path_root
        )

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        view = practice.open_practice(self.context, self.parse(req))
        project = view.project
        body: dict[str, Any] = {"title": project.title, "chapter_id": project.chapter_id}
        if view.next_chapter_id is not None:
            body["next_chapter_id"] = view.next_chapter_id
        body["status"] = view.status.value
        if view.project_path is not None:
            body["project_path"] = view.project_path
        if view.saved_tree:
            body["project"] = view.saved_tree
        body.update(
            project_description=project.text,
            project_hint=project.hint,
            tags=view.course.tags,
            main_file=project.main_file,
        )
        if project.default_cmd_line_args:
            body["default_cmd_line_args"] = project.default_cmd_line_args
        resp.media = body


class HandlePracticeCode(Endpoint):
    """`save` stores the tree; `run` runs the main file and never completes the project (the
    original downgraded completed projects here); `test` completes it when the tests pass."""

    counters = LegacyCounters("run_practice", "errors_client", "errors_server", events=RUN_COUNTERS)

    def parse(self, req: falcon.Request) -> practice.HandlePracticeCode:
        check = RequestCheck()
        posted = check.take(self.body, req, PracticeCode)
        user_id = check.take(required_user, req)
        course_id = check.then(posted, _course_id)
        project_id = check.then(posted, _posted_project)
        passback = check.then(posted, passback_of)
        check.done()
        body = posted.value
        return practice.HandlePracticeCode(
            user_id.value,
            course_id.value,
            project_id.value,
            body.action,
            body.project_contents,
            body.user_cmd_line_args,
            passback=passback.value,
        )

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        outcome = practice.handle_practice_code(self.context, self.parse(req))
        emit(req, Event.OK)
        if isinstance(outcome, RunResult):
            resp.media = result_body(outcome)
        else:
            resp.media = {"status_code": 0, "user_code_output": ""}
