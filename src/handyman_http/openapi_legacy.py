"""The OpenAPI description of the original service's endpoints (docs/behaviour.md): one entry
per path of `app.LEGACY_ROUTES`, each answering POST with a JSON body."""

from __future__ import annotations

from attrs import frozen

from handyman_http.openapi_components import (
    ADMIN_TOKEN,
    ApiSection,
    Operation,
    PathItem,
    Response,
    UserParameter,
    access_responses,
    json_request,
    json_response,
    response_ref,
    user_id_parameter,
)
from handyman_http.openapi_schemas import Schema, array_of, ref


@frozen
class LegacyEndpoint:
    path: str
    tag: str
    summary: str
    description: str
    user: UserParameter
    request: str
    """The component schema of the body."""
    success: Schema
    success_description: str
    body_required: bool = True
    names_catalogue_items: bool = True
    """Unknown ids are a 404."""
    runs_code: bool = False
    """A run without a verdict is a 503."""
    admin_only: bool = False
    may_conflict: bool = False


def _any_of(*names: str) -> Schema:
    return {"anyOf": [ref(name) for name in names]}


def _one_of(*names: str) -> Schema:
    return {"oneOf": [ref(name) for name in names]}


REFUSALS_KEEP_200 = " Refusals the site reads from the body keep HTTP 200 and the original's body."

