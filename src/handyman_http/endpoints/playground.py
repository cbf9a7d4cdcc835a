"""run_code, inject_playground_code, get_playground_code."""

from __future__ import annotations

import falcon
from attrs import define

from handyman_core import ids
from handyman_core.errors import InvalidInput, NotFound, RunnerUnavailable
from handyman_core.solution import decode_submitted_code
from handyman_core.task_runs import prepare_playground_injection, prepare_playground_run
from handyman_core.watchman_protocol import result_body
from handyman_http.endpoints.base import Endpoint
from handyman_http.endpoints.tasks import require_verdict
from handyman_http.legacy_request import optional_user, required_user, task_target
from handyman_http.metrics import count
from handyman_http.request_body import gather


@define
class PlaygroundRun:
    lang_id: str = ""
    project: str = ""
    playground_id: str = ""
    user_code: str = ""


@define
class PlaygroundQuery:
    playground_id: str = ""


def _playground_id(value: str) -> str:
    """Playground ids are made by the site; they only need to be a safe key."""
    if not value:
        return value
    if (
        len(value) > ids.MAX_ID_LENGTH
        or not value.isascii()
        or not value.replace("-", "").replace("_", "").isalnum()
    ):
        raise InvalidInput({"playground_id": "must be up to 128 ASCII letters, digits, - or _"})
    return value


class RunCode(Endpoint):
    """Runs a playground project. Unlike the original, the code is kept under `playground_id`
    so that get_playground_code can give it back."""

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        count("run_code", "total")
        try:
            body = self.body(req, PlaygroundRun)
            user_id = optional_user(req)
            playground_id = _playground_id(body.playground_id)
            user_code = decode_submitted_code(body.user_code, "user_code") if body.user_code else ""
            request = prepare_playground_run(body.lang_id, body.project, user_code)
        except InvalidInput:
            count("run_code", "errors_client")
            raise
        if playground_id:
            self.services.store.save_playground(
                playground_id,
                request.language.value,
                user_id,
                body.project,
                now=self.services.clock(),
            )
        try:
            result = require_verdict(self.services.require_runner().run(request))
        except RunnerUnavailable:
            count("run_code", "errors_server")
            raise
        count("run_code", "ok")
        resp.media = result_body(result)


class GetPlaygroundCode(Endpoint):
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = self.body(req, PlaygroundQuery)
        playground_id = _playground_id(body.playground_id)
        if not playground_id:
            raise InvalidInput({"playground_id": "is required"})
        code = self.services.store.playground_code(playground_id)
        if code is None:
            raise NotFound(f"Unknown playground: {playground_id}")
        resp.media = {"user_code": code}


class InjectPlaygroundCode(Endpoint):
    """Opens a task or an example in the playground with the learner's code in its wrapper."""

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        options, _ = gather(lambda: self.options(req), lambda: required_user(req))
        task_id, example_id, code = gather(
            lambda: task_target(options),
            lambda: ids.parse_example_id(options.example_id) if options.example_id else None,
            lambda: decode_submitted_code(options.solution_text),
        )
        resp.media = {
            "user_code": prepare_playground_injection(
                self.services.catalogue.current(), task_id, code, example_id
            )
        }
