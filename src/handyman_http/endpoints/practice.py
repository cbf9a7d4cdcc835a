"""get_practice and handle_practice_code."""

from __future__ import annotations

import posixpath
from typing import Any

import falcon
from attrs import define

from handyman_core import ids
from handyman_core.errors import InvalidInput, NotFound, RunnerUnavailable
from handyman_core.project_tree import parse_project_tree
from handyman_core.status import Status
from handyman_core.task_runs import prepare_practice_run
from handyman_core.watchman_protocol import result_body
from handyman_http.endpoints.base import Endpoint
from handyman_http.endpoints.tasks import require_verdict
from handyman_http.legacy_request import live_project
from handyman_http.metrics import count


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


def _course_id(body: PracticeQuery | PracticeCode) -> ids.CourseId:
    return ids.parse_course_id(body.course_id)


def _queried_project(query: PracticeQuery) -> ids.ProjectId:
    """The site sends the project id of get_practice in `task_id`."""
    return ids.parse_project_id(query.task_id, "task_id")


def _posted_project(body: PracticeCode) -> ids.ProjectId:
    return ids.parse_project_id(body.project_id)


class GetPractice(Endpoint):
    """`project_path` points into the folder the catalogue was imported from (or under
    HANDYMAN_PROJECT_PATH_ROOT): the site reads the starting tree from its own disk there."""

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        _, user_id, (course_id, project_id) = self.parse_for_visitor(
            req, PracticeQuery, _course_id, _queried_project
        )
        catalogue = self.services.catalogue.current()
        project = live_project(catalogue, project_id, course_id)
        course = catalogue.course(course_id)
        if course is None:
            raise NotFound(f"Unknown course: {course_id}")
        item = self.services.store.project_item(user_id, project.id) if user_id else None
        following = catalogue.chapter_after(project.chapter_id)
        root = self.services.settings.project_path_root or self.services.catalogue.source()
        body: dict[str, Any] = {
            "title": project.title,
            "chapter_id": project.chapter_id,
        }
        if following is not None:
            body["next_chapter_id"] = following.id
        body["status"] = (item.status if item else Status.NOT_STARTED).value
        if root:
            body["project_path"] = posixpath.join(
                root, course_id, "practice", project.id, "project"
            )
        if item and item.solution:
            body["project"] = item.solution
        body.update(
            project_description=project.text,
            project_hint=project.hint,
            tags=course.tags,
            main_file=project.main_file,
        )
        if project.default_cmd_line_args:
            body["default_cmd_line_args"] = project.default_cmd_line_args
        resp.media = body


class HandlePracticeCode(Endpoint):
    """`save` stores the tree; `run` runs the main file and never completes the project (the
    original downgraded completed projects here); `test` completes it when the tests pass."""

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        count("run_practice", "total")
        try:
            body, user_id, (course_id, project_id) = self.parse_for_user(
                req, PracticeCode, _course_id, _posted_project
            )
            project = live_project(self.services.catalogue.current(), project_id, course_id)
            if body.action == "save":
                parse_project_tree(body.project_contents, "project_contents")
                self.services.store.save_project(
                    user_id, project.id, course_id, body.project_contents
                )
                count("run_practice", "ok")
                resp.media = {"status_code": 0, "user_code_output": ""}
                return
            request = prepare_practice_run(
                project, body.project_contents, body.action, body.user_cmd_line_args
            )
        except (InvalidInput, NotFound):
            count("run_practice", "errors_client")
            raise
        try:
            result = require_verdict(
                self.services.run_tracker.execute(request, owner=user_id, item_id=project.id)
            )
        except RunnerUnavailable:
            count("run_practice", "errors_server")
            raise
        solved = body.action == "test" and result.verdict.solves
        self.services.store.record_project_run(
            user_id,
            project.id,
            course_id,
            body.project_contents,
            result=result,
            solved=solved,
            now=self.services.clock(),
        )
        count("run_practice", "ok")
        resp.media = result_body(result)
