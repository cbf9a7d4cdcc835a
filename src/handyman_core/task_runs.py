"""From a site request and the catalogue to a `RunRequest` (original §2.13, §2.18-§2.21, §3.1).

Everything the request names is looked up in the catalogue before a run is prepared, so nothing
runs for a task, example or project that does not exist (the original ran first and let the
database reject the write afterwards). Project trees arrive as the JSON of §2.18 and are checked
here, once, before any adapter turns them into files.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, get_args, get_origin

import attrs
import cattrs
from attrs import frozen
from cattrs.cols import homogenous_tuple_structure_factory
from cattrs.gen import make_dict_structure_fn

from handyman_core.catalogue import Catalogue, Course, PracticeProject, ProjectFile, Wrappers
from handyman_core.errors import InvalidInput, NotFound
from handyman_core.ids import (
    ChapterId,
    chapter_of_task,
    course_of_chapter,
    parse_example_id,
    parse_task_id,
)
from handyman_core.injection import inject_playground, inject_run, inject_test
from handyman_core.run_protocol import (
    Language,
    RunKind,
    RunLimits,
    RunRequest,
    container_type_for,
)
from handyman_core.unicode_text import INVALID_UNICODE, is_storable

TASK_TYPES = ("code", "plain_text")
"""`code` runs the learner's program then the tests; `plain_text` ("what will this print?")
runs the tests only. The original passed any string through; we refuse what no runner knows."""

PRACTICE_ACTIONS = {"run": RunKind.PRACTICE_RUN, "test": RunKind.PRACTICE_TEST}

MAX_PROJECT_ENTRIES = 256
"""Files and directories of one project tree, together."""
MAX_PROJECT_DEPTH = 16
"""Components of a path (`src/app/main.py` has 3)."""
MAX_PROJECT_BYTES = 1024 * 1024
"""UTF-8 bytes of all file contents together."""
MAX_NAME_BYTES = 255
"""The common file-system limit on one path component."""

DEFAULT_ROOT_NAME = "project"
"""The root directory's name in the trees scene sends, used when a tree is written back."""

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
    """`code` is the decoded, normalised solution. With `example_id`, the example's wrappers
    replace the task's (the course fallbacks still apply). A task (or example) without a test
    wrapper and without a course fallback is NotFound with the original's message: the run
    cannot be prepared, and nothing about the request is malformed."""
    task_type = _checked_task_type(task_type)
    _, language = _chapter_and_language(task_id)
    task = catalogue.task(task_id)
    if task is None:
        raise NotFound(f"Unknown task {task_id}")
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
    """inject_playground_code's `user_code`. Scene names an example as `<chapter>_task_0000`
    plus the example id; that task does not exist, so only the chapter and example must."""
    chapter_id, _ = _chapter_and_language(task_id)
    if example_id:
        if catalogue.chapter(chapter_id) is None:
            raise NotFound(f"Unknown chapter {chapter_id}")
        own = _example_wrappers(catalogue, chapter_id, example_id).playground
    else:
        task = catalogue.task(task_id)
        if task is None:
            raise NotFound(f"Unknown task {task_id}")
        own = task.wrappers.playground
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
    file is the one the tree marks, else the project's catalogue main file if the tree has it."""
    kind = PRACTICE_ACTIONS.get(action)
    if kind is None:
        raise InvalidInput.field("action", "must be 'run', 'test' or 'save'")
    language = container_type_for(project.course_id)
    if language is None:
        raise InvalidInput.field("course_id", f"Couldn't specify container for {project.course_id}")
    tree = parse_project_tree(contents_tree, "project_contents")
    main_file = tree.main_file or _catalogue_main_file(tree, project.main_file)
    return RunRequest(
        kind=kind,
        language=language,
        files=tree.files,
        main_file=main_file,
        cmd_line_args=_checked_cmd_line_args(cmd_line_args),
        limits=limits,
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
    if "\x00" in cmd_line_args:
        raise InvalidInput.field("user_cmd_line_args", "must not contain NUL characters")
    return cmd_line_args


# --- project trees ---------------------------------------------------------------------------


@frozen
class ProjectTree:
    """A checked project: every path relative, normalised and unique; `main_file` is the path
    of the file marked `is_main_file`, or "" when none is."""

    files: tuple[ProjectFile, ...]
    main_file: str = ""
    root_name: str = DEFAULT_ROOT_NAME


@frozen
class _Node:
    """One entry of the §2.18 JSON: a directory has `children`, a file has `contents`. Unknown
    keys are ignored (scene's editor adds a numeric `id` to every node)."""

    name: str
    contents: str | None = None
    children: tuple[_Node, ...] | None = None
    is_main_file: bool = False


def parse_project_tree(document: Mapping[str, Any] | str, field: str) -> ProjectTree:
    """Check a tree sent as JSON text or as the already parsed object; every problem is an
    InvalidInput on `field`."""
    value = load_json_document(document, field) if isinstance(document, str) else document
    _check_extent(value, field)
    root = structure_json(_CONVERTER, value, _Node, field)
    if root.children is None or root.contents is not None:
        raise InvalidInput.field(field, "the root must be a directory (with children)")
    _check_name(root.name, "the root", field)
    walk = _TreeWalk(field)
    walk.directory(root.children, ())
    return ProjectTree(files=tuple(walk.files), main_file=walk.main_file(), root_name=root.name)


def render_project_tree(
    files: tuple[ProjectFile, ...], main_file: str = "", root_name: str = DEFAULT_ROOT_NAME
) -> str:
    """The §2.18 JSON of a file list, directories in order of first appearance; empty
    directories are not kept by `ProjectTree`, so none are written."""
    root: list[dict[str, Any]] = []
    directories: dict[tuple[str, ...], list[dict[str, Any]]] = {(): root}
    for file in files:
        parts = tuple(file.path.split("/"))
        for depth in range(1, len(parts)):
            if parts[:depth] not in directories:
                children: list[dict[str, Any]] = []
                directories[parts[: depth - 1]].append(
                    {"name": parts[depth - 1], "children": children}
                )
                directories[parts[:depth]] = children
        node: dict[str, Any] = {"name": parts[-1], "contents": file.contents}
        if file.path == main_file:
            node["is_main_file"] = True
        directories[parts[:-1]].append(node)
    return json.dumps({"name": root_name, "children": root}, ensure_ascii=False)


class _TreeWalk:
    """Collects files in document order while checking names, sizes and the main-file mark."""

    def __init__(self, field: str) -> None:
        self.field = field
        self.files: list[ProjectFile] = []
        self.main_files: list[str] = []
        self.entries = 0
        self.content_bytes = 0

    def directory(self, children: tuple[_Node, ...], parts: tuple[str, ...]) -> None:
        where = "/".join(parts) or "the root"
        seen: set[str] = set()
        for child in children:
            self._count()
            _check_name(child.name, f"an entry in {where}", self.field)
            if child.name in seen:
                raise self._invalid(f"{where} has two entries with the same name")
            seen.add(child.name)
            self._entry(child, (*parts, child.name))

    def main_file(self) -> str:
        if len(self.main_files) > 1:
            raise self._invalid("more than one file is marked is_main_file")
        return self.main_files[0] if self.main_files else ""

    def _entry(self, node: _Node, parts: tuple[str, ...]) -> None:
        path = "/".join(parts)
        if node.children is not None:
            if node.contents is not None or node.is_main_file:
                raise self._invalid(f"{path} has both children and file fields")
            self.directory(node.children, parts)
            return
        if node.contents is None:
            raise self._invalid(f"{path} has neither contents (a file) nor children (a directory)")
        self._file(path, node)

    def _file(self, path: str, node: _Node) -> None:
        contents = node.contents or ""
        if "\x00" in contents:
            raise self._invalid(f"{path} contains a NUL character")
        self.content_bytes += len(contents.encode())
        if self.content_bytes > MAX_PROJECT_BYTES:
            raise self._invalid(f"file contents exceed {MAX_PROJECT_BYTES} bytes in total")
        self.files.append(ProjectFile(path=path, contents=contents))
        if node.is_main_file:
            self.main_files.append(path)

    def _count(self) -> None:
        self.entries += 1
        if self.entries > MAX_PROJECT_ENTRIES:
            raise self._invalid(f"has more than {MAX_PROJECT_ENTRIES} entries")

    def _invalid(self, problem: str) -> InvalidInput:
        return InvalidInput.field(self.field, problem)


def _check_name(name: str, where: str, field: str) -> None:
    if not name:
        problem = "is empty"
    elif name in {".", ".."} or any(mark in name for mark in "/\\\x00"):
        problem = "must be a plain file name (no '/', '\\', NUL, '.' or '..')"
    elif len(name.encode()) > MAX_NAME_BYTES:
        problem = f"is longer than {MAX_NAME_BYTES} bytes"
    else:
        return
    raise InvalidInput.field(field, f"the name of {where} {problem}")


def _check_extent(value: object, field: str) -> None:
    """Bound nesting and object count before structuring, so that neither recursion nor a
    flood of nodes reaches cattrs."""
    pending: list[tuple[object, int]] = [(value, 1)]
    objects = 0
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list) and depth > 2 * MAX_PROJECT_DEPTH + 1:
            raise InvalidInput.field(field, f"has paths deeper than {MAX_PROJECT_DEPTH} levels")
        if isinstance(item, dict):
            objects += 1
            if objects > MAX_PROJECT_ENTRIES + 1:
                raise InvalidInput.field(field, f"has more than {MAX_PROJECT_ENTRIES} entries")
            pending.extend((member, depth + 1) for member in item.values())
        elif isinstance(item, list):
            pending.extend((member, depth + 1) for member in item)


