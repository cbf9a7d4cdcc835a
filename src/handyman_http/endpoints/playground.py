"""run_code, inject_playground_code, get_playground_code."""

from __future__ import annotations

import re
from typing import Any

import falcon
from attrs import define

from handyman_core import ids
from handyman_core.errors import InvalidInput
from handyman_core.run_protocol import RunRequest
from handyman_core.solution import decode_submitted_code
from handyman_core.task_runs import prepare_playground_run
from handyman_core.watchman_protocol import result_body
from handyman_http.endpoints.base import Endpoint
from handyman_http.legacy_request import (
    Options,
    optional_user,
    passback_of,
    required_user,
    submitted_code,
    task_target,
)
from handyman_http.metrics import RUN_COUNTERS, Event, LegacyCounters, emit
from handyman_http.request_check import RequestCheck
from handyman_service import playground

_PLAYGROUND_ID = re.compile(rf"[A-Za-z0-9_-]{{1,{ids.MAX_ID_LENGTH}}}")


@define
class PlaygroundRun:
    lang_id: str = ""
    project: str = ""
    playground_id: str = ""
    user_code: str = ""
    passback_params: Any = None


@define
class PlaygroundQuery:
    playground_id: str = ""


def _playground_id(value: str, *, required: bool = False) -> str:
    """Playground ids are made by the site; they only need to be a safe key."""
    if not value:
        if required:
            raise InvalidInput({"playground_id": "is required"})
        return value
    if not _PLAYGROUND_ID.fullmatch(value):
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

    counters = LegacyCounters("run_code", "errors_client", "errors_server", events=RUN_COUNTERS)

    def parse(self, req: falcon.Request) -> playground.RunPlayground:
        check = RequestCheck()
        posted = check.take(self.body, req, PlaygroundRun)
        user_id = check.take(optional_user, req)
        playground_id = check.then(posted, lambda run: _playground_id(run.playground_id))
        request = check.then(posted, _playground_run)
        passback = check.then(posted, passback_of)
        check.done()
        return playground.RunPlayground(
            user_id.value,
            request.value,
            posted.value.project,
            playground_id.value or None,
            passback=passback.value,
        )

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = result_body(playground.run_playground(self.context, self.parse(req)))
        emit(req, Event.OK)


class GetPlaygroundCode(Endpoint):
    def parse(self, req: falcon.Request) -> str:
        check = RequestCheck()
        query = check.take(self.body, req, PlaygroundQuery)
        check.take(optional_user, req)
        playground_id = check.then(
            query, lambda query: _playground_id(query.playground_id, required=True)
        )
        check.done()
        return playground_id.value

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"user_code": playground.playground_code(self.context, self.parse(req))}


class InjectPlaygroundCode(Endpoint):
    """Opens a task or an example in the playground with the learner's code in its wrapper."""

    def parse(self, req: falcon.Request) -> playground.InjectPlaygroundCode:
        check = RequestCheck()
        options = check.take(self.body, req, Options)
        user_id = check.take(required_user, req)
        task_id = check.then(options, task_target)
        example_id = check.then(options, _example_id)
        code = check.then(options, submitted_code)
        check.done()
        return playground.InjectPlaygroundCode(
            user_id.value, task_id.value, code.value, example_id.value
        )

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"user_code": playground.inject_playground_code(self.context, self.parse(req))}
