"""What a code run is asked to do and what it answered, independent of where it runs.

`Runner` is the port; the local bubblewrap sandbox and the remote watchman client implement it.
A runner that can hand back a run while it goes on (the local sandbox) is also a
`StartableRunner`: it first takes a place for the run (`RunPlace`, a sandbox slot), then starts
it, and its runs are `RunControl`s: read while running, stopped on request.
"""

from __future__ import annotations

import enum
from typing import Protocol, runtime_checkable

import attrs
from attrs import frozen

from handyman_core.catalogue import ProjectFile


class Language(enum.StrEnum):
    """The original's container types (GetContainerType) plus bash for tracked runs."""

    PYTHON = "python"
    RUST = "rust"
    GOLANG = "golang"
    HASKELL = "haskell"
    CPP = "cpp"
    BASH = "bash"


def container_type_for(prefix_source: str) -> Language | None:
    """The original's prefix rule, checked in its order: `go` matches both `golang_` and `go...`."""
    for prefix, language in (
        ("python", Language.PYTHON),
        ("rust", Language.RUST),
        ("go", Language.GOLANG),
        ("haskell", Language.HASKELL),
        ("cpp", Language.CPP),
    ):
        if prefix_source.startswith(prefix):
            return language
    return None


class Verdict(enum.StrEnum):
    PASSED = "passed"
    TESTS_FAILED = "tests_failed"
    RUN_FAILED = "run_failed"
    TIMEOUT = "timeout"
    MEMORY_LIMIT = "memory_limit"
    OUTPUT_LIMIT = "output_limit"
    INTERNAL_ERROR = "internal_error"

    @property
    def status_code(self) -> int:
        """The site's `status_code`: 0 solved, 1 run failed, 2 tests failed, others as watchman."""
        return _STATUS_CODES[self]

    @property
    def solves(self) -> bool:
        """Only a pass completes a task or project."""
        return self is Verdict.PASSED


_STATUS_CODES = {
    Verdict.PASSED: 0,
    Verdict.RUN_FAILED: 1,
    Verdict.TESTS_FAILED: 2,
    Verdict.INTERNAL_ERROR: 3,
    Verdict.TIMEOUT: 124,
    Verdict.MEMORY_LIMIT: 137,
    Verdict.OUTPUT_LIMIT: 1,
}


@frozen
class RunLimits:
    """Resource limits of one run; defaults follow Judge0-like practice."""

    cpu_seconds: float = 5.0
    wall_seconds: float = 10.0
    memory_bytes: int = 256 * 1024 * 1024
    processes: int = 64
    output_bytes: int = 1024 * 1024
    file_size_bytes: int = 16 * 1024 * 1024
    open_files: int = 256


LEARNER_LIMIT_CEILING = RunLimits()
"""What a learner may ask for at most: the defaults. Only an operator (the admin token) may ask
for more, up to the runner's configured maxima."""


def limits_above(requested: RunLimits, ceiling: RunLimits) -> tuple[str, ...]:
    """The names of the limits in `requested` that exceed `ceiling`, in field order."""
    return tuple(
        name
        for name in attrs.fields_dict(RunLimits)
        if getattr(requested, name) > getattr(ceiling, name)
    )


class RunKind(enum.StrEnum):
    TASK = "task"
    """Run stage (source_run) then test stage (source_test), as course wrappers expect."""
    PLAYGROUND = "playground"
    """Run a project tree's main file."""
    PRACTICE_RUN = "practice_run"
    PRACTICE_TEST = "practice_test"
    SCRIPT = "script"
    """A tracked run of a plain script (source_run only)."""


@frozen
class RunRequest:
    kind: RunKind
    language: Language
    source_run: str = ""
    source_test: str = ""
    task_type: str = "code"
    color: bool = False
    type_check: bool = False
    files: tuple[ProjectFile, ...] = ()
    main_file: str = ""
    cmd_line_args: str = ""
    stdin: str = ""
    limits: RunLimits = RunLimits()
    test_files: tuple[str, ...] = ()
    """A practice test's test modules, the only ones run (`handyman_core.practice_tests`);
    empty: the runner discovers the tests in `files`."""


@frozen
class RunResult:
    verdict: Verdict
    user_code_output: str = ""
    tests_output: str = ""
    exit_code: int | None = None
    signal: int | None = None
    output_truncated: bool = False
    duration_ms: int = 0

    @property
    def status_code(self) -> int:
        return self.verdict.status_code


@runtime_checkable
class ReportsResourceIsolation(Protocol):
    """A runner that can say how it bounds a run's memory, processes and CPU (for /health)."""

    @property
    def resource_isolation(self) -> str:
        """Starts with "per run" when a run's processes share their limits, "per process only"
        when each process has its own (no cgroup could be made)."""
        ...


class Runner(Protocol):
    """Executes a request and returns a verdict, or raises RunnerUnavailable (no verdict)."""

    def run(self, request: RunRequest) -> RunResult: ...


@runtime_checkable
class LimitedRunner(Protocol):
    """A runner that can execute only some kinds of run (the original runner's API has no
    endpoint for scripts); runners without `run_kinds` execute every kind."""

    @property
    def run_kinds(self) -> frozenset[RunKind]: ...


def runner_accepts(runner: object, kind: RunKind) -> bool:
    """Whether `runner` can execute runs of `kind`, known before anything is recorded, so a
    request it cannot serve is refused up front instead of failing in the background."""
    return not isinstance(runner, LimitedRunner) or kind in runner.run_kinds


class RunControl(Protocol):
    """A run in progress (`handyman_runner.local.RunHandle` is one); thread-safe."""

    def wait(self, timeout: float | None = None) -> RunResult:
        """The result (or the runner's exception); TimeoutError if still going after `timeout`."""
        ...

    def stop(self) -> None: ...

    def output_so_far(self) -> str: ...

    @property
    def done(self) -> bool: ...

    @property
    def stopped(self) -> bool:
        """True if `stop` ended the run (rather than the run ending by itself)."""
        ...


class RunPlace(Protocol):
    """A place taken for one run (the sandbox's host slot): the run is started in it at most
    once, or the place is given back without running anything."""

    def start(self) -> RunControl:
        """Starts the run and returns at once; raises RunnerUnavailable when it cannot."""
        ...

    def release(self) -> None:
        """Gives the place back unused; does nothing once the run has started."""
        ...


@runtime_checkable
class StartableRunner(Protocol):
    """A runner whose runs may have to wait for a place, and can be followed and stopped.

    Taking the place comes apart from starting the run so that a caller can record the run in
    between: a run that gets its place at once is recorded running in the one write that admits
    it, and only a run that really waits is recorded queued first (`RunTracker`)."""

    def reserve(self, request: RunRequest, *, wait: bool) -> RunPlace | None:
        """Checks the request and takes a place for it. With `wait` False only a place free now
        is taken: None when the run would have to wait. With `wait` True it waits as long as the
        runner lets a run wait, then raises RunnerUnavailable (busy, with `retry_after`).
        Raises what the runner refuses a request with (invalid, language unavailable)."""
        ...


@frozen
class LanguageSupport:
    """Whether a runner can run one language, for operators (`/health`)."""

    language: Language
    available: bool
    detail: str
    """The toolchain's version when available; otherwise why not."""


@runtime_checkable
class ReportsLanguages(Protocol):
    """A runner that knows which languages it can run (the local sandbox does; a remote runner
    answers for itself)."""

    def language_support(self) -> tuple[LanguageSupport, ...]: ...
