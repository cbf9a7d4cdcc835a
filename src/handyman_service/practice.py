"""Practice projects: open one, and save, run or test a learner's project tree."""

from __future__ import annotations

import enum
import posixpath

from attrs import frozen

from handyman_core.attempt_types import practice_attempt_type
from handyman_core.catalogue import Course, PracticeProject
from handyman_core.ids import CourseId, ProjectId
from handyman_core.lti_passback import PassbackParams
from handyman_core.project_tree import parse_project_tree
from handyman_core.run_protocol import RunResult
from handyman_core.status import Status
from handyman_core.task_runs import prepare_practice_run
from handyman_service.code_runs import run_for_verdict
from handyman_service.context import ServiceContext
from handyman_service.live_items import live_course, live_project
from handyman_service.visible_catalogue import catalogue_for


@frozen
class PracticeQuery:
    user_id: int | None
    course_id: CourseId
    project_id: ProjectId
    project_path_root: str | None = None
    """Where the site finds project folders; None: the folder the catalogue was imported from."""


@frozen
class PracticeView:
    project: PracticeProject
    course: Course
    status: Status
    saved_tree: str
    """The user's saved project tree (JSON text); "" when there is none."""
    next_chapter_id: str | None
    project_path: str | None
    """The starting tree's folder on the site's disk; None when no root is known."""


def open_practice(context: ServiceContext, query: PracticeQuery) -> PracticeView:
    catalogue = catalogue_for(context, query.user_id)
    project = live_project(catalogue, query.project_id, query.course_id)
    course = live_course(catalogue, query.course_id)
    item = context.progress.project_item(query.user_id, project.id) if query.user_id else None
    following = catalogue.chapter_after(project.chapter_id)
    root = query.project_path_root or context.catalogue.source()
    return PracticeView(
        project=project,
        course=course,
        status=item.status if item else Status.NOT_STARTED,
        saved_tree=item.solution if item else "",
        next_chapter_id=following.id if following is not None else None,
        project_path=(
            posixpath.join(root, query.course_id, "practice", project.id, "project")
            if root
            else None
        ),
    )


class PracticeAction(enum.StrEnum):
    SAVE = "save"
    RUN = "run"
    """Runs the main file; never completes the project (the original downgraded it here)."""
    TEST = "test"
    """Runs the project's tests; a pass completes the project."""


@frozen
class HandlePracticeCode:
    user_id: int
    course_id: CourseId
    project_id: ProjectId
    action: str
    """Checked by `prepare_practice_run` (the original ran unknown actions as tests)."""
    project_tree: str
    cmd_line_args: str = ""
    passback: PassbackParams | None = None
    """LTI passback parameters from an LMS, stored with the attempt."""


@frozen
class ProjectSaved:
    """`save` stored the tree."""


def handle_practice_code(
    context: ServiceContext, command: HandlePracticeCode
) -> ProjectSaved | RunResult:
    catalogue = catalogue_for(context, command.user_id)
    project = live_project(catalogue, command.project_id, command.course_id)
    if command.action == PracticeAction.SAVE:
        parse_project_tree(command.project_tree, "project_contents")
        context.progress.save_project(
            command.user_id, project.id, command.course_id, command.project_tree
        )
        return ProjectSaved()
    request = prepare_practice_run(
        project, command.project_tree, command.action, command.cmd_line_args
    )
    result = run_for_verdict(context.runs, request, owner=command.user_id, item_id=project.id)
    context.progress.record_project_run(
        command.user_id,
        project.id,
        command.course_id,
        command.project_tree,
        result=result,
        solved=command.action == PracticeAction.TEST and result.verdict.solves,
        now=context.clock(),
        attempt_type=practice_attempt_type(command.action),
        passback=command.passback,
    )
    return result
