"""Haskell, as the original's haskell image (GHC via stack; the project depends on base, tuple
and text, its tests on hspec and QuickCheck, programs built `-threaded` and run with `-N`):
- a task whose code declares `module Main` is the program (`app/Main.hs`): it runs (10 s
  there), and the test wrapper, a Python script, checks what it printed (5 s);
- any other task's code is a library (`src/UserCode.hs`) and the wrapper an hspec suite
  (`test/Spec.hs`): build, then test (10 s each);
- a "what does this print?" task runs its wrapper, a Python script, on the answer (the image
  ran nothing for those and so never passed them).
The playground builds and runs the site's project (`app/Main.hs`). There is no practice.

`stack` needs the network, so programs build with `ghc --make` against the system's package
database (Debian: ghc, libghc-hspec-dev, libghc-quickcheck2-dev, libghc-tuple-dev) with the
image's warnings (but -Wmissing-home-modules, which only makes sense for a cabal file's module
list) and RTS options; GHC 9.0 or newer. Python checkers run under the system's
python3. A program that declares `module Main` is checked in a process of its own, on its
captured output, so its exit status cannot stand in for the checks.
"""

from __future__ import annotations

import os
import re

from handyman_core.run_protocol import Language, RunKind, RunLimits, RunRequest
from handyman_runner.bwrap_command import Bind, StageView
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
    TESTS_FILE,
    RunPlan,
    SandboxFile,
    Stage,
    StageRole,
    checked_main_file,
    compiled_program_stage,
    project_files,
    stdin_bytes,
    task_sources,
)
from handyman_runner.sandbox_errors import LanguageUnavailable
from handyman_runner.toolchains import visible_in_sandbox

MINIMUM_VERSION = (9, 0)
PROGRAM_PACKAGES = ("base", "tuple", "text")
TEST_PACKAGES = ("hspec", "hspec-core", "QuickCheck")
REQUIRED_PACKAGES = (*PROGRAM_PACKAGES, "hspec", "QuickCheck")
WARNINGS = (
    "-Wall",
    "-Wcompat",
    "-Widentities",
    "-Wincomplete-record-updates",
    "-Wincomplete-uni-patterns",
    "-Wpartial-fields",
    "-Wredundant-constraints",
    "-Wno-missing-export-lists",
    "-Wno-type-defaults",
)
PROGRAM_OPTIONS = ("-threaded", "-rtsopts", "-with-rtsopts=-N")
PROGRAM = "build/main"
TESTS = "build/tests"
CAPTURE = "capture.txt"
PROGRAM_WALL_SECONDS = 10.0
TESTS_WALL_SECONDS = 10.0
CHECKER_WALL_SECONDS = 5.0
BUILD_WALL_SECONDS = 60.0
SCRATCH_BYTES = 256 * 1024 * 1024
BUILD_LIMITS = RunLimits(
    cpu_seconds=60.0,
    wall_seconds=BUILD_WALL_SECONDS,
    memory_bytes=2 * 1024 * 1024 * 1024,
    processes=128,
    file_size_bytes=256 * 1024 * 1024,
    open_files=1024,
)
PROGRAM_ADDRESS_SPACE = 1024 * 1024 * 1024
"""GHC's runtime reserves address space for its heap in powers of two and then needs room for
its threads: under some RLIMIT_AS values (320 MiB, 512 MiB) a `-N` program cannot start at
all. From 1 GiB up every value works, so programs get that much address space; the reservation
is virtual, what a program really uses is bounded by the request's memory, through the stage's
cgroup."""
_MODULE_MAIN = re.compile(r"^\s*module\s+Main\b", re.MULTILINE)
COMPILE_SCRIPT = 'output=$1; shift; mkdir -p "$(dirname "$output")" && exec "$@" -o "$output"'


class HaskellPlugin:
    language = Language.HASKELL

    def discover(self, host: HostProbe) -> Discovery:
        found = host.find(["ghc"])
        python = host.find(["python3"])
        hint = "`apt-get install ghc libghc-hspec-dev libghc-quickcheck2-dev libghc-tuple-dev`"
        if not found:
            return Discovery(self.language, None, f"no ghc: {hint}")
        ghc = found[0]
        version = version_tuple((host.output([ghc, "--numeric-version"]) or "").strip())
        if version < MINIMUM_VERSION:
            return Discovery(
                self.language,
                None,
                f"{ghc} is GHC {dotted(version) or '(unknown)'}; "
                f"{dotted(MINIMUM_VERSION)} or newer is needed",
            )
        libdir = (host.output([ghc, "--print-libdir"]) or "").strip()
        database = os.path.realpath(os.path.join(libdir, "package.conf.d"))
        listed = host.output([f"{os.path.dirname(ghc)}/ghc-pkg", "list", "--simple-output"]) or ""
        installed = {entry.rsplit("-", 1)[0] for entry in listed.split()}
        missing = [package for package in REQUIRED_PACKAGES if package not in installed]
        if missing or not python:
            lacking = ", ".join(missing + ([] if python else ["python3"]))
            return Discovery(self.language, None, f"GHC lacks {lacking}: {hint}")
        binds = () if visible_in_sandbox(database) else (Bind(database, database),)
        toolchain = Toolchain(
            self.language,
            f"ghc {dotted(version)}",
            (("ghc", ghc), ("python3", python[0])),
            StageView(binds, (("HOME", "/tmp"),)),
        )
        return Discovery(self.language, toolchain, toolchain.version)

    def artefacts(self, toolchain: Toolchain) -> ArtefactRecipe | None:
        return None

    def plan(self, request: RunRequest, context: PlanContext) -> RunPlan:
        toolchain = context.toolchain
        if request.kind is RunKind.TASK:
            stages = _task_stages(request, toolchain)
        elif request.kind in (RunKind.PLAYGROUND, RunKind.SCRIPT):
            stages = _program_stages(request, toolchain)
        else:
            raise LanguageUnavailable(request.language)
        return RunPlan(stages, view=toolchain.view, scratch_bytes=SCRATCH_BYTES)


