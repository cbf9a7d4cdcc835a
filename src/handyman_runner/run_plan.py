"""What a request becomes inside the sandbox: the files of the work dir and the stages to run.

Stages follow the original's runner scripts: an optional `mypy --strict` (python, `-t strict`),
the learner's program (`task`), then the test wrapper (`task_tests`); a `plain_text` task, or
one without a run source, only runs its tests. A stage's output goes to `user_code_output`
except the test stage's, which goes to `tests_output`.

Each stage's sandbox holds only the files that stage runs: the program's stages never see the
test wrapper (it holds the expected answers), and the test stage runs under its language's
completion harness (`completion`).
"""

from __future__ import annotations

import enum
import shlex
from collections.abc import Mapping
from pathlib import PurePosixPath

from attrs import frozen

from handyman_core.catalogue import ProjectFile
from handyman_core.errors import InvalidInput
from handyman_core.run_protocol import Language, RunKind, RunRequest
from handyman_runner.completion import Completion
from handyman_runner.run_output import Channel
from handyman_runner.sandbox_errors import LanguageUnavailable
from handyman_runner.toolchains import Toolchain

TASK_FILE = "task"
TESTS_FILE = "task_tests"
SCRIPT_FILE = "script"
MAX_FILES = 1000
MAX_PATH_LENGTH = 1024
MAX_NAME_LENGTH = 255

MYPY_OPTIONS = ("--strict", "--cache-dir=/dev/null")
TYPE_CHECK_SKIPPED_NOTE = (
    "note: mypy is not installed on this runner, so the strict type check was skipped\n"
)


class StageRole(enum.Enum):
    TYPE_CHECK = "type_check"
    RUN = "run"
    TEST = "test"

    @property
    def channel(self) -> Channel:
        return Channel.TESTS if self is StageRole.TEST else Channel.USER_CODE


@frozen
class SandboxFile:
    path: str
    """Relative to the work dir; checked by `checked_project_path`."""
    data: bytes


@frozen
class Stage:
    role: StageRole
    argv: tuple[str, ...]
    files: tuple[SandboxFile, ...]
    """The work dir of this stage's sandbox."""
    stdin: bytes | None = None
    """None: the stage reads from /dev/null."""
    completion: Completion | None = None
    """The harness that proves a test stage ran to the end; None: the exit status decides."""


@frozen
class RunPlan:
    stages: tuple[Stage, ...]
    note: str = ""
    """Shown at the start of `user_code_output` (e.g. a skipped type check)."""

    @property
    def largest_work_dir(self) -> int:
        return max(
            (sum(len(file.data) for file in stage.files) for stage in self.stages), default=0
        )


def plan_run(
    request: RunRequest,
    toolchains: Mapping[Language, Toolchain],
    *,
    type_checker_available: bool,
    max_total_bytes: int,
) -> RunPlan:
    """Raises InvalidInput for a request no sandbox could run, LanguageUnavailable for one this
    host cannot."""
    toolchain = toolchains.get(request.language)
    if toolchain is None:
        raise LanguageUnavailable(request.language)
    if request.kind is RunKind.TASK:
        plan = _task_plan(request, toolchain, type_checker_available)
    elif request.kind is RunKind.SCRIPT:
        plan = _script_plan(request, toolchain)
    elif request.kind in (RunKind.PLAYGROUND, RunKind.PRACTICE_RUN):
        plan = _project_run_plan(request, toolchain)
    else:
        plan = _practice_test_plan(request, toolchain)
    if plan.largest_work_dir > max_total_bytes:
        raise InvalidInput.field("files", "the files are larger than the sandbox's work dir")
    return plan


