"""The playground: run a project, keep it under the site's playground id, and open a task or
example there with the learner's code in its wrapper."""

from __future__ import annotations

from attrs import frozen

from handyman_core.errors import NotFound
from handyman_core.ids import ExampleId, TaskId
from handyman_core.lti_passback import PassbackParams
from handyman_core.run_protocol import RunRequest, RunResult
from handyman_core.task_runs import prepare_playground_injection
from handyman_service.code_runs import run_for_verdict
from handyman_service.context import ServiceContext
from handyman_service.visible_catalogue import catalogue_for


@frozen
class RunPlayground:
    user_id: int | None
    request: RunRequest
    """Prepared from the posted tree (`core.task_runs.prepare_playground_run`)."""
    project_tree: str
    playground_id: str | None = None
    """When given, the project is kept under it for `playground_code`."""
    passback: PassbackParams | None = None
    """LTI passback parameters from an LMS, stored with the attempt."""


def run_playground(context: ServiceContext, command: RunPlayground) -> RunResult:
    """Nothing about progress is written. Unlike the original, the code is kept under
    `playground_id` so that it can be given back. A run an LMS sends (with passback parameters)
    for a signed-in user is a `run` attempt in its statistics; other playground runs are no
    attempts, as before (an attempt belongs to a user, and the site's playground is no exercise)."""
    if command.playground_id:
        context.playgrounds.save_playground(
            command.playground_id,
            command.request.language.value,
            command.user_id,
            command.project_tree,
            now=context.clock(),
        )
    result = run_for_verdict(
        context.runs, command.request, owner=command.user_id, item_id=command.playground_id
    )
    if command.user_id is not None and command.passback is not None:
        context.progress.record_playground_run(
            command.user_id,
            command.playground_id or "",
            command.project_tree,
            result=result,
            now=context.clock(),
            passback=command.passback,
        )
    return result


def playground_code(context: ServiceContext, playground_id: str) -> str:
    """The project last run under `playground_id`, as JSON text."""
    code = context.playgrounds.playground_code(playground_id)
    if code is None:
        raise NotFound(f"Unknown playground: {playground_id}")
    return code


@frozen
class InjectPlaygroundCode:
    user_id: int | None
    task_id: TaskId
    code: str
    example_id: ExampleId | None = None


def inject_playground_code(context: ServiceContext, command: InjectPlaygroundCode) -> str:
    """The code in the task's (or example's) playground wrapper, or the course fallback; without
    a wrapper the code comes back unchanged."""
    return prepare_playground_injection(
        catalogue_for(context, command.user_id), command.task_id, command.code, command.example_id
    )
