"""From a site request and the catalogue to a `RunRequest` (docs/behaviour.md, "Running a task").

Everything the request names is looked up in the catalogue before a run is prepared, so nothing
runs for a task, example or project that does not exist (the original ran first and let the
database reject the write afterwards). inject_playground_code is the one exception: it runs
nothing, and the site asks it for examples the catalogue does not hold. Project trees are checked by
`handyman_core.project_tree`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from handyman_core.catalogue import Catalogue, Course, Example, PracticeProject, Task, Wrappers
from handyman_core.command_line import split_command_line
from handyman_core.errors import InvalidInput, NotFound
from handyman_core.ids import (
    ChapterId,
    chapter_of_task,
    course_of_chapter,
    parse_example_id,
    parse_task_id,
)
from handyman_core.injection import inject_playground, inject_run, inject_test
from handyman_core.practice_tests import TEST_LAYOUTS, JudgedTree, judged_tree
from handyman_core.project_tree import ProjectTree, parse_project_tree
from handyman_core.run_protocol import (
    Language,
    RunKind,
    RunLimits,
    RunRequest,
    container_type_for,
)

TASK_TYPES = ("code", "plain_text")
"""`code` runs the learner's program then the tests; `plain_text` ("what will this print?")
runs the tests only. The original passed any string through; we refuse what no runner knows."""

PRACTICE_ACTIONS = {"run": RunKind.PRACTICE_RUN, "test": RunKind.PRACTICE_TEST}


MISSING_TEST_WRAPPER = "Couldn't prepare tests for wrapper task runner"
MISSING_RUN_WRAPPER = "Couldn't prepare run wrapper for task runner"

DEFAULT_LIMITS = RunLimits()

_T = TypeVar("_T")


# --- tasks -----------------------------------------------------------------------------------


def cmd_line_args_for(color: bool, type_check: bool, task_type: str) -> list[str]:
    """The run-task.sh options, one argv element each, exactly as the original sent them."""
    args = ["-c always" if color else "-c never"]
    if type_check:
        args.append("-t strict")
    args.append(f"-v {task_type}")
    return args


def prepare_task_run(
    catalogue: Catalogue,
    task_id: str,
    code: str,
    *,
    task_type: str = "code",
    color: bool = False,
    type_check: bool = False,
    example_id: str | None = None,
    limits: RunLimits = DEFAULT_LIMITS,
) -> RunRequest:
    """`code` is the decoded, normalised solution; an id that names nothing live is NotFound
    before its language is looked at. With `example_id`, the example's wrappers
    replace the task's (the course fallbacks still apply). A task (or example) without a test
    wrapper and without a course fallback is NotFound with the original's message: the run
    cannot be prepared, and nothing about the request is malformed."""
    task_type = _checked_task_type(task_type)
    chapter_of_task(parse_task_id(task_id))
    task = catalogue.task(task_id)
    if task is None:
        raise NotFound(f"Unknown task {task_id}")
    _, language = _chapter_and_language(task_id)
    wrappers = task.wrappers
    if example_id:
        wrappers = _example_wrappers(catalogue, task.chapter_id, example_id)
    fallbacks = _fallbacks(catalogue, task.chapter_id)
    test_wrapper = _required(_own_or(wrappers.test, fallbacks.test), MISSING_TEST_WRAPPER)
    source_run = ""
    if task_type == "code":
        run_wrapper = _required(_own_or(wrappers.run, fallbacks.run), MISSING_RUN_WRAPPER)
        source_run = inject_run(run_wrapper, code)
    return RunRequest(
        kind=RunKind.TASK,
        language=language,
        source_run=source_run,
        source_test=inject_test(test_wrapper, code),
        task_type=task_type,
        color=color,
        type_check=type_check,
        limits=limits,
    )


def prepare_playground_injection(
    catalogue: Catalogue, task_id: str, code: str, example_id: str | None = None
) -> str:
    """inject_playground_code's `user_code`. The site opens every code example of a chapter as
    the pseudo task `<chapter>_task_0000`, with the example's id only for numbered examples, and
    some chapter texts name example folders that do not exist. So, like the original, only the
    chapter must be live. The playground wrapper of the named example (or, without an example
    id, of the task) is used when there is one, else the course's fallback, else the code is
    answered unchanged. Nothing runs, so an unknown example or task costs nothing."""
    chapter_id = chapter_of_task(parse_task_id(task_id))
    if catalogue.chapter(chapter_id) is None:
        raise NotFound(f"Unknown chapter {chapter_id}")
    _chapter_and_language(task_id)
    item: Example | Task | None = (
        catalogue.example(chapter_id, parse_example_id(example_id))
        if example_id
        else catalogue.task(task_id)
    )
    own = item.wrappers.playground if item is not None else None
    return inject_playground(_own_or(own, _fallbacks(catalogue, chapter_id).playground), code)


def _checked_task_type(task_type: str) -> str:
    if not task_type:
        return "code"
    if task_type not in TASK_TYPES:
        raise InvalidInput.field("task_type", "must be 'code' or 'plain_text'")
    return task_type


def _chapter_and_language(task_id: str) -> tuple[ChapterId, Language]:
    chapter_id = chapter_of_task(parse_task_id(task_id))
    language = container_type_for(chapter_id)
    if language is None:
        raise InvalidInput.field("task_id", f"Couldn't specify container for chapter {chapter_id}")
    return chapter_id, language


def _example_wrappers(catalogue: Catalogue, chapter_id: ChapterId, example_id: str) -> Wrappers:
    example = catalogue.example(chapter_id, parse_example_id(example_id))
    if example is None:
        raise NotFound(f"Unknown example {example_id} in chapter {chapter_id}")
    return example.wrappers


def _fallbacks(catalogue: Catalogue, chapter_id: ChapterId) -> Wrappers:
    chapter = catalogue.chapter(chapter_id)
    course: Course | None = catalogue.course(
        chapter.course_id if chapter else course_of_chapter(chapter_id)
    )
    return course.fallbacks if course else Wrappers()


def _own_or(own: str | None, fallback: str | None) -> str | None:
    """A wrapper file that exists wins even when it is empty, as in the original."""
    return own if own is not None else fallback


def _required(wrapper: str | None, message: str) -> str:
    if wrapper is None:
        raise NotFound(message)
    return wrapper


# --- practice projects and the playground ----------------------------------------------------


def prepare_practice_run(
    project: PracticeProject,
    contents_tree: Mapping[str, Any] | str,
    action: str,
    cmd_line_args: str,
    limits: RunLimits = DEFAULT_LIMITS,
) -> RunRequest:
    """handle_practice_code for `run` and `test` (a `save` runs nothing and never gets here).
    Unlike the original, any other action is refused instead of being run as a test. The main
    file is the one the tree marks, else the project's catalogue main file if the tree has it.
    A `test` runs the catalogue's tests over the learner's tree (`practice_tests`)."""
    kind = PRACTICE_ACTIONS.get(action)
    if kind is None:
        raise InvalidInput.field("action", "must be 'run', 'test' or 'save'")
    language = container_type_for(project.course_id)
    if language is None:
        raise InvalidInput.field("course_id", f"Couldn't specify container for {project.course_id}")
    tree = parse_project_tree(contents_tree, "project_contents")
    main_file = tree.main_file or _catalogue_main_file(tree, project.main_file)
    judged = JudgedTree(tree.files, ())
    if kind is RunKind.PRACTICE_TEST:
        judged = judged_tree(language, project.files, tree.files)
        if language in TEST_LAYOUTS and not judged.test_files:
            raise InvalidInput.field("action", "this project has no tests to run")
    return RunRequest(
        kind=kind,
        language=language,
        files=judged.files,
        main_file=main_file,
        cmd_line_args=_checked_cmd_line_args(cmd_line_args),
        limits=limits,
        test_files=judged.test_files,
    )


def prepare_playground_run(
    lang_id: str, project_tree_json: str, user_code: str = "", limits: RunLimits = DEFAULT_LIMITS
) -> RunRequest:
    """run_code: `lang_id` is mapped like a chapter id (`go` -> golang); `user_code` is the
    decoded, normalised extra code, passed on as source_run as the original did. An empty
    `project` is refused (the original answered `{"status_code": 1}` without running)."""
    language = container_type_for(lang_id)
    if language is None:
        raise InvalidInput.field("lang_id", "is not a language the runner knows")
    if not project_tree_json:
        raise InvalidInput.field("project", "must not be empty")
    tree = parse_project_tree(project_tree_json, "project")
    if not tree.main_file:
        raise InvalidInput.field("project", "has no file marked is_main_file")
    return RunRequest(
        kind=RunKind.PLAYGROUND,
        language=language,
        source_run=user_code,
        files=tree.files,
        main_file=tree.main_file,
        limits=limits,
    )


def _catalogue_main_file(tree: ProjectTree, main_file: str) -> str:
    if main_file and any(file.path == main_file for file in tree.files):
        return main_file
    raise InvalidInput.field("project_contents", "has no file marked is_main_file")


def _checked_cmd_line_args(cmd_line_args: str) -> str:
    split_command_line(cmd_line_args, "user_cmd_line_args")
    return cmd_line_args
