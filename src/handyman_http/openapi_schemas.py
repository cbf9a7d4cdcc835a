"""The JSON Schemas (2020-12) of every request and response body, for the OpenAPI document.

Requests are described as strictly as the service checks them; responses are closed
(`additionalProperties: false`) so that a key added to an endpoint without being documented
fails the schema test instead of drifting silently.
"""

from __future__ import annotations

from typing import Any

from handyman_core.command_line import MAX_ARGUMENTS, MAX_COMMAND_LINE_BYTES
from handyman_core.ids import MAX_ID_LENGTH, MAX_USER_ID
from handyman_core.status import Status, one_of
from handyman_core.transitions import requestable_statuses
from handyman_core.unicode_text import STORABLE_TEXT_PATTERN

Schema = dict[str, Any]

SCHEMA_PREFIX = "#/components/schemas/"


_BASE64_SYMBOL = "[A-Za-z0-9+/][\\r\\n]*"
BASE64_CODE_PATTERN = (
    f"^(?: |[\\r\\n]*(?:(?:{_BASE64_SYMBOL}){{4}})*"
    f"(?:(?:{_BASE64_SYMBOL}){{4}}|(?:{_BASE64_SYMBOL}){{3}}=[\\r\\n]*"
    f"|(?:{_BASE64_SYMBOL}){{2}}=[\\r\\n]*=[\\r\\n]*))$"
)
"""What `core.solution.decode_solution_text` decodes: at least one group of standard, padded
base64, CR and LF anywhere, or the single space of an empty editor."""
BASE64_TEXT_FORMAT = "base64-utf8-text"
"""Not expressible as a pattern: the decoded bytes must be UTF-8 text without NUL."""
PROJECT_TREE_FORMAT = "project-tree-json"
"""Not expressible as a schema of a string: the text holds a project tree (see the description)."""


def ref(name: str) -> Schema:
    return {"$ref": SCHEMA_PREFIX + name}