ENDPOINTS: tuple[LegacyEndpoint, ...] = (
    LegacyEndpoint(
        path="/get_courses",
        tag="courses",
        summary="List the courses",
        description=(
            "Every course, ordered by id; for a user with `status: all`, with the user's "
            "status, ordered by status text then id (as the original). Unlike the original, "
            "`not_started` works as a filter and an unknown status is a 400 instead of an "
            "empty list."
        ),
        user=UserParameter.OPTIONAL,
        request="CoursesFilter",
        success=array_of(ref("Course")),
        success_description="The courses.",
        body_required=False,
        names_catalogue_items=False,
    ),
    LegacyEndpoint(
        path="/get_course_info",
        tag="courses",
        summary="Get a course's tags",
        description=(
            "The course's tags.json as JSON text. An unknown course is a 404 (the original "
            "answered 200 with an error body)."
        ),
        user=UserParameter.IGNORED,
        request="CourseTarget",
        success=ref("CourseInfo"),
        success_description="The tags.",
    ),
    LegacyEndpoint(
        path="/get_course_description",
        tag="courses",
        summary="Get a course's description",
        description="The course's description.md, from the imported catalogue.",
        user=UserParameter.IGNORED,
        request="CourseTarget",
        success=ref("CourseDescription"),
        success_description="The description.",
    ),
    LegacyEndpoint(
        path="/update_course_progress",
        tag="courses",
        summary="Change the user's status on a course",
        description=(
            "Applies the original's transition table; completing a course needs every live "
            "chapter completed. A missing field is a 400 (the original dropped the connection)."
            + REFUSALS_KEEP_200
        ),
        user=UserParameter.REQUIRED,
        request="CourseStatusChange",
        success=_one_of(
            "CourseProgressUpdated",
            "CourseProgressUnchanged",
            "CourseStatusRefused",
            "CourseNotFinished",
        ),
        success_description="Updated, `no_action`, or a refusal.",
    ),
    LegacyEndpoint(
        path="/update_chapter_progress",
        tag="chapters",
        summary="Change the user's status on a chapter",
        description=(
            "Applies the original's transition table; completing a chapter needs every live "
            "task completed, and starting one starts its course. `no_action` names the first "
            "open chapter, never a practice project (a fix)." + REFUSALS_KEEP_200
        ),
        user=UserParameter.REQUIRED,
        request="ChapterStatusChange",
        success=_one_of(
            "ChapterProgressUpdated",
            "ChapterProgressUnchanged",
            "ChapterStatusRefused",
            "ChapterNotFinished",
        ),
        success_description="Updated, `no_action`, or a refusal.",
    ),
    LegacyEndpoint(
        path="/get_chapters",
        tag="chapters",
        summary="List a course's chapters and practice projects",
        description=(
            "Chapters in id order, each practice project right after the chapter it follows "
            "(several after one chapter: by project id), with the user's progress. An unknown "
            "course is a 404 (the original: `[]`)."
        ),
        user=UserParameter.OPTIONAL,
        request="CourseTarget",
        success=array_of(ref("OutlineRow")),
        success_description="The course outline.",
    ),
    LegacyEndpoint(
        path="/get_chapter",
        tag="chapters",
        summary="Get a chapter with its tasks",
        description=(
            "A chapter's text and tasks with the user's code; `course_id` alone means the "
            "course's first chapter. Fixed: anonymous visitors get the tasks, tasks are "
            "ordered by id, counts are filled in and `next_chapter_id` follows the resolved "
            "chapter."
        ),
        user=UserParameter.OPTIONAL,
        request="CourseTarget",
        success=ref("ChapterPage"),
        success_description="The chapter.",
    ),
    LegacyEndpoint(
        path="/get_active_chapter",
        tag="chapters",
        summary="Get the chapter the user should continue with",
        description=(
            "The first chapter or practice project of an in-progress course that is not "
            "completed or blocked. A course not in progress, or nothing left, is answered "
            "with HTTP 200 and the original's error body, which the site reads."
        ),
        user=UserParameter.REQUIRED,
        request="CourseTarget",
        success=_one_of("ChapterPage", "ActivePractice", "NoActiveChapter"),
        success_description="A chapter, a practice project, or the reason there is none.",
    ),
    LegacyEndpoint(
        path="/get_progress",
        tag="chapters",
        summary="Summarise the user's progress on a chapter",
        description=(
            "Whether the chapter is done, its unfinished tasks, what comes next and, once the "
            "whole course is done, its practice projects (ordered by the chapter they follow, "
            "then id; unfinished tasks by id). An unknown chapter is a 404 (the original "
            "called it completed)."
        ),
        user=UserParameter.REQUIRED,
        request="ChapterTarget",
        success=ref("ChapterSummary"),
        success_description="The summary.",
    ),
    LegacyEndpoint(
        path="/courses_stats",
        tag="courses",
        summary="Statistics of the user's courses",
        description=(
            "One entry per course the user has in progress or completed, ordered by course "
            "id, counting live chapters, tasks and projects."
        ),
        user=UserParameter.REQUIRED,
        request="Options",
        success=array_of(ref("CourseStatistics")),
        success_description="The statistics, possibly none.",
        body_required=False,
        names_catalogue_items=False,
    ),
    LegacyEndpoint(
        path="/course_stats",
        tag="courses",
        summary="Statistics of one of the user's courses",
        description=(
            "As courses_stats, for one course: an empty list when the user has not started "
            "it. An unknown course is a 404."
        ),
        user=UserParameter.REQUIRED,
        request="CourseTarget",
        success=array_of(ref("CourseStatistics"), maxItems=1),
        success_description="The statistics, or none.",
    ),
    LegacyEndpoint(
        path="/get_task",
        tag="tasks",
        summary="Get the user's code and status for a task",
        description="The task must exist in the catalogue (the original never checked).",
        user=UserParameter.REQUIRED,
        request="TaskTarget",
        success=ref("TaskProgress"),
        success_description="The task's progress.",
    ),
    LegacyEndpoint(
        path="/run_task",
        tag="tasks",
        summary="Run the learner's code against a task's tests",
        description=(
            "Records the attempt: solved completes the task, and progress never goes "
            "backwards because of a run (a fix). No verdict from the runner is a 503 and "
            "nothing is recorded."
        ),
        user=UserParameter.REQUIRED,
        request="TaskRun",
        success=ref("RunResult"),
        success_description="The runner's verdict.",
        runs_code=True,
    ),
    LegacyEndpoint(
        path="/save_task",
        tag="tasks",
        summary="Save the learner's code without running it",
        description=(
            "Stores the code only; a new row starts the task with 0 attempts. Bad input is a "
            "400 and an unknown task a 404 (the original answered `status_code: 1`)."
        ),
        user=UserParameter.REQUIRED,
        request="TaskSave",
        success=ref("TaskSaved"),
        success_description="Saved.",
    ),
    LegacyEndpoint(
        path="/merge_users",
        tag="accounts",
        summary="Merge an old account's progress into the current one",
        description=(
            "Internal: needs the admin token or a caller from HANDYMAN_ADMIN_NETWORKS (the site "
            "sends no token). All-or-nothing: statuses take the higher, "
            "attempts add up and the old account's rows (practice included) are removed; "
            "equal ids are a 409 (the original wiped the user)."
        ),
        user=UserParameter.IGNORED,
        request="AccountMerge",
        success=ref("AccountsChanged"),
        success_description="Merged.",
        names_catalogue_items=False,
        admin_only=True,
    ),
    LegacyEndpoint(
        path="/split_users",
        tag="accounts",
        summary="Copy the current account's progress to a new account",
        description=(
            "Internal: needs the admin token or a caller from HANDYMAN_ADMIN_NETWORKS (the site "
            "sends no token). All-or-nothing; if the new account already has "
            "progress, or is the current account, the answer is 409 and nothing is written."
        ),
        user=UserParameter.IGNORED,
        request="AccountSplit",
        success=ref("AccountsChanged"),
        success_description="Copied.",
        names_catalogue_items=False,
        admin_only=True,
        may_conflict=True,
    ),
    LegacyEndpoint(
        path="/get_practice",
        tag="practice",
        summary="Get a practice project",
        description=(
            "The project's texts, where its starting tree is and the user's saved tree. The "
            "ids are checked against the catalogue, so an unknown project is a 404 and no "
            "path can be traversed (a fix)."
        ),
        user=UserParameter.OPTIONAL,
        request="PracticeQuery",
        success=ref("Practice"),
        success_description="The project.",
    ),
    LegacyEndpoint(
        path="/handle_practice_code",
        tag="practice",
        summary="Save, run or test a practice project",
        description=(
            "`save` stores the tree; `run` and `test` go to the runner and are recorded, and "
            "only a passing `test` completes the project. Unknown actions are a 400 (the "
            "original ran them as tests)."
        ),
        user=UserParameter.REQUIRED,
        request="PracticeCode",
        success=_any_of("RunResult", "ProjectSaved"),
        success_description="The verdict, or the saved answer.",
        runs_code=True,
    ),
    LegacyEndpoint(
        path="/run_code",
        tag="playground",
        summary="Run a playground project",
        description=(
            "Runs the tree's main file; nothing about progress is written. With a "
            "`playground_id`, the project is kept for get_playground_code."
        ),
        user=UserParameter.OPTIONAL,
        request="PlaygroundRun",
        success=ref("RunResult"),
        success_description="The runner's verdict.",
        names_catalogue_items=False,
        runs_code=True,
    ),
    LegacyEndpoint(
        path="/inject_playground_code",
        tag="playground",
        summary="Wrap the learner's code for the playground",
        description=(
            "Puts the code into the example's playground wrapper when `example_id` is sent, "
            "else the task's, else the course's fallback; without any wrapper the code comes "
            "back unchanged. The site sends every code example as `<chapter_id>_task_0000`, so "
            "any task id of a live chapter is answered, an unknown example id or task included; "
            "only an unknown chapter or course is a 404."
        ),
        user=UserParameter.REQUIRED,
        request="PlaygroundInjection",
        success=ref("PlaygroundCode"),
        success_description="The code to open in the playground.",
    ),
    LegacyEndpoint(
        path="/get_playground_code",
        tag="playground",
        summary="Get a kept playground project",
        description=(
            "The project last run under this `playground_id`, as JSON text. Unknown ids are a "
            "404 (the original never stored playgrounds and answered `status_code: 2`)."
        ),
        user=UserParameter.IGNORED,
        request="PlaygroundQuery",
        success=ref("PlaygroundCode"),
        success_description="The kept project.",
    ),
)


