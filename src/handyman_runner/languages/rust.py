"""Rust, as the original's rust image (Rust 1.91, a `cargo new` project, edition 2024): the task
becomes `src/main.rs` and `cargo run --release --offline` runs it; then the test wrapper
becomes `src/main.rs` and runs the same way (its `main` returns `Err` on a failed check, so
the program exits 1). The playground builds and runs the site's cargo project. There is no
practice for rust.

The original bounded only `cargo clean` (10 s) and let `cargo run` run for ever; here the build
is a stage of its own with build limits and the program runs within the request's limits and
at most 10 s. The toolchain is cargo and rustc 1.85 or newer (edition 2024) on the system, e.g.
Debian's `rustc-web` and `cargo-web`.
"""

from __future__ import annotations

from handyman_core.run_protocol import Language, RunKind, RunLimits, RunRequest
from handyman_runner.bwrap_command import StageView
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
    utf8,
)
from handyman_runner.sandbox_errors import LanguageUnavailable

MINIMUM_VERSION = (1, 85)
"""Edition 2024, which `cargo new` chose in the original image."""
PACKAGE = "user-code"
CARGO_TOML = (
    f'[package]\nname = "{PACKAGE}"\nversion = "0.1.0"\nedition = "2024"\n\n[dependencies]\n'
)
PROGRAM = ".build/main"
TESTS = ".build/tests"
TARGET = "/tmp/target"
PROGRAM_WALL_SECONDS = 10.0
PLAYGROUND_WALL_SECONDS = 10.0
BUILD_WALL_SECONDS = 30.0
SCRATCH_BYTES = 256 * 1024 * 1024
BUILD_LIMITS = RunLimits(
    cpu_seconds=60.0,
    wall_seconds=BUILD_WALL_SECONDS,
    memory_bytes=1024 * 1024 * 1024,
    processes=256,
    file_size_bytes=256 * 1024 * 1024,
    open_files=1024,
)
BUILD_SCRIPT = (
    "cargo build --release --offline --quiet --color never || exit; "
    f'mkdir -p .build && cp "{TARGET}/release/{PACKAGE}" "$1"'
)
PROJECT_BUILD_SCRIPT = (
    "cargo build --release --offline --quiet --color never || exit; mkdir -p .build && "
    f'cp "$(find {TARGET}/release -maxdepth 1 -type f -perm -u+x | sort | head -n 1)" "$1"'
)
"""A site project names its own package, so its binary is whichever the build made."""


class RustPlugin:
    language = Language.RUST

    def discover(self, host: HostProbe) -> Discovery:
        cargo = host.find(["cargo"])
        rustc = host.find(["rustc"])
        if not cargo or not rustc:
            return Discovery(
                self.language, None, "no cargo and rustc: `apt-get install rustc-web cargo-web`"
            )
        printed = host.output([rustc[0], "--version"]) or ""
        version = version_tuple(printed.split()[1]) if len(printed.split()) > 1 else ()
        if version < MINIMUM_VERSION:
            return Discovery(
                self.language,
                None,
                f"{rustc[0]} is Rust {dotted(version) or '(unknown)'}; "
                f"{dotted(MINIMUM_VERSION)} or newer is needed for edition 2024 "
                "(`apt-get install rustc-web cargo-web`)",
            )
        environment = (
            ("HOME", "/tmp"),
            ("CARGO_HOME", "/tmp/cargo"),
            ("CARGO_TARGET_DIR", TARGET),
            ("CARGO_TERM_COLOR", "never"),
            ("CARGO_INCREMENTAL", "0"),
        )
        toolchain = Toolchain(
            self.language,
            f"rust {dotted(version)}",
            (("cargo", cargo[0]), ("rustc", rustc[0])),
            StageView(environment=environment),
        )
        return Discovery(self.language, toolchain, toolchain.version)

    def artefacts(self, toolchain: Toolchain) -> ArtefactRecipe | None:
        return None

    def plan(self, request: RunRequest, context: PlanContext) -> RunPlan:
        if request.kind is RunKind.TASK:
            stages = _task_stages(request)
        elif request.kind is RunKind.PLAYGROUND:
            stages = _playground_stages(request)
        elif request.kind is RunKind.SCRIPT:
            source = (SandboxFile("src/main.rs", utf8(request.source_run)),)
            stages = tuple(_program_stages(source, request, None))
        else:
            raise LanguageUnavailable(request.language)
        return RunPlan(stages, view=context.toolchain.view, scratch_bytes=SCRATCH_BYTES)


def _task_stages(request: RunRequest) -> tuple[Stage, ...]:
    source_run, source_test = task_sources(request.source_run, request.source_test)
    stages: list[Stage] = []
    if request.task_type == "code" and request.source_run:
        stages += _program_stages(
            (SandboxFile("src/main.rs", source_run),), request, PROGRAM_WALL_SECONDS
        )
    tests = (SandboxFile("Cargo.toml", utf8(CARGO_TOML)), SandboxFile("src/main.rs", source_test))
    stages += [
        _build(StageRole.TEST_BUILD, BUILD_SCRIPT, tests, TESTS),
        Stage(StageRole.TEST, (TESTS,), (), wall_seconds=PROGRAM_WALL_SECONDS),
    ]
    return tuple(stages)


def _program_stages(
    sources: tuple[SandboxFile, ...], request: RunRequest, wall_seconds: float | None
) -> list[Stage]:
    files = (SandboxFile("Cargo.toml", utf8(CARGO_TOML)), *sources)
    return [
        _build(StageRole.BUILD, BUILD_SCRIPT, files, PROGRAM),
        compiled_program_stage(PROGRAM, request, wall_seconds=wall_seconds),
    ]


def _playground_stages(request: RunRequest) -> tuple[Stage, ...]:
    files = project_files(request.files)
    return (
        _build(StageRole.BUILD, PROJECT_BUILD_SCRIPT, files, PROGRAM),
        compiled_program_stage(PROGRAM, request, wall_seconds=PLAYGROUND_WALL_SECONDS),
    )


def _build(role: StageRole, script: str, files: tuple[SandboxFile, ...], output: str) -> Stage:
    return Stage(
        role,
        ("/bin/sh", "-c", script, "sh", output),
        files,
        wall_seconds=BUILD_WALL_SECONDS,
        build_limits=BUILD_LIMITS,
        exports=(output,),
    )