def closed_object(
    properties: dict[str, Schema], required: tuple[str, ...] | None = None, **extra: Any
) -> Schema:
    """A response object with exactly these keys; all of them required unless `required` says
    which."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties if required is None else required),
        "additionalProperties": False,
        **extra,
    }


def array_of(item: Schema, **extra: Any) -> Schema:
    return {"type": "array", "items": item, **extra}


def _id(pattern: str, description: str) -> Schema:
    return {
        "type": "string",
        "pattern": f"^{pattern}$",
        "maxLength": MAX_ID_LENGTH,
        "description": description,
    }


_COURSE = "[a-z][a-z0-9]*"
_CHAPTER = f"{_COURSE}_chapter_[0-9]{{4}}"

STATUS_VALUES = tuple(status.value for status in Status)
_REQUESTABLE = one_of([f"`{status.value}`" for status in requestable_statuses()])

PRIMITIVES: dict[str, Schema] = {
    "UserId": {
        "type": "integer",
        "format": "int64",
        "minimum": 1,
        "maximum": MAX_USER_ID,
        "description": "A positive integer within signed 64 bits.",
        "examples": [100],
    },
    "CourseId": _id(_COURSE, "A course id, e.g. `python`."),
    "ChapterId": _id(_CHAPTER, "A chapter id: `<course>_chapter_<4 digits>`."),
    "TaskId": _id(f"{_CHAPTER}_task_[0-9]{{4}}", "A task id: `<chapter>_task_<4 digits>`."),
    "ProjectId": _id(f"{_COURSE}_[a-z0-9_]+", "A practice project id: `<course>_<name>`."),
    "ExampleId": {
        **_id("[a-z0-9_]*", "A code example of the task's chapter; empty means none."),
        "examples": ["example_for_playground_001"],
    },
    "PlaygroundId": {
        **_id("[A-Za-z0-9_-]*", "A key the site chooses for a playground; empty means none."),
    },
    "OutlineItemId": {
        "description": "A chapter id, or the id of a practice project listed among chapters.",
        "anyOf": [ref("ChapterId"), ref("ProjectId")],
    },
    "Status": {
        "type": "string",
        "enum": list(STATUS_VALUES),
        "description": "`not_started` is never stored: it is what the absence of progress means.",
    },
    "Base64Code": {
        "type": "string",
        "pattern": BASE64_CODE_PATTERN,
        "format": BASE64_TEXT_FORMAT,
        "contentEncoding": "base64",
        "contentMediaType": "text/plain; charset=utf-8",
        "description": (
            "The learner's code as standard, padded base64 (line breaks ignored), or the "
            "single space `' '` that the site sends for an empty editor, taken as is. The "
            "decoded code must be UTF-8 without NUL characters."
        ),
        "examples": ["eCA9IDE="],
    },
    "TagsText": {
        "type": "string",
        "contentMediaType": "application/json",
        "description": (
            "The course's tags.json as JSON *text* (PostgreSQL jsonb formatting), kept a "
            "string for compatibility: clients parse it."
        ),
    },
    "ProjectTreeText": {
        "type": "string",
        "format": PROJECT_TREE_FORMAT,
        "contentMediaType": "application/json",
        "description": (
            'A project tree as JSON text: `{"name": "project", "children": [{"name": '
            '"main.py", "contents": "...", "is_main_file": true}, ...]}`; directories have '
            "`children`, files have `contents`. The text must hold a JSON object; names are "
            "single path components, unique within their directory, at most one file is the "
            "main file; at most 256 entries, 16 levels and 1 MiB of contents."
        ),
    },
    "StatusCode": {
        "type": "integer",
        "enum": [0, 1, 2, 124, 137],
        "description": (
            "The verdict on the learner's code: 0 solved, 1 the run failed (also output over "
            "the limit), 2 the tests failed, 124 timed out, 137 memory limit."
        ),
    },
}

_NULLABLE_STRING: Schema = {"type": ["string", "null"]}
_NULLABLE_BOOLEAN: Schema = {"type": ["boolean", "null"]}


def _options_field(description: str, schema: Schema = _NULLABLE_STRING) -> Schema:
    return {**schema, "description": description}


REQUESTS: dict[str, Schema] = {
    "Options": {
        "type": "object",
        "description": (
            "The common body of the original service. Every key is optional here; each "
            "endpoint's own schema says which it needs. Unknown keys are ignored, keys match "
            "case-insensitively when there is no exact match, and `null` means absent. A "
            "`task_id` decides the chapter and course, else a `chapter_id` decides the course."
        ),
        "properties": {
            "course_id": _options_field("A course id."),
            "chapter_id": _options_field("A chapter id; overrides `course_id`."),
            "task_id": _options_field("A task id; overrides `chapter_id` and `course_id`."),
            "task_type": _options_field("run_task: `code` (default) or `plain_text`."),
            "solution_text": _options_field("The learner's code, base64."),
            "status": _options_field("A target status or a filter."),
            "color_output": _options_field("run_task: colour the output.", _NULLABLE_BOOLEAN),
            "run_static_type_checker": _options_field(
                "run_task: run the language's type checker.", _NULLABLE_BOOLEAN
            ),
            "example_id": _options_field("A code example of the task's chapter."),
            "source_run": _options_field("Accepted and ignored."),
            "source_test": _options_field("Accepted and ignored."),
        },
    },
    "CoursesFilter": {
        "$ref": SCHEMA_PREFIX + "Options",
        "properties": {
            "status": {
                "type": ["string", "null"],
                "enum": ["all", "", None, *STATUS_VALUES],
                "description": (
                    "`all` (the default) lists every course with its status; a status lists "
                    "the user's courses in that status, without the status key. Ignored for "
                    "anonymous users."
                ),
            }
        },
    },
    "CourseTarget": {
        "$ref": SCHEMA_PREFIX + "Options",
        "description": "Names a course directly, or through a chapter or task inside it.",
        "properties": {
            "course_id": ref("CourseId"),
            "chapter_id": ref("ChapterId"),
            "task_id": ref("TaskId"),
        },
        "anyOf": [
            {"required": ["course_id"]},
            {"required": ["chapter_id"]},
            {"required": ["task_id"]},
        ],
    },
    "ChapterTarget": {
        "$ref": SCHEMA_PREFIX + "Options",
        "description": "Names a chapter directly or through a task inside it.",
        "properties": {"chapter_id": ref("ChapterId"), "task_id": ref("TaskId")},
        "anyOf": [{"required": ["chapter_id"]}, {"required": ["task_id"]}],
    },
    "CourseStatusChange": {
        "$ref": SCHEMA_PREFIX + "CourseTarget",
        "required": ["status"],
        "properties": {
            "status": {
                "type": "string",
                "minLength": 1,
                "description": (
                    f"{_REQUESTABLE}; any other value is refused in the body of a 200 answer, "
                    "as the original did."
                ),
            }
        },
    },
    "ChapterStatusChange": {
        "$ref": SCHEMA_PREFIX + "ChapterTarget",
        "required": ["status"],
        "properties": {
            "status": {
                "type": "string",
                "minLength": 1,
                "description": f"{_REQUESTABLE} (others are refused).",
            }
        },
    },
    "TaskTarget": {
        "$ref": SCHEMA_PREFIX + "Options",
        "required": ["task_id"],
        "properties": {"task_id": ref("TaskId")},
    },
    "TaskRun": {
        "$ref": SCHEMA_PREFIX + "TaskTarget",
        "required": ["solution_text"],
        "properties": {
            "solution_text": ref("Base64Code"),
            "task_type": {"type": ["string", "null"], "enum": ["code", "plain_text", "", None]},
            "example_id": ref("ExampleId"),
            "passback_params": {"anyOf": [ref("PassbackParams"), {"type": "null"}]},
        },
    },
    "TaskSave": {
        "$ref": SCHEMA_PREFIX + "TaskTarget",
        "required": ["solution_text"],
        "properties": {"solution_text": ref("Base64Code")},
    },
    "PlaygroundInjection": {
        "$ref": SCHEMA_PREFIX + "TaskTarget",
        "description": (
            "A task, or a code example: the site names an example as `<chapter>_task_0000` "
            "plus `example_id`."
        ),
        "required": ["solution_text"],
        "properties": {"solution_text": ref("Base64Code"), "example_id": ref("ExampleId")},
    },
    "PracticeQuery": {
        "type": "object",
        "description": "Unknown keys are ignored; `null` means absent.",
        "required": ["course_id", "task_id"],
        "properties": {
            "course_id": ref("CourseId"),
            "task_id": {**ref("ProjectId"), "description": "The project id (the site's key)."},
        },
    },
    "PracticeCode": {
        "type": "object",
        "description": "Unknown keys are ignored; `null` means absent.",
        "required": ["project_id", "course_id", "action"],
        "properties": {
            "project_contents": {
                **ref("ProjectTreeText"),
                "description": "The learner's project tree (JSON text).",
            },
            "project_id": ref("ProjectId"),
            "course_id": ref("CourseId"),
            "action": {
                "type": "string",
                "enum": ["run", "test", "save"],
                "description": (
                    "`save` stores the tree; `run` runs the main file and never completes the "
                    "project (the original could downgrade a completed one); `test` completes "
                    "it when the tests pass."
                ),
            },
            "user_cmd_line_args": {
                "type": ["string", "null"],
                "pattern": STORABLE_TEXT_PATTERN,
                "description": "Split as a POSIX shell would; without NUL characters, at most "
                f"{MAX_COMMAND_LINE_BYTES} UTF-8 bytes and {MAX_ARGUMENTS} arguments (400 "
                "otherwise).",
            },
            "passback_params": {"anyOf": [ref("PassbackParams"), {"type": "null"}]},
        },
    },
    "PlaygroundRun": {
        "type": "object",
        "description": "Unknown keys are ignored; `null` means absent.",
        "required": ["lang_id", "project"],
        "properties": {
            "lang_id": {
                "type": "string",
                "pattern": "^(python|rust|go|haskell|cpp)",
                "description": "By prefix: `python`, `rust`, `go`/`golang`, `haskell`, `cpp`.",
                "examples": ["python"],
            },
            "project": {**ref("ProjectTreeText"), "minLength": 1},
            "playground_id": {
                "anyOf": [ref("PlaygroundId"), {"type": "null"}],
                "description": "When set, the project is kept for get_playground_code.",
            },
            "user_code": {
                "anyOf": [ref("Base64Code"), {"type": "string", "maxLength": 0}, {"type": "null"}],
                "description": "Extra code, base64 (empty or null: none); passed to the run as "
                "`source_run`.",
            },
            "passback_params": {"anyOf": [ref("PassbackParams"), {"type": "null"}]},
        },
    },
    "PlaygroundQuery": {
        "type": "object",
        "required": ["playground_id"],
        "properties": {"playground_id": {**ref("PlaygroundId"), "minLength": 1}},
    },
    "AccountMerge": {
        "type": "object",
        "description": "`new_user_id` is accepted and ignored.",
        "required": ["cur_user_id", "old_user_id"],
        "properties": {
            "cur_user_id": {**ref("UserId"), "description": "The account that keeps the progress."},
            "old_user_id": {
                **ref("UserId"),
                "description": "The account folded into `cur_user_id`; the same id is a 409.",
            },
            "new_user_id": {"type": ["integer", "null"]},
        },
    },
    "AccountSplit": {
        "type": "object",
        "description": "`old_user_id` is accepted and ignored.",
        "required": ["cur_user_id", "new_user_id"],
        "properties": {
            "cur_user_id": {
                **ref("UserId"),
                "description": "The account whose progress is copied.",
            },
            "new_user_id": {
                **ref("UserId"),
                "description": "The account that receives a copy; it must have no progress yet.",
            },
            "old_user_id": {"type": ["integer", "null"]},
        },
    },
}

_TEXT: Schema = {"type": "string"}
_COUNT: Schema = {"type": "integer", "minimum": 0}


def _error_const(message: str) -> Schema:
    return {"type": "string", "const": message}


_CHANGE_REFUSED = "Couldn't change status"

RESPONSES: dict[str, Schema] = {
    "Course": closed_object(
        {
            "course_id": ref("CourseId"),
            "type": {"type": "string", "const": "free"},
            "status": {
                **ref("Status"),
                "description": "Present only for a user asking with `status: all`.",
            },
            "title": _TEXT,
            "description": {"type": "string", "description": "Markdown."},
            "tags": ref("TagsText"),
        },
        required=("course_id", "type", "title", "description", "tags"),
    ),
    "CourseInfo": closed_object({"tags": ref("TagsText")}),
    "CourseDescription": closed_object(
        {"description": {"type": "string", "description": "Markdown."}}
    ),
    "CourseProgressUpdated": closed_object({"status": {"type": "string", "const": "ok"}}),
    "CourseProgressUnchanged": closed_object(
        {"status": {"type": "string", "const": "no_action"}},
        description="Asked to start a course that is already in progress or completed.",
    ),
    "CourseStatusRefused": closed_object(
        {
            "current_status": {
                "type": "string",
                "enum": ["", *STATUS_VALUES],
                "description": '`""` when the course has not been started.',
            },
            "error": _error_const(_CHANGE_REFUSED),
            "new_status": {"type": "string", "description": "The requested status, verbatim."},
        },
        description="The transition is not allowed (the original's table).",
    ),
    "CourseNotFinished": closed_object(
        {"error": _error_const("Not all materials in course are completed")}
    ),
    "ChapterProgressUpdated": closed_object(
        {
            "chapter_id": ref("ChapterId"),
            "course_id": ref("CourseId"),
            "status": {"type": "string", "const": "ok"},
        }
    ),
    "ChapterProgressUnchanged": closed_object(
        {
            "chapter_id": {
                **ref("ChapterId"),
                "description": (
                    "The first chapter of the course still in progress or not started (never a "
                    "practice project, unlike the original), else the requested one."
                ),
            },
            "course_id": ref("CourseId"),
            "status": {"type": "string", "const": "no_action"},
        },
        description="Asked to start a chapter that is already in progress or completed.",
    ),
    "ChapterStatusRefused": closed_object(
        {
            "chapter_id": ref("ChapterId"),
            "course_id": ref("CourseId"),
            "current_status": ref("Status"),
            "error": _error_const(_CHANGE_REFUSED),
            "new_status": {"type": "string", "description": "The requested status, verbatim."},
        }
    ),
    "ChapterNotFinished": closed_object(
        {"error": _error_const("Not all tasks in chapter are completed")}
    ),
    "OutlineRow": closed_object(
        {
            "chapter_id": ref("OutlineItemId"),
            "status": ref("Status"),
            "course_status": ref("Status"),
            "title": _TEXT,
            "tasks_total": {**_COUNT, "description": "1 for a practice project."},
            "tasks_completed": _COUNT,
        },
        description=(
            "A chapter, or a practice project placed right after the chapter it follows. "
            '`course_status` is filled in (the original always sent `""`).'
        ),
    ),
    "TaskProgress": closed_object(
        {
            "task_id": ref("TaskId"),
            "task_code": {"type": "string", "description": "The last code saved or run."},
            "status": ref("Status"),
        }
    ),
    "ChapterPage": closed_object(
        {
            "chapter_id": ref("ChapterId"),
            "status": ref("Status"),
            "course_status": ref("Status"),
            "title": _TEXT,
            "next_chapter_id": {
                **ref("OutlineItemId"),
                "description": "The next chapter, or the practice project that follows this one.",
            },
            "parent_chapter_id": ref("ChapterId"),
            "parent_chapter_title": _TEXT,
            "tasks_total": _COUNT,
            "tasks_completed": _COUNT,
            "content": {"type": "string", "description": "The chapter's text, markdown."},
            "tasks": array_of(ref("TaskProgress"), description="Ordered by task id."),
            "is_practice": {"type": "boolean", "const": False},
        },
        required=(
            "chapter_id",
            "status",
            "course_status",
            "title",
            "tasks_total",
            "tasks_completed",
            "content",
            "tasks",
            "is_practice",
        ),
        description=(
            "Tasks are listed for anonymous users too, and the counts are filled in (the "
            "original sent an empty list and zeros)."
        ),
    ),
    "ActivePractice": closed_object(
        {
            "chapter_id": ref("ProjectId"),
            "status": ref("Status"),
            "course_status": {"type": "string", "const": "in_progress"},
            "title": _TEXT,
            "tasks_total": {"type": "integer", "const": 0},
            "tasks_completed": {"type": "integer", "const": 0},
            "content": {"type": "string", "const": ""},
            "tasks": {"type": "array", "maxItems": 0},
            "is_practice": {"type": "boolean", "const": True},
        },
        description="The active item is a practice project: the site opens it by id.",
    ),
    "NoActiveChapter": closed_object(
        {
            "error": {
                "type": "string",
                "enum": [
                    "Course is not in state 'in_progress' for user",
                    "No active chapter for user",
                ],
            }
        }
    ),
    "ProjectProgress": closed_object(
        {"title": _TEXT, "project_id": ref("ProjectId"), "status": ref("Status")}
    ),
    "ChapterSummary": closed_object(
        {
            "user_status_on_chapter": {
                "type": "string",
                "enum": ["chapter_completed", "chapter_not_completed"],
            },
            "not_completed_tasks": array_of(ref("TaskId"), minItems=1),
            "next_chapter_id": ref("OutlineItemId"),
            "is_course_completed": {"type": "boolean", "const": True},
            "course_id": ref("CourseId"),
            "practice_projects": array_of(
                ref("ProjectProgress"),
                minItems=1,
                description="Every project of the course, once all its chapters are completed.",
            ),
        },
        required=("user_status_on_chapter", "course_id"),
        description="Keys other than the status and course are left out when empty.",
    ),
    "CourseStatistics": closed_object(
        {
            "course_id": ref("CourseId"),
            "title": _TEXT,
            "total_chapters": _COUNT,
            "finished_chapters": _COUNT,
            "total_tasks": _COUNT,
            "finished_tasks": _COUNT,
            "total_projects": _COUNT,
            "finished_projects": _COUNT,
            "status": {
                "type": "string",
                "enum": [status.value for status in Status if status.in_statistics],
            },
        }
    ),
    "RunResult": closed_object(
        {
            "status_code": ref("StatusCode"),
            "user_code_output": _TEXT,
            "tests_output": {
                "type": "string",
                "minLength": 1,
                "description": "Omitted when empty.",
            },
        },
        required=("status_code", "user_code_output"),
    ),
    "TaskSaved": closed_object({"status_code": {"type": "integer", "const": 0}}),
    "ProjectSaved": closed_object(
        {
            "status_code": {"type": "integer", "const": 0},
            "user_code_output": {"type": "string", "const": ""},
        },
        description="The answer to `save`, shaped like a run result as in the original.",
    ),
    "Practice": closed_object(
        {
            "title": _TEXT,
            "chapter_id": {**ref("ChapterId"), "description": "The chapter it follows."},
            "next_chapter_id": ref("ChapterId"),
            "status": ref("Status"),
            "project_path": {
                "type": "string",
                "description": (
                    "Where the site finds the starting tree on its own disk "
                    "(HANDYMAN_PROJECT_PATH_ROOT, else the imported course folder)."
                ),
            },
            "project": {**ref("ProjectTreeText"), "description": "The saved tree, if any."},
            "project_description": {"type": "string", "description": "Markdown."},
            "project_hint": {"type": "string", "description": "Markdown."},
            "tags": ref("TagsText"),
            "main_file": _TEXT,
            "default_cmd_line_args": {"type": "string", "minLength": 1},
        },
        required=(
            "title",
            "chapter_id",
            "status",
            "project_description",
            "project_hint",
            "tags",
            "main_file",
        ),
    ),
    "PlaygroundCode": closed_object(
        {"user_code": {"type": "string", "description": "The code, wrapped or as kept."}}
    ),
    "AccountsChanged": closed_object({"status": {"type": "integer", "const": 0}}),
    "Health": closed_object(
        {
            "status": {"type": "string", "const": "ok"},
            "database": {"type": "string", "const": "ok"},
            "runner": {"type": "string", "enum": ["configured", "none"]},
            "run_limits": {
                "type": "string",
                "description": "How the local sandbox bounds a run: `per run (cgroup ...)`, or "
                "`per process only ...` with the reason no cgroup could be made. Absent for "
                "runners that do not say (a remote runner).",
            },
            "languages": {
                "type": "object",
                "description": "With the local sandbox: per language, whether this host can "
                "run it and the toolchain's version, or why not.",
                "additionalProperties": closed_object(
                    {"available": {"type": "boolean"}, "detail": _TEXT}
                ),
            },
        },
        required=("status", "database", "runner"),
    ),
    "HealthUnavailable": closed_object(
        {
            "status": {"type": "string", "const": "unavailable"},
            "unavailable": {
                "type": "array",
                "items": {"type": "string", "enum": ["database"]},
                "description": "The dependencies that are down.",
            },
            "database": {"type": "string", "const": "unavailable"},
            "runner": {"type": "string", "enum": ["configured", "none"]},
            "error": _TEXT,
        }
    ),
}

ERRORS: dict[str, Schema] = {
    "Error": closed_object(
        {"error": {"type": "string", "description": "A message for people; never internals."}}
    ),
    "InvalidRequest": closed_object(
        {
            "error": _TEXT,
            "fields": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "Each bad field (or `body`, `user_id`) and what is wrong with it.",
            },
        }
    ),
    "RunnerUnavailable": closed_object(
        {"error": _error_const("Couldn't communicate with tasks runner")},
        description="The runner is absent, busy, timed out or gave no verdict; nothing recorded.",
    ),
    "DatabaseUnavailable": closed_object(
        {
            "error": _error_const("Database unavailable"),
            "unavailable": {"type": "string", "const": "database"},
        },
        description=(
            "The database is down, frozen or out of connections (answered within a few "
            "seconds); retry after `Retry-After` seconds. Nothing was written."
        ),
    ),
    "AccountsDatabaseUnavailable": closed_object(
        {
            "status": {"type": "integer", "const": -1},
            "error": _error_const("Database unavailable"),
            "unavailable": {"type": "string", "const": "database"},
        },
        description="DatabaseUnavailable, with merge_users' and split_users' `status`.",
    ),
    "AccountsFailure": closed_object(
        {
            "status": {"type": "integer", "const": -1},
            "error": _TEXT,
            "fields": {"type": "object", "additionalProperties": {"type": "string"}},
        },
        required=("status", "error"),
        description="Every failure of merge_users and split_users; nothing was written.",
    ),
}


def component_schemas() -> dict[str, Schema]:
    return {**PRIMITIVES, **REQUESTS, **RESPONSES, **ERRORS}
