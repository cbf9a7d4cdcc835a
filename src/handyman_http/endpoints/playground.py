"""run_code, inject_playground_code, get_playground_code."""

from __future__ import annotations

import falcon
from attrs import define

from handyman_core import ids
from handyman_core.errors import InvalidInput, NotFound, RunnerUnavailable
from handyman_core.run_protocol import RunRequest
from handyman_core.solution import decode_submitted_code
from handyman_core.task_runs import prepare_playground_injection, prepare_playground_run
from handyman_core.watchman_protocol import result_body
from handyman_http.endpoints.base import Endpoint
from handyman_http.endpoints.tasks import require_verdict, submitted_code
from handyman_http.legacy_request import Options, task_target
from handyman_http.metrics import count


@define
class PlaygroundRun:
    lang_id: str = ""
    project: str = ""
    playground_id: str = ""
    user_code: str = ""


@define
class PlaygroundQuery:
    playground_id: str = ""


def _playground_id(value: str, *, required: bool = False) -> str:
    """Playground ids are made by the site; they only need to be a safe key."""
    if not value:
        if required:
            raise InvalidInput({"playground_id": "is required"})
        return value
    if (
        len(value) > ids.MAX_ID_LENGTH
        or not value.isascii()
        or not value.replace("-", "").replace("_", "").isalnum()
    ):
        raise InvalidInput({"playground_id": "must be up to 128 ASCII letters, digits, - or _"})
    return value


def _playground_run(run: PlaygroundRun) -> RunRequest:
    user_code = decode_submitted_code(run.user_code, "user_code") if run.user_code else ""
    return prepare_playground_run(run.lang_id, run.project, user_code)


def _example_id(options: Options) -> ids.ExampleId | None:
    return ids.parse_example_id(options.example_id) if options.example_id else None


class RunCode(Endpoint):
    """Runs a playground project. Unlike the original, the code is kept under `playground_id`
    so that get_playground_code can give it back."""

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        count("run_code", "total")
        try:
            body, user_id, (playground_id, request) = self.parse_for_visitor(
                req, PlaygroundRun, lambda run: _playground_id(run.playground_id), _playground_run
            )
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
            result = require_verdict(
                self.services.run_tracker.execute(
                    request, owner=user_id, item_id=playground_id or None
                )
            )
        except RunnerUnavailable:
            count("run_code", "errors_server")
            raise
        count("run_code", "ok")
        resp.media = result_body(result)


class GetPlaygroundCode(Endpoint):
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        _, _, (playground_id,) = self.parse_for_visitor(
            req, PlaygroundQuery, lambda query: _playground_id(query.playground_id, required=True)
        )
        code = self.services.store.playground_code(playground_id)
        if code is None:
            raise NotFound(f"Unknown playground: {playground_id}")
        resp.media = {"user_code": code}


class InjectPlaygroundCode(Endpoint):
    """Opens a task or an example in the playground with the learner's code in its wrapper."""

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        _, _, (task_id, example_id, code) = self.parse_for_user(
            req, Options, task_target, _example_id, submitted_code
        )
        resp.media = {
            "user_code": prepare_playground_injection(
                self.services.catalogue.current(), task_id, code, example_id
            )
        }
