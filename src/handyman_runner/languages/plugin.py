"""The shape of a language plug-in, and the values it hands the runner.

A plug-in knows one language: where its toolchain is on this host and whether it is new enough
(`discover`), which read-only artefacts it wants built once (`artefacts`), and how a request
becomes files and stages with their limits (`plan`). The runner does everything else the same
way for every language: a fresh sandbox per stage, the verdict from each stage's exit status.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from typing import Protocol

from attrs import field, frozen

from handyman_core.run_protocol import Language, RunLimits, RunRequest
from handyman_runner.bwrap_command import PLAIN, StageView
from handyman_runner.completion import Completion
from handyman_runner.run_plan import RunPlan, SandboxFile
from handyman_runner.toolchains import SANDBOX_PATH, visible_in_sandbox

VERSION_PROBE_SECONDS = 20.0


@frozen
class Toolchain:
    """A language's toolchain as the sandbox sees it."""

    language: Language
    version: str
    """What `handyman runner languages` shows, e.g. `go 1.25.0`."""
    programs: tuple[tuple[str, str], ...]
    """(name, absolute path inside the sandbox) of each program the plans run."""
    view: StageView = PLAIN
    """Directories and environment every stage of this language needs."""
    features: frozenset[str] = frozenset()
    """Optional capabilities found (e.g. `mypy`, `projects`)."""
    completion: Completion | None = None
    """How this language's test stage proves it ran to the end (`completion`); None: by its
    exit status alone (and whatever guard the language's own test runtime has)."""

    def program(self, name: str) -> str:
        for known, path in self.programs:
            if known == name:
                return path
        raise KeyError(f"{self.language.value} toolchain has no {name}")

    def has(self, feature: str) -> bool:
        return feature in self.features


@frozen
class Discovery:
    """What a plug-in found on this host."""

    language: Language
    toolchain: Toolchain | None
    detail: str
    """The toolchain's version when found; otherwise why the language is not available
    (what is missing or too old, and how to install it)."""
    notes: tuple[str, ...] = ()
    """Capabilities that are missing although the language runs (e.g. projects need cmake)."""

    @property
    def available(self) -> bool:
        return self.toolchain is not None


@frozen
class ArtefactRecipe:
    """Read-only files a language builds once per toolchain and shows every stage at
    `mount_point` (C++ modules, a warm Go build cache). Built inside the sandbox, with the
    directory writable at the same path, so every path recorded in them holds at run time."""

    language: Language
    name: str
    mount_point: str
    identity: str
    """What the artefacts depend on besides the recipe (toolchain paths and versions)."""
    inputs: tuple[SandboxFile, ...]
    """Files the build reads from its work dir."""
    commands: tuple[tuple[str, ...], ...]
    limits: RunLimits
    wall_seconds: float
    scratch_bytes: int = 256 * 1024 * 1024
    required: bool = True
    """False for a mere speed-up (a warm cache): until it is built, runs go without it."""


@frozen
class PlanContext:
    """What a plan needs besides the request: the toolchain, and where this language's
    artefacts are on the host (None when it has none)."""

    toolchain: Toolchain
    artefacts: str | None = None


class LanguagePlugin(Protocol):
    language: Language

    def discover(self, host: HostProbe) -> Discovery: ...

    def artefacts(self, toolchain: Toolchain) -> ArtefactRecipe | None: ...

    def plan(self, request: RunRequest, context: PlanContext) -> RunPlan:
        """Raises InvalidInput for a request no sandbox could run, LanguageUnavailable for a
        kind of run this toolchain cannot do."""
        ...


@frozen
class HostProbe:
    """Where plug-ins look for toolchains: the host's system trees (which every sandbox sees)
    and the operator's toolchain directory (bound read-only into the stages that use it).
    Versions are read by running the toolchain's own programs on the host."""

    toolchain_root: str
    run_seconds: float = VERSION_PROBE_SECONDS
    environ: Mapping[str, str] = field(factory=dict)

    def visible(self, path: str) -> bool:
        real = os.path.realpath(path)
        root = os.path.realpath(self.toolchain_root)
        return visible_in_sandbox(path) or real.startswith(root + os.sep)

    def find(self, candidates: Sequence[str]) -> list[str]:
        """The candidates that exist, are executable and visible in the sandbox, in order;
        a bare name is looked up on the sandbox's PATH."""
        found = []
        for candidate in candidates:
            path = candidate if os.path.isabs(candidate) else _which(candidate)
            if path is None or not os.access(path, os.X_OK) or os.path.isdir(path):
                continue
            if self.visible(path) and path not in found:
                found.append(path)
        return found

    def output(self, argv: Sequence[str], environment: Mapping[str, str] = {}) -> str | None:
        """What the command printed (stdout and stderr), or None if it failed to run."""
        try:
            completed = subprocess.run(
                list(argv),
                capture_output=True,
                timeout=self.run_seconds,
                check=False,
                env={"PATH": SANDBOX_PATH, "LANG": "C.UTF-8", **self.environ, **environment},
                stdin=subprocess.DEVNULL,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        if completed.returncode != 0:
            return None
        return (completed.stdout + completed.stderr).decode("utf-8", "replace")


def _which(name: str) -> str | None:
    for directory in SANDBOX_PATH.split(":"):
        path = os.path.join(directory, name)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def version_tuple(text: str) -> tuple[int, ...]:
    """`1.25.0` → (1, 25, 0); anything after the numbers is ignored."""
    numbers: list[int] = []
    for part in text.split("."):
        digits = ""
        for character in part:
            if not character.isdigit():
                break
            digits += character
        if not digits:
            break
        numbers.append(int(digits))
        if len(digits) != len(part):
            break
    return tuple(numbers)


def dotted(version: tuple[int, ...]) -> str:
    return ".".join(str(number) for number in version)
