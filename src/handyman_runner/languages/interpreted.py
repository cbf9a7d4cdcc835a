"""Plans for languages run straight from source by an interpreter (python, bash): the file
given to the interpreter, nothing to build."""

from __future__ import annotations

from handyman_core.errors import InvalidInput
from handyman_core.run_protocol import RunLimits, RunRequest
from handyman_runner.languages.plugin import Toolchain
from handyman_runner.run_plan import (
    SCRIPT_FILE,
    TASK_FILE,
    TESTS_FILE,
    RunPlan,
    SandboxFile,
    Stage,
    StageRole,
    checked_main_file,
    command_line_arguments,
    project_files,
    stdin_bytes,
    task_sources,
    utf8,
)


def task_plan(
    request: RunRequest,
    toolchain: Toolchain,
    interpreter: str,
    wall_seconds: float | None,
    *,
    type_check: tuple[str, ...] | None = None,
    type_check_limits: RunLimits | None = None,
    note: str = "",
) -> RunPlan:
    """`interpreter task` (a `code` task with a run source), then `interpreter task_tests` under
    the toolchain's completion harness; a type check (`type_check` argv, `type_check_limits`)
    runs first when the program does. Each stage sees only the file it runs."""
    source_run, source_test = task_sources(request.source_run, request.source_test)
    program = (SandboxFile(TASK_FILE, source_run),)
    stages: list[Stage] = []
    if runs_program(request):
        if type_check is not None:
            stages.append(
                Stage(
                    StageRole.TYPE_CHECK,
                    type_check,
                    program,
                    wall_seconds=None
                    if type_check_limits is None
                    else type_check_limits.wall_seconds,
                    build_limits=type_check_limits,
                )
            )
        argv = (interpreter, TASK_FILE)
        stages.append(
            Stage(
                StageRole.RUN, argv, program, stdin_bytes(request.stdin), wall_seconds=wall_seconds
            )
        )
    else:
        note = ""
    tests = (SandboxFile(TESTS_FILE, source_test),)
    stages.append(
        Stage(
            StageRole.TEST,
            (interpreter, TESTS_FILE),
            tests,
            completion=toolchain.completion,
            wall_seconds=wall_seconds,
        )
    )
    return RunPlan(tuple(stages), note)


def runs_program(request: RunRequest) -> bool:
    """A `plain_text` task ("what does this print?"), or one without a run source, only runs
    its tests."""
    return request.task_type == "code" and bool(request.source_run)


def script_plan(request: RunRequest, interpreter: str) -> RunPlan:
    """A tracked run of one script: `interpreter script args...`, within the request's wall
    limit alone."""
    if not request.source_run:
        raise InvalidInput.field("source_run", "a script run needs a script")
    argv = (interpreter, SCRIPT_FILE, *command_line_arguments(request.cmd_line_args))
    files = (SandboxFile(SCRIPT_FILE, utf8(request.source_run)),)
    return RunPlan((Stage(StageRole.RUN, argv, files, stdin_bytes(request.stdin)),))


def main_file_plan(request: RunRequest, interpreter: str, wall_seconds: float | None) -> RunPlan:
    """A project run by its main file: `interpreter main_file args...`."""
    files = project_files(request.files)
    main_file = checked_main_file(request.main_file, files)
    argv = (interpreter, main_file, *command_line_arguments(request.cmd_line_args))
    stage = Stage(StageRole.RUN, argv, files, stdin_bytes(request.stdin), wall_seconds=wall_seconds)
    return RunPlan((stage,))
