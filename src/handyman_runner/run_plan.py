"""What a request becomes inside the sandbox: the files of the work dir and the stages to run.

Each language plug-in (`handyman_runner.languages`) turns a request into a `RunPlan`; this
module holds the plan's values and the checks every language shares (project paths, command
line arguments). Stages follow the original's runner scripts: optional build or type-check
stages, the learner's program (`task`), then the test wrapper (`task_tests`); a `plain_text`
task, or one without a run source, only runs its tests. A stage's output goes to
`user_code_output`, except the test stages', which goes to `tests_output`.

Each stage's sandbox holds only the files that stage runs (plus what earlier build stages of
the run produced): the program's stages never see the test wrapper (it holds the expected
answers), and a test stage runs under its language's completion harness when it has one
(`completion`).
"""

from __future__ import annotations

import enum
from pathlib import PurePosixPath

from attrs import frozen

from handyman_core.catalogue import ProjectFile
from handyman_core.command_line import split_command_line
from handyman_core.errors import InvalidInput
from handyman_core.run_protocol import RunLimits, RunRequest, Verdict
from handyman_runner.bwrap_command import PLAIN, StageView
from handyman_runner.completion import Completion
from handyman_runner.run_output import Channel

TASK_FILE = "task"
TESTS_FILE = "task_tests"
SCRIPT_FILE = "script"
MAX_FILES = 1000
MAX_PATH_LENGTH = 1024
MAX_NAME_LENGTH = 255


class StageRole(enum.Enum):
    TYPE_CHECK = "type_check"
    BUILD = "build"
    """Compiles the learner's program; a failure is the program's (`run_failed`)."""
    RUN = "run"
    TEST_BUILD = "test_build"
    """Compiles the test wrapper; a failure is the tests' (`tests_failed`)."""
    TEST = "test"

    @property
    def channel(self) -> Channel:
        return (
            Channel.TESTS if self in (StageRole.TEST, StageRole.TEST_BUILD) else Channel.USER_CODE
        )

    @property
    def failure(self) -> Verdict:
        """The verdict of a stage that exits with a non-zero status for its own reasons."""
        return Verdict.TESTS_FAILED if self.channel is Channel.TESTS else Verdict.RUN_FAILED

    @property
    def compiles(self) -> bool:
        """Toolchain stages get the language's build limits; the learner's program (and the
        test wrapper around it) gets the request's."""
        return self in (StageRole.TYPE_CHECK, StageRole.BUILD, StageRole.TEST_BUILD)


@frozen
class SandboxFile:
    path: str
    """Relative to the work dir; checked by `checked_project_path`."""
    data: bytes
    executable: bool = False


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
    wall_seconds: float | None = None
    """The stage's own wall limit (as the original's per-stage `timeout`); a program stage also
    stays within the request's `wall_seconds`. None: the request's alone."""
    build_limits: RunLimits | None = None
    """Resource limits of a compiling stage (compilers need more address space and processes
    than a learner's program); None: the request's limits."""
    address_space_bytes: int | None = None
    """Address space (RLIMIT_AS) a program stage needs at least, whatever memory the request
    allows: Go's and GHC's runtimes reserve far more than they use, the race detector its shadow
    memory. The stage's memory (its cgroup) stays the request's. None: the request's memory."""
    exports: tuple[str, ...] = ()
    """Work-dir paths the stage produces that every later stage of the run gets (a compiled
    program); a stage that exits 0 without them fails."""
    output_file: str | None = None
    """When set, what this stage printed becomes this work-dir file of every later stage."""


@frozen
class RunPlan:
    stages: tuple[Stage, ...]
    note: str = ""
    """Shown at the start of `user_code_output` (e.g. a skipped type check)."""
    view: StageView = PLAIN
    """What every stage sees besides the standard sandbox: toolchain and artefact directories,
    the language's environment."""
    scratch_bytes: int = 0
    """Minimum size of /tmp (and /dev/shm) of this plan's compiling stages (a build cache, a
    target directory); 0: the runner's own. Programs keep the runner's own: the tmpfs sizes
    count toward a stage's memory."""

    @property
    def largest_work_dir(self) -> int:
        return max(
            (sum(len(file.data) for file in stage.files) for stage in self.stages), default=0
        )


def task_sources(source_run: str, source_test: str) -> tuple[bytes, bytes]:
    """The two files of a task as bytes; a task cannot run without its test wrapper."""
    if not source_test:
        raise InvalidInput.field("source_test", "a task needs its test wrapper")
    return utf8(source_run), utf8(source_test)


def project_files(files: tuple[ProjectFile, ...]) -> tuple[SandboxFile, ...]:
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
        SandboxFile(path, utf8(file.contents)) for path, file in zip(paths, files, strict=True)
    )


def checked_main_file(main_file: str, files: tuple[SandboxFile, ...]) -> str:
    checked = checked_project_path(main_file, "main_file")
    if checked not in {file.path for file in files}:
        raise InvalidInput.field("main_file", "is not one of the project's files")
    return checked


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


def compiled_program_stage(
    program: str,
    request: RunRequest,
    *,
    wall_seconds: float | None = None,
    address_space_bytes: int | None = None,
) -> Stage:
    """The learner's compiled program (a build stage exported it) run with the request's
    arguments and standard input: the run stage of every compiled language."""
    return Stage(
        StageRole.RUN,
        (program, *command_line_arguments(request.cmd_line_args)),
        (),
        stdin_bytes(request.stdin),
        wall_seconds=wall_seconds,
        address_space_bytes=address_space_bytes,
    )


def command_line_arguments(cmd_line_args: str) -> tuple[str, ...]:
    return split_command_line(cmd_line_args, "cmd_line_args")


def stdin_bytes(text: str) -> bytes | None:
    return utf8(text) if text else None


def utf8(text: str) -> bytes:
    """Lone surrogates (JSON allows them) become `?` instead of failing the run."""
    return text.encode("utf-8", "replace")