def _error_responses(endpoint: LegacyEndpoint) -> dict[str, Response]:
    if endpoint.admin_only:
        responses = {
            "400": response_ref("AccountsInvalidRequest"),
            "401": response_ref("AccountsUnauthorized"),
            "403": response_ref("AccountsForbidden"),
            "413": response_ref("AccountsPayloadTooLarge"),
        }
        responses["409"] = json_response(
            "The two ids name the same account"
            + ("; or the new account already has progress" if endpoint.may_conflict else "")
            + ". Nothing was written.",
            ref("AccountsFailure"),
        )
        responses["503"] = response_ref("AccountsDatabaseUnavailable")
        return responses
    responses = {"400": response_ref("InvalidRequest"), **access_responses()}
    if endpoint.names_catalogue_items:
        responses["404"] = response_ref("NotFound")
    responses["413"] = response_ref("PayloadTooLarge")
    responses["503"] = response_ref(
        "RunnerOrDatabaseUnavailable" if endpoint.runs_code else "DatabaseUnavailable"
    )
    return responses


def legacy_operation(endpoint: LegacyEndpoint) -> Operation:
    responses = {
        "200": json_response(endpoint.success_description, endpoint.success),
        **_error_responses(endpoint),
    }
    operation: Operation = {
        "operationId": endpoint.path.lstrip("/"),
        "tags": [endpoint.tag],
        "summary": endpoint.summary,
        "description": endpoint.description,
        "parameters": user_id_parameter(endpoint.user),
        "requestBody": json_request(ref(endpoint.request), required=endpoint.body_required),
        "responses": dict(sorted(responses.items())),
    }
    if endpoint.admin_only:
        operation["security"] = ADMIN_TOKEN
    return operation


def legacy_section() -> ApiSection:
    paths: dict[str, PathItem] = {
        endpoint.path: {"post": legacy_operation(endpoint)} for endpoint in ENDPOINTS
    }
    return ApiSection(paths)
