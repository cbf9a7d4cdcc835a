"""C++, as the original's cpp image (clang 21 with libc++, C++23, `import std;`, boost.ut
2.3.1 and a `TestHelpers` module, all four precompiled): the task is `main.cpp`, the test
wrapper `tests.cpp`; both build with `-std=c++23 -stdlib=libc++ -Werror -Wall
-Wno-unused-variable -Wno-logical-op-parentheses` (4 s to run each there, 30 s to build).
Practice projects and the playground build with their own CMakeLists (CMake >= 3.30, Ninja)
and the same precompiled modules.

Differences, on purpose:
- A task compiles with clang++ directly, as the image's two-target CMake project did, without
  a configure step per run. The program is built and run first, then the tests, so the
  program's stage never sees the test wrapper; a test wrapper that does not compile is a
  test failure (the image reported it as the program's).
- The image piped the tests through `sed` to strip colours, which made a failing test binary
  look successful; here the test binary's own exit status decides.
- boost.ut (in no package registry) is replaced by Handyman's own module with what the
  course uses (`cpp_modules/boost_ut.cppm`); it also fails a test binary that exits while a
  test runs. `TestHelpers` is Handyman's own too (`cpp_modules/test_helpers.cppm`).

The toolchain is the newest clang++ 19 or newer on the system whose libc++ ships its `std`
module sources (Debian: clang-N, libc++-N-dev, libc++abi-N-dev), and for projects a CMake >=
3.30 (`pip install --target <toolchains>/cmake cmake`) and Ninja. CMake finds clang through
CXX (the image had no other compiler; the CMakeLists name clang++ only after `project()`,
too late to choose it). Its artefacts, the four
modules' `.pcm` and `.o` files, are built once and every stage sees them read-only in
/usr/local/lib, where the projects' `precompiled_modules.cmake` looks for them.
"""

from __future__ import annotations

import glob
import os
import re
from importlib import resources

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
    compiled_program_stage,
    project_files,
    task_sources,
)
from handyman_runner.sandbox_errors import LanguageUnavailable
from handyman_runner.toolchains import SANDBOX_PATH, visible_in_sandbox

MINIMUM_CLANG = (19,)
"""The first clang whose libc++ ships the `std` and `std.compat` module sources."""
MINIMUM_CMAKE = (3, 30)
"""What the course's project CMakeLists require."""
MODULES = "/usr/local/lib"
PROJECTS = "projects"
LANGUAGE_FLAGS = ("-std=c++23", "-stdlib=libc++")
LINK_FLAGS = ("-static-libstdc++",)
"""libc++ linked statically: Debian installs one shared libc++ for every clang version (the
oldest's), whose symbols a newer clang's headers outrun (`std::__1::__hash_memory`)."""
WARNING_FLAGS = ("-Werror", "-Wall", "-Wno-unused-variable", "-Wno-logical-op-parentheses")
OPTIMISATION = "-O2"
PROGRAM = "build/main"
TESTS = "build/tests"
TASK_PROGRAM_WALL_SECONDS = 4.0
TASK_TESTS_WALL_SECONDS = 4.0
PROJECT_PROGRAM_WALL_SECONDS = 5.0
BUILD_WALL_SECONDS = 30.0
PROJECT_BUILD_WALL_SECONDS = 60.0
"""Configure (30 s there) and build (40 s there) in one stage."""
SCRATCH_BYTES = 256 * 1024 * 1024
BUILD_LIMITS = RunLimits(
    cpu_seconds=60.0,
    wall_seconds=BUILD_WALL_SECONDS,
    memory_bytes=2 * 1024 * 1024 * 1024,
    processes=128,
    file_size_bytes=256 * 1024 * 1024,
    open_files=1024,
)
ARTEFACT_LIMITS = RunLimits(
    cpu_seconds=600.0,
    wall_seconds=600.0,
    memory_bytes=4 * 1024 * 1024 * 1024,
    processes=128,
    file_size_bytes=512 * 1024 * 1024,
    open_files=1024,
)
_IMPORT = re.compile(r"^\s*(?:export\s+)?import\s+([A-Za-z_][\w.]*)\s*;", re.MULTILINE)
_MODULE_OBJECTS = {
    "std.compat": f"{MODULES}/std.compat.o",
    "boost.ut": f"{MODULES}/boost.ut.o",
    "TestHelpers": f"{MODULES}/TestHelpers.o",
}
_OWN_MODULES = (("boost.ut", "boost_ut.cppm"), ("TestHelpers", "test_helpers.cppm"))