def _task_plan(request: RunRequest, toolchain: Toolchain, type_checker_available: bool) -> RunPlan:
    if not request.source_test:
        raise InvalidInput.field("source_test", "a task needs its test wrapper")
    program = (SandboxFile(TASK_FILE, _utf8(request.source_run)),)
    stages: list[Stage] = []
    note = ""
    runs_program = request.task_type == "code" and bool(request.source_run)
    if runs_program and request.type_check and toolchain.language is Language.PYTHON:
        if type_checker_available:
            mypy = (toolchain.interpreter, "-m", "mypy", *MYPY_OPTIONS, TASK_FILE)
            stages.append(Stage(StageRole.TYPE_CHECK, mypy, program))
        else:
            note = TYPE_CHECK_SKIPPED_NOTE
    if runs_program:
        run = (toolchain.interpreter, TASK_FILE)
        stages.append(Stage(StageRole.RUN, run, program, _stdin(request.stdin)))
    stages.append(
        Stage(
            StageRole.TEST,
            (toolchain.interpreter, TESTS_FILE),
            (SandboxFile(TESTS_FILE, _utf8(request.source_test)),),
            completion=toolchain.completion,
        )
    )
    return RunPlan(tuple(stages), note)


def _script_plan(request: RunRequest, toolchain: Toolchain) -> RunPlan:
    if not request.source_run:
        raise InvalidInput.field("source_run", "a script run needs a script")
    return RunPlan(
        (
            Stage(
                StageRole.RUN,
                (toolchain.interpreter, SCRIPT_FILE, *_arguments(request.cmd_line_args)),
                (SandboxFile(SCRIPT_FILE, _utf8(request.source_run)),),
                _stdin(request.stdin),
            ),
        ),
    )


def _project_run_plan(request: RunRequest, toolchain: Toolchain) -> RunPlan:
    files = _project_files(request.files)
    main_file = checked_project_path(request.main_file, "main_file")
    if main_file not in {file.path for file in files}:
        raise InvalidInput.field("main_file", "is not one of the project's files")
    argv = (toolchain.interpreter, main_file, *_arguments(request.cmd_line_args))
    return RunPlan((Stage(StageRole.RUN, argv, files, _stdin(request.stdin)),))


def _practice_test_plan(request: RunRequest, toolchain: Toolchain) -> RunPlan:
    if toolchain.language is not Language.PYTHON:
        raise LanguageUnavailable(request.language)
    files = _project_files(request.files)
    argv = (toolchain.interpreter, "-m", "unittest")
    return RunPlan((Stage(StageRole.TEST, argv, files, completion=toolchain.completion),))


def _project_files(files: tuple[ProjectFile, ...]) -> tuple[SandboxFile, ...]:
    if not files:
        raise InvalidInput.field("files", "the project has no files")
    if len(files) > MAX_FILES:
        raise InvalidInput.field("files", f"a project has at most {MAX_FILES} files")
    paths = [checked_project_path(file.path, "files") for file in files]
    if len(set(paths)) != len(paths):
        raise InvalidInput.field("files", "two files have the same path")
    directories = {str(parent) for path in paths for parent in PurePosixPath(path).parents}
    if directories & set(paths):
        raise InvalidInput.field("files", "a file's path is also used as a directory")
    return tuple(
        SandboxFile(path, _utf8(file.contents)) for path, file in zip(paths, files, strict=True)
    )


def checked_project_path(path: str, field: str) -> str:
    """A relative path that stays inside the work dir, in normal form (`a/b.py`)."""
    if not path or len(path) > MAX_PATH_LENGTH or "\0" in path or "\\" in path:
        raise InvalidInput.field(field, f"{path[:80]!r} is not a usable file path")
    if path.startswith("/"):
        raise InvalidInput.field(field, f"{path[:80]!r} must be relative to the project")
    parts = path.split("/")
    if any(part in ("", ".", "..") or len(part) > MAX_NAME_LENGTH for part in parts):
        raise InvalidInput.field(field, f"{path[:80]!r} must name a file inside the project")
    return path


def _arguments(cmd_line_args: str) -> tuple[str, ...]:
    try:
        arguments = tuple(shlex.split(cmd_line_args))
    except ValueError as error:
        problem = f"cannot be split into arguments: {error}"
        raise InvalidInput.field("cmd_line_args", problem) from None
    if any("\0" in argument for argument in arguments):
        raise InvalidInput.field("cmd_line_args", "must not contain NUL characters")
    return arguments


def _stdin(text: str) -> bytes | None:
    return _utf8(text) if text else None


def _utf8(text: str) -> bytes:
    """Lone surrogates (JSON allows them) become `?` instead of failing the run."""
    return text.encode("utf-8", "replace")
