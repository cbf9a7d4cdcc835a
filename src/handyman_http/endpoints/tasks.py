"""get_task, run_task, save_task."""

from __future__ import annotations

import falcon

from handyman_core.watchman_protocol import result_body
from handyman_http.endpoints.base import Endpoint
from handyman_http.legacy_request import (
    Options,
    passback_of,
    required_user,
    submitted_code,
    task_target,
)
from handyman_http.metrics import RUN_COUNTERS, Event, LegacyCounters, emit
from handyman_http.request_check import RequestCheck
from handyman_service import tasks


class GetTask(Endpoint):
    def parse(self, req: falcon.Request) -> tasks.TaskQuery:
        check = RequestCheck()
        options = check.take(self.body, req, Options)
        user_id = check.take(required_user, req)
        task_id = check.then(options, task_target)
        check.done()
        return tasks.TaskQuery(user_id.value, task_id.value)

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        task = tasks.get_task(self.context, self.parse(req))
        resp.media = {"task_id": task.task_id, "task_code": task.code, "status": task.status.value}


class RunTask(Endpoint):
    counters = LegacyCounters("run_task", "errors_client", "errors_server", events=RUN_COUNTERS)

    def parse(self, req: falcon.Request) -> tasks.RunTask:
        check = RequestCheck()
        options = check.take(self.body, req, Options)
        user_id = check.take(required_user, req)
        task_id = check.then(options, task_target)
        code = check.then(options, submitted_code)
        passback = check.then(options, passback_of)
        check.done()
        body = options.value
        return tasks.RunTask(
            user_id.value,
            task_id.value,
            code.value,
            task_type=body.task_type,
            color=body.color_output,
            type_check=body.run_static_type_checker,
            example_id=body.example_id or None,
            passback=passback.value,
        )

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = result_body(tasks.run_task(self.context, self.parse(req)))
        emit(req, Event.OK)


class SaveTask(Endpoint):
    """Autosave from the editor: stores the code only, never touches status or attempts."""

    def parse(self, req: falcon.Request) -> tasks.SaveTask:
        check = RequestCheck()
        options = check.take(self.body, req, Options)
        user_id = check.take(required_user, req)
        task_id = check.then(options, task_target)
        code = check.then(options, submitted_code)
        check.done()
        return tasks.SaveTask(user_id.value, task_id.value, code.value)

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        tasks.save_task(self.context, self.parse(req))
        resp.media = {"status_code": 0}