def _task_stages(request: RunRequest, toolchain: Toolchain) -> tuple[Stage, ...]:
    source_run, source_test = task_sources(request.source_run, request.source_test)
    tests = SandboxFile(TESTS_FILE, source_test)
    checker = (toolchain.program("python3"), TESTS_FILE)
    if request.task_type != "code" or not request.source_run:
        return (Stage(StageRole.TEST, checker, (tests,), wall_seconds=CHECKER_WALL_SECONDS),)
    if _MODULE_MAIN.search(request.source_run):
        return (
            _compile(
                StageRole.BUILD,
                toolchain,
                (SandboxFile("Main.hs", source_run),),
                main="Main.hs",
                output=PROGRAM,
                packages=PROGRAM_PACKAGES,
            ),
            Stage(
                StageRole.RUN,
                (PROGRAM,),
                (),
                stdin_bytes(request.stdin),
                wall_seconds=PROGRAM_WALL_SECONDS,
                address_space_bytes=PROGRAM_ADDRESS_SPACE,
                output_file=CAPTURE,
            ),
            Stage(StageRole.TEST, (*checker, CAPTURE), (tests,), wall_seconds=CHECKER_WALL_SECONDS),
        )
    library = SandboxFile("UserCode.hs", source_run)
    return (
        _compile(
            StageRole.BUILD,
            toolchain,
            (library,),
            main="UserCode.hs",
            output=None,
            packages=PROGRAM_PACKAGES,
        ),
        _compile(
            StageRole.TEST_BUILD,
            toolchain,
            (library, SandboxFile("Spec.hs", source_test)),
            main="Spec.hs",
            output=TESTS,
            packages=(*PROGRAM_PACKAGES, *TEST_PACKAGES),
        ),
        Stage(
            StageRole.TEST,
            (TESTS,),
            (),
            wall_seconds=TESTS_WALL_SECONDS,
            address_space_bytes=PROGRAM_ADDRESS_SPACE,
        ),
    )


def _program_stages(request: RunRequest, toolchain: Toolchain) -> tuple[Stage, ...]:
    """The playground's project (its main file, with `app` and `src` on the search path), or a
    tracked run of one module."""
    files: tuple[SandboxFile, ...]
    if request.kind is RunKind.SCRIPT:
        files = (SandboxFile("Main.hs", task_sources(request.source_run, "-")[0]),)
        main = "Main.hs"
    else:
        files = project_files(request.files)
        main = checked_main_file(request.main_file, files)
    wall = PROGRAM_WALL_SECONDS if request.kind is RunKind.PLAYGROUND else None
    return (
        _compile(
            StageRole.BUILD, toolchain, files, main=main, output=PROGRAM, packages=PROGRAM_PACKAGES
        ),
        compiled_program_stage(
            PROGRAM, request, wall_seconds=wall, address_space_bytes=PROGRAM_ADDRESS_SPACE
        ),
    )


def _compile(
    role: StageRole,
    toolchain: Toolchain,
    files: tuple[SandboxFile, ...],
    *,
    main: str,
    output: str | None,
    packages: tuple[str, ...],
) -> Stage:
    """`ghc --make` with only the image's packages exposed; without an output, the module is
    compiled but not linked (a library's build)."""
    command = (
        toolchain.program("ghc"),
        "--make",
        "-v0",
        "-O1",
        *PROGRAM_OPTIONS,
        *WARNINGS,
        "-hide-all-packages",
        *(argument for package in packages for argument in ("-package", package)),
        "-i.:app:src",
        "-outputdir",
        "/tmp/ghc",
        main,
    )
    if output is None:
        argv: tuple[str, ...] = (*command, "-no-link")
        exports: tuple[str, ...] = ()
    else:
        argv = ("/bin/sh", "-c", COMPILE_SCRIPT, "sh", output, *command)
        exports = (output,)
    return Stage(
        role,
        argv,
        files,
        wall_seconds=BUILD_WALL_SECONDS,
        build_limits=BUILD_LIMITS,
        exports=exports,
    )