# --- strict JSON structuring (shared with handyman_core.watchman_protocol) -------------------


class JsonShapeError(ValueError):
    """A JSON value of the wrong kind; the message says what was expected."""


def load_json_document(document: str, field: str) -> Any:
    """A JSON document carried inside a string field."""
    try:
        value = json.loads(document)
    except (ValueError, RecursionError):
        raise InvalidInput.field(field, "is not a valid JSON document") from None
    if not is_storable(value):
        raise InvalidInput.field(field, INVALID_UNICODE)
    return value


def strict_json_converter() -> cattrs.Converter:
    """A converter that never coerces: `"1"` is not an int, `1` is not a string or a bool, a
    string is not a list. Unknown object keys are ignored, as Go's decoder did."""
    converter = cattrs.Converter(detailed_validation=True)
    converter.register_structure_hook(str, _exactly(str, "must be a string"))
    converter.register_structure_hook(bool, _exactly(bool, "must be true or false"))
    converter.register_structure_hook(int, _exactly(int, "must be an integer"))
    converter.register_structure_hook_factory(_is_homogeneous_tuple, _json_array_hook)
    converter.register_structure_hook_factory(attrs.has, _json_object_hook)
    return converter


def structure_json(converter: cattrs.Converter, value: object, cls: type[_T], field: str) -> _T:
    """`cls` from a parsed JSON value, or InvalidInput. When `field` is "", each problem is
    reported under the top-level key it concerns (a whole-value problem under `body`)."""
    try:
        return converter.structure(value, cls)
    except (cattrs.BaseValidationError, JsonShapeError) as error:
        raise InvalidInput(_problems(error, field)) from None


