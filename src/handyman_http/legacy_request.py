"""The request shapes of the original's endpoints and the resolution of their ids.

The original's `ParseOptions` derived chapter and course from `task_id` positionally and never
checked them; here every id must match the grammar (400 naming the field); the use cases then
check that it names a live catalogue item (404) before anything is read, run or written.
"""

from __future__ import annotations

from typing import Any

import falcon
from attrs import define, frozen

from handyman_core import ids
from handyman_core.errors import InvalidInput
from handyman_core.lti_passback import PassbackParams, parse_passback_params
from handyman_core.solution import decode_submitted_code


@define
class Options:
    """The original's common body (`Options`); unknown keys are ignored, as there."""

    course_id: str = ""
    chapter_id: str = ""
    task_id: str = ""
    task_type: str = ""
    solution_text: str = ""
    status: str = ""
    color_output: bool = False
    run_static_type_checker: bool = False
    example_id: str = ""
    source_run: str = ""
    source_test: str = ""
    passback_params: Any = None
    """LTI passback parameters (checked by `core.lti_passback`)."""


def query_value(req: falcon.Request, name: str) -> str | None:
    """The one value of a query parameter, None when it is absent. An empty or repeated
    parameter is a 400: nothing the site sends, and a schema-driven client must not be able to
    get an answer that depends on which copy the server happened to read."""
    value = req.params.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput.field(name, "must be given once")
    if value == "":
        raise InvalidInput.field(name, "must not be empty (leave it out instead)")
    return value


def optional_user(req: falcon.Request) -> int | None:
    """Absent `user_id` means anonymous; anything else must be one valid id."""
    value = query_value(req, "user_id")
    return None if value is None else ids.parse_user_id(value)


def required_user(req: falcon.Request) -> int:
    user_id = optional_user(req)
    if user_id is None:
        raise InvalidInput({"user_id": "is required (query parameter)"})
    return user_id


@frozen
class Target:
    """What a request points at after the original's derivation: task -> chapter -> course."""

    course_id: ids.CourseId
    chapter_id: ids.ChapterId | None = None
    task_id: ids.TaskId | None = None


def resolve_target(options: Options) -> Target | None:
    """A task id overrides chapter and course, a chapter id overrides the course (docs/behaviour.md,
    "Ids and the request object"). None when the body names nothing."""
    if options.task_id:
        task_id = ids.parse_task_id(options.task_id)
        chapter_id = ids.chapter_of_task(task_id)
        return Target(ids.course_of_chapter(chapter_id), chapter_id, task_id)
    if options.chapter_id:
        chapter_id = ids.parse_chapter_id(options.chapter_id)
        return Target(ids.course_of_chapter(chapter_id), chapter_id)
    if options.course_id:
        return Target(ids.parse_course_id(options.course_id))
    return None


def require_target(options: Options, wanted: str) -> Target:
    target = resolve_target(options)
    if target is None:
        raise InvalidInput({wanted: "is required"})
    return target


def course_target(options: Options) -> Target:
    """Endpoints about a course accept `course_id`, or a chapter or task id inside it."""
    return require_target(options, "course_id")


def chapter_or_course_target(options: Options) -> Target:
    return require_target(options, "chapter_id")


def submitted_code(options: Options) -> str:
    """`solution_text`: base64 of the learner's code, decoded and normalised."""
    return decode_submitted_code(options.solution_text)


def required_status(options: Options) -> str:
    if not options.status:
        raise InvalidInput({"status": "is required"})
    return options.status


def chapter_target(options: Options) -> ids.ChapterId:
    """Endpoints about a chapter accept `chapter_id` or a `task_id` inside it."""
    target = require_target(options, "chapter_id")
    if target.chapter_id is None:
        raise InvalidInput({"chapter_id": "is required"})
    return target.chapter_id


def task_target(options: Options) -> ids.TaskId:
    if not options.task_id:
        raise InvalidInput({"task_id": "is required"})
    return ids.parse_task_id(options.task_id)


def passback_of(body: Any) -> PassbackParams | None:
    """The body's `passback_params`, checked: a 400 naming `passback_params.<key>` if bad."""
    return parse_passback_params(body.passback_params)
