"""Tasks: read a learner's task, run their code against its tests, save their code."""

from __future__ import annotations

from attrs import frozen

from handyman_core.ids import TaskId
from handyman_core.lti_passback import PassbackParams
from handyman_core.run_protocol import RunResult
from handyman_core.status import Status
from handyman_core.task_runs import prepare_task_run
from handyman_service.code_runs import run_for_verdict
from handyman_service.context import ServiceContext
from handyman_service.live_items import live_task
from handyman_service.visible_catalogue import catalogue_for


@frozen
class TaskQuery:
    user_id: int
    task_id: TaskId


@frozen
class TaskProgressView:
    task_id: TaskId
    code: str
    """The last code run or saved; "" when there is none."""
    status: Status


def get_task(context: ServiceContext, query: TaskQuery) -> TaskProgressView:
    task = live_task(catalogue_for(context, query.user_id), query.task_id)
    item = context.progress.task_item(query.user_id, task.id)
    if item is None:
        return TaskProgressView(task.id, "", Status.NOT_STARTED)
    return TaskProgressView(task.id, item.solution, item.status)


@frozen
class RunTask:
    user_id: int
    task_id: TaskId
    code: str
    """Decoded and normalised (`core.solution`)."""
    task_type: str = ""
    color: bool = False
    type_check: bool = False
    example_id: str | None = None
    passback: PassbackParams | None = None
    """LTI passback parameters from an LMS, stored with the attempt."""


def run_task(context: ServiceContext, command: RunTask) -> RunResult:
    """Prepare (404 for a task not live), run for a verdict (none: RunnerUnavailable, nothing
    recorded), then record the attempt and its effect on task, chapter and course."""
    request = prepare_task_run(
        catalogue_for(context, command.user_id),
        command.task_id,
        command.code,
        task_type=command.task_type,
        color=command.color,
        type_check=command.type_check,
        example_id=command.example_id,
    )
    result = run_for_verdict(context.runs, request, owner=command.user_id, item_id=command.task_id)
    context.progress.record_task_run(
        command.user_id,
        command.task_id,
        command.code,
        result,
        now=context.clock(),
        passback=command.passback,
    )
    return result


@frozen
class SaveTask:
    """Autosave from the editor: stores the code only, never touches status or attempts."""

    user_id: int
    task_id: TaskId
    code: str


def save_task(context: ServiceContext, command: SaveTask) -> None:
    task = live_task(catalogue_for(context, command.user_id), command.task_id)
    context.progress.save_task(command.user_id, task.id, command.code)
