"""Python, as the original's python image: `mypy --strict task` when the task asks for it
(5 s there), `python task` (10 s), `python task_tests` (10 s); practice runs the main file or
`python -m unittest` (10 s); the playground runs the main file.

The interpreter is the host's /usr/bin/python3 (a virtualenv's or pyenv's stays hidden). The
image also had pympler, objsize, pydantic and sqlalchemy, which course tasks, examples and
projects import: an operator installs them into `<toolchains>/python-packages` (see the
README), which stages then see on PYTHONPATH. The image's Python set PYTHON_VERSION in the
environment, and a task prints it, so the sandbox sets it too.
"""

from __future__ import annotations

import os

from attrs import evolve

from handyman_core.errors import InvalidInput
from handyman_core.run_protocol import Language, RunKind, RunLimits, RunRequest
from handyman_runner.bwrap_command import Bind, StageView
from handyman_runner.completion import PythonCompletion
from handyman_runner.languages.interpreted import main_file_plan, script_plan, task_plan
from handyman_runner.languages.plugin import (
    ArtefactRecipe,
    Discovery,
    HostProbe,
    PlanContext,
    Toolchain,
    dotted,
    version_tuple,
)
from handyman_runner.run_plan import (
    TASK_FILE,
    RunPlan,
    SandboxFile,
    Stage,
    StageRole,
    checked_project_path,
    project_files,
)

MINIMUM_VERSION = (3, 10)
PACKAGES_DIRECTORY = "python-packages"
MYPY = "mypy"
MYPY_OPTIONS = ("--strict", "--cache-dir=/dev/null")
TYPE_CHECK_SKIPPED_NOTE = (
    "note: mypy is not installed on this runner, so the strict type check was skipped\n"
)
TYPE_CHECK_WALL_SECONDS = 30.0
"""The original allowed mypy 5 s inside a warm container; a cold mypy in a fresh sandbox on a
busy host needs more, and the time is the checker's, not the learner's."""
TYPE_CHECK_LIMITS = RunLimits(
    cpu_seconds=30.0,
    wall_seconds=TYPE_CHECK_WALL_SECONDS,
    memory_bytes=1024 * 1024 * 1024,
    processes=64,
    file_size_bytes=64 * 1024 * 1024,
    open_files=1024,
)
PROGRAM_WALL_SECONDS = 10.0
_VERSION_SCRIPT = "import sys; print('%d.%d.%d' % sys.version_info[:3])"
_MYPY_SCRIPT = "import mypy"


class PythonPlugin:
    language = Language.PYTHON

    def discover(self, host: HostProbe) -> Discovery:
        found = host.find(["python3"])
        if not found:
            return Discovery(self.language, None, "python3 is not installed under /usr")
        interpreter = found[0]
        view = StageView()
        packages = os.path.join(host.toolchain_root, PACKAGES_DIRECTORY)
        environment: dict[str, str] = {}
        if os.path.isdir(packages):
            view = StageView((Bind(packages, packages),), (("PYTHONPATH", packages),))
            environment["PYTHONPATH"] = packages
        printed = host.output([interpreter, "-c", _VERSION_SCRIPT], environment)
        version = version_tuple(printed.strip()) if printed else ()
        if version < MINIMUM_VERSION:
            return Discovery(
                self.language,
                None,
                f"{interpreter} is Python {dotted(version) or 'of an unknown version'}; "
                f"{dotted(MINIMUM_VERSION)} or newer is needed",
            )
        view = view.merged_with(StageView(environment=(("PYTHON_VERSION", dotted(version)),)))
        has_mypy = host.output([interpreter, "-c", _MYPY_SCRIPT], environment) is not None
        notes: tuple[str, ...] = ()
        if not has_mypy:
            notes += ("no mypy: `-t strict` type checks are skipped",)
        if not os.path.isdir(packages):
            notes += (f"no {packages}: tasks importing pympler, objsize, pydantic fail",)
        toolchain = Toolchain(
            self.language,
            f"python {dotted(version)}",
            (("python3", interpreter),),
            view,
            frozenset({MYPY} if has_mypy else ()),
            PythonCompletion.load(),
        )
        return Discovery(self.language, toolchain, toolchain.version, notes)

    def artefacts(self, toolchain: Toolchain) -> ArtefactRecipe | None:
        return None

    def plan(self, request: RunRequest, context: PlanContext) -> RunPlan:
        toolchain = context.toolchain
        interpreter = toolchain.program("python3")
        if request.kind is RunKind.TASK:
            plan = _task_plan(request, toolchain)
        elif request.kind is RunKind.SCRIPT:
            plan = script_plan(request, interpreter)
        elif request.kind in (RunKind.PLAYGROUND, RunKind.PRACTICE_RUN):
            plan = main_file_plan(request, interpreter, PROGRAM_WALL_SECONDS)
        else:
            files = project_files(request.files)
            argv = (interpreter, "-m", "unittest", *_test_modules(request.test_files, files))
            test = Stage(
                StageRole.TEST,
                argv,
                files,
                completion=toolchain.completion,
                wall_seconds=PROGRAM_WALL_SECONDS,
            )
            plan = RunPlan((test,))
        return evolve(plan, view=toolchain.view)


def _test_modules(test_files: tuple[str, ...], files: tuple[SandboxFile, ...]) -> list[str]:
    """The course's test modules a practice test names (see `handyman_core.practice_tests`);
    none: unittest discovers the tests (a request from another Handyman or site)."""
    paths = {file.path for file in files}
    modules = []
    for test_file in test_files:
        path = checked_project_path(test_file, "test_files")
        if path not in paths or not path.endswith(".py"):
            raise InvalidInput.field(
                "test_files", f"{path[:80]!r} is not a Python file of the project"
            )
        modules.append(path.removesuffix(".py").replace("/", "."))
    return modules


def _task_plan(request: RunRequest, toolchain: Toolchain) -> RunPlan:
    interpreter = toolchain.program("python3")
    if not request.type_check:
        return task_plan(request, toolchain, interpreter, PROGRAM_WALL_SECONDS)
    if not toolchain.has(MYPY):
        return task_plan(
            request, toolchain, interpreter, PROGRAM_WALL_SECONDS, note=TYPE_CHECK_SKIPPED_NOTE
        )
    mypy = (interpreter, "-m", "mypy", *MYPY_OPTIONS, TASK_FILE)
    return task_plan(
        request,
        toolchain,
        interpreter,
        PROGRAM_WALL_SECONDS,
        type_check=mypy,
        type_check_limits=TYPE_CHECK_LIMITS,
    )
