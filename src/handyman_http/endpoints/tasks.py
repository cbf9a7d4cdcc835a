"""get_task, run_task, save_task."""

from __future__ import annotations

import falcon

from handyman_core.errors import InvalidInput, NotFound, RunnerUnavailable
from handyman_core.run_protocol import RunResult, Verdict
from handyman_core.solution import decode_submitted_code
from handyman_core.status import Status
from handyman_core.task_runs import prepare_task_run
from handyman_core.watchman_protocol import result_body
from handyman_http.endpoints.base import Endpoint
from handyman_http.legacy_request import Options, live_task, task_target
from handyman_http.metrics import count


def submitted_code(options: Options) -> str:
    return decode_submitted_code(options.solution_text)


def require_verdict(result: RunResult) -> RunResult:
    """An internal error of the runner is no verdict on the learner's code: nothing is recorded
    and the site is told the runner failed (the original recorded such runs as solved)."""
    if result.verdict is Verdict.INTERNAL_ERROR:
        raise RunnerUnavailable("the runner failed internally: " + result.user_code_output[:200])
    return result


class GetTask(Endpoint):
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        _, user_id, (task_id,) = self.parse_for_user(req, Options, task_target)
        task = live_task(self.services.catalogue.current(), task_id)
        item = self.services.store.task_item(user_id, task.id)
        resp.media = {
            "task_id": task.id,
            "task_code": item.solution if item else "",
            "status": (item.status if item else Status.NOT_STARTED).value,
        }


class RunTask(Endpoint):
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        count("run_task", "total")
        try:
            options, user_id, (task_id, code) = self.parse_for_user(
                req, Options, task_target, submitted_code
            )
            request = prepare_task_run(
                self.services.catalogue.current(),
                task_id,
                code,
                task_type=options.task_type,
                color=options.color_output,
                type_check=options.run_static_type_checker,
                example_id=options.example_id or None,
            )
        except (InvalidInput, NotFound):
            count("run_task", "errors_client")
            raise
        try:
            result = require_verdict(
                self.services.run_tracker.execute(request, owner=user_id, item_id=task_id)
            )
        except RunnerUnavailable:
            count("run_task", "errors_server")
            raise
        self.services.store.record_task_run(
            user_id, task_id, code, result, now=self.services.clock()
        )
        count("run_task", "ok")
        resp.media = result_body(result)


class SaveTask(Endpoint):
    """Autosave from the editor: stores the code only, never touches status or attempts."""

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        _, user_id, (task_id, code) = self.parse_for_user(req, Options, task_target, submitted_code)
        task = live_task(self.services.catalogue.current(), task_id)
        self.services.store.save_task(user_id, task.id, code)
        resp.media = {"status_code": 0}