def _problems(error: Exception, field: str) -> dict[str, str]:
    problems: dict[str, list[str]] = {}
    for message in cattrs.transform_error(error, path="", format_exception=_describe):
        description, _, path = message.rpartition(" @ ")
        name, rest = _split_path(path)
        if field:
            name, rest = field, path.lstrip(".")
        problems.setdefault(name or "body", []).append(
            f"{rest} {description}" if rest else description
        )
    return {name: "; ".join(texts) for name, texts in problems.items()}


def _split_path(path: str) -> tuple[str, str]:
    """`.children[0].name` -> (`children`, `[0].name`)."""
    path = path.lstrip(".")
    end = min((at for at in (path.find("."), path.find("[")) if at >= 0), default=len(path))
    return path[:end], path[end:].lstrip(".")


def _describe(error: BaseException, _type: object) -> str:
    if isinstance(error, KeyError):
        return "is required"
    if isinstance(error, JsonShapeError):
        return str(error)
    return "has an invalid value"


def _exactly(kind: type[_T], problem: str) -> Callable[[object, type], _T]:
    def structure(value: object, _: type) -> _T:
        if type(value) is not kind:
            raise JsonShapeError(problem)
        return value

    return structure


def _is_homogeneous_tuple(cls: object) -> bool:
    arguments = get_args(cls)
    return get_origin(cls) is tuple and len(arguments) == 2 and arguments[1] is Ellipsis


def _json_array_hook(cls: Any, converter: cattrs.Converter) -> Callable[[object, type], Any]:
    structure_items = homogenous_tuple_structure_factory(cls, converter)

    def structure(value: object, target: type) -> Any:
        if not isinstance(value, list):
            raise JsonShapeError("must be a list")
        return structure_items(value, target)

    return structure


def _json_object_hook(cls: Any, converter: cattrs.Converter) -> Callable[[object, type], Any]:
    structure_fields = make_dict_structure_fn(cls, converter)

    def structure(value: object, target: type) -> Any:
        if not isinstance(value, dict):
            raise JsonShapeError("must be a JSON object")
        return structure_fields(value, target)

    return structure


_CONVERTER = strict_json_converter()