COMPILE_SCRIPT = 'output=$1; shift; mkdir -p "$(dirname "$output")" && exec "$@" -o "$output"'
_CONFIGURE = (
    "cmake -Wno-dev -S . -B /tmp/build -G Ninja > /tmp/configure.txt 2>&1 "
    "|| { cat /tmp/configure.txt; exit 1; }; "
)
PROJECT_BUILD_SCRIPT = (
    _CONFIGURE + "cmake --build /tmp/build -- --quiet || exit; mkdir -p build && for target; do "
    'cp "/tmp/build/$target" "build/$target" || exit; done'
)
"""Configure quietly (its output only when it fails), build, and hand on the named targets."""
PLAYGROUND_BUILD_SCRIPT = (
    _CONFIGURE + "cmake --build /tmp/build -- --quiet || exit; mkdir -p build && "
    'cp "$(find /tmp/build -maxdepth 1 -type f -perm -u+x | sort | head -n 1)" build/main'
)
"""The site's playground project names its own target (`cpp_experiments`)."""


class CppPlugin:
    language = Language.CPP

    def discover(self, host: HostProbe) -> Discovery:
        compilers = []
        for clang in host.find(sorted(glob.glob("/usr/lib/llvm-*/bin/clang++"))):
            llvm = os.path.dirname(os.path.dirname(clang))
            std_module = os.path.join(llvm, "share", "libc++", "v1", "std.cppm")
            version = version_tuple(os.path.basename(llvm).removeprefix("llvm-"))
            if os.path.isfile(std_module):
                compilers.append((version, clang, std_module))
        usable = [compiler for compiler in compilers if compiler[0] >= MINIMUM_CLANG]
        if not usable:
            found = ", ".join(f"clang {dotted(version)}" for version, _, _ in compilers)
            return Discovery(
                self.language,
                None,
                f"no clang++ {dotted(MINIMUM_CLANG)} or newer with libc++'s std module"
                f"{f' (found {found})' if found else ''}: `apt-get install clang-19 "
                "libc++-19-dev libc++abi-19-dev` (or newer)",
            )
        version, clang, std_module = max(usable)
        notes: tuple[str, ...] = ()
        cmake = _cmake(host)
        ninja = host.find(["ninja"])
        programs = [("clang++", clang), ("std.cppm", std_module)]
        binds: list[Bind] = []
        path = [os.path.dirname(clang)]
        features: frozenset[str] = frozenset()
        if cmake is not None and ninja:
            cmake_path, cmake_root = cmake
            programs.append(("cmake", cmake_path))
            path.append(os.path.dirname(cmake_path))
            if not visible_in_sandbox(cmake_root):
                binds.append(Bind(cmake_root, cmake_root))
            features = frozenset({PROJECTS})
        else:
            notes = (
                f"no CMake {dotted(MINIMUM_CMAKE)} or newer with Ninja: practice projects and "
                "the playground are unavailable (`pip install --target "
                f"{host.toolchain_root}/cmake cmake`, `apt-get install ninja-build`)",
            )
        environment = (
            ("PATH", ":".join([*path, SANDBOX_PATH])),
            ("HOME", "/tmp"),
            ("CXX", clang),
            ("LDFLAGS", " ".join(LINK_FLAGS)),
            ("CC", os.path.join(os.path.dirname(clang), "clang")),
        )
        toolchain = Toolchain(
            self.language,
            f"clang {dotted(version)}",
            tuple(programs),
            StageView(tuple(binds), environment),
            features,
        )
        return Discovery(self.language, toolchain, toolchain.version, notes)

    def artefacts(self, toolchain: Toolchain) -> ArtefactRecipe | None:
        clang = toolchain.program("clang++")
        module_flags = (*LANGUAGE_FLAGS, OPTIMISATION, f"-fprebuilt-module-path={MODULES}")
        sources = [("std", toolchain.program("std.cppm")), ("std.compat", _compat(toolchain))]
        sources += [(name, f"{MODULES}/{file}") for name, file in _OWN_MODULES]
        own = [f"/work/{file}" for _, file in _OWN_MODULES]
        commands: list[tuple[str, ...]] = [("/bin/cp", *own, MODULES)]
        for name, source in sources:
            pcm = f"{MODULES}/{name}.pcm"
            commands.append(
                (
                    clang,
                    *module_flags,
                    "-Wno-reserved-module-identifier",
                    "--precompile",
                    "-o",
                    pcm,
                    source,
                )
            )
            commands.append(
                (
                    clang,
                    "-std=c++23",
                    OPTIMISATION,
                    f"-fprebuilt-module-path={MODULES}",
                    "-c",
                    "-o",
                    f"{MODULES}/{name}.o",
                    pcm,
                )
            )
        return ArtefactRecipe(
            language=self.language,
            name="cpp-modules",
            mount_point=MODULES,
            identity=f"{toolchain.version} {clang}",
            inputs=tuple(SandboxFile(file, _module_source(file)) for _, file in _OWN_MODULES),
            commands=tuple(commands),
            limits=ARTEFACT_LIMITS,
            wall_seconds=ARTEFACT_LIMITS.wall_seconds,
            scratch_bytes=SCRATCH_BYTES,
        )

    def plan(self, request: RunRequest, context: PlanContext) -> RunPlan:
        toolchain = context.toolchain
        if request.kind is RunKind.TASK:
            stages = _task_stages(request, toolchain)
        elif request.kind is RunKind.SCRIPT:
            source = task_sources(request.source_run, "-")[0]
            stages = tuple(_program_stages(source, request, toolchain))
        elif not toolchain.has(PROJECTS):
            raise LanguageUnavailable(request.language)
        else:
            stages = _project_stages(request)
        view = toolchain.view
        if context.artefacts is not None:
            view = view.merged_with(StageView((Bind(context.artefacts, MODULES),)))
        return RunPlan(stages, view=view, scratch_bytes=SCRATCH_BYTES)


def _task_stages(request: RunRequest, toolchain: Toolchain) -> tuple[Stage, ...]:
    source_run, source_test = task_sources(request.source_run, request.source_test)
    stages: list[Stage] = []
    if request.task_type == "code" and request.source_run:
        stages += _program_stages(source_run, request, toolchain, TASK_PROGRAM_WALL_SECONDS)
    stages += [
        _compile(StageRole.TEST_BUILD, toolchain, "tests.cpp", source_test, TESTS),
        Stage(StageRole.TEST, (TESTS,), (), wall_seconds=TASK_TESTS_WALL_SECONDS),
    ]
    return tuple(stages)


def _program_stages(
    source: bytes, request: RunRequest, toolchain: Toolchain, wall_seconds: float | None = None
) -> list[Stage]:
    return [
        _compile(StageRole.BUILD, toolchain, "main.cpp", source, PROGRAM),
        compiled_program_stage(PROGRAM, request, wall_seconds=wall_seconds),
    ]


def _compile(role: StageRole, toolchain: Toolchain, name: str, source: bytes, output: str) -> Stage:
    """clang++ with the course's flags and the precompiled modules the source imports."""
    imported = set(_IMPORT.findall(source.decode("utf-8", "replace")))
    objects = [f"{MODULES}/std.o"] + [
        path for module, path in _MODULE_OBJECTS.items() if module in imported
    ]
    command = (
        toolchain.program("clang++"),
        *LANGUAGE_FLAGS,
        *WARNING_FLAGS,
        OPTIMISATION,
        f"-fprebuilt-module-path={MODULES}",
        name,
        *objects,
        *LINK_FLAGS,
    )
    return Stage(
        role,
        ("/bin/sh", "-c", COMPILE_SCRIPT, "sh", output, *command),
        (SandboxFile(name, source),),
        wall_seconds=BUILD_WALL_SECONDS,
        build_limits=BUILD_LIMITS,
        exports=(output,),
    )


def _project_stages(request: RunRequest) -> tuple[Stage, ...]:
    files = project_files(request.files)
    script = PLAYGROUND_BUILD_SCRIPT if request.kind is RunKind.PLAYGROUND else PROJECT_BUILD_SCRIPT
    targets: tuple[str, ...] = (PROGRAM,)
    if request.kind is RunKind.PRACTICE_TEST:
        targets = (PROGRAM, TESTS)
    role = StageRole.TEST_BUILD if request.kind is RunKind.PRACTICE_TEST else StageRole.BUILD
    build = Stage(
        role,
        ("/bin/sh", "-c", script, "sh", *(os.path.basename(target) for target in targets)),
        files,
        wall_seconds=PROJECT_BUILD_WALL_SECONDS,
        build_limits=BUILD_LIMITS,
        exports=targets,
    )
    if request.kind is RunKind.PRACTICE_TEST:
        run = Stage(StageRole.TEST, (TESTS,), (), wall_seconds=PROJECT_PROGRAM_WALL_SECONDS)
    else:
        run = compiled_program_stage(PROGRAM, request, wall_seconds=PROJECT_PROGRAM_WALL_SECONDS)
    return (build, run)


def _cmake(host: HostProbe) -> tuple[str, str] | None:
    """The newest CMake >= 3.30: (its program, the directory to bind for it)."""
    root = host.toolchain_root
    found = []
    for cmake in host.find(
        [f"{root}/cmake/cmake/data/bin/cmake", f"{root}/cmake/bin/cmake", "cmake"]
    ):
        printed = host.output([cmake, "--version"]) or ""
        words = printed.split()
        version = version_tuple(words[2]) if len(words) > 2 else ()
        if version >= MINIMUM_CMAKE:
            found.append((version, cmake))
    if not found:
        return None
    cmake = max(found)[1]
    return cmake, os.path.dirname(os.path.dirname(os.path.realpath(cmake)))


def _compat(toolchain: Toolchain) -> str:
    return os.path.join(os.path.dirname(toolchain.program("std.cppm")), "std.compat.cppm")


def _module_source(name: str) -> bytes:
    return resources.files("handyman_runner.languages").joinpath("cpp_modules", name).read_bytes()
