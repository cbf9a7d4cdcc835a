"""How the local sandbox is set up, and the limits a run may ask for.

A request's limits are clamped between a floor (below it a run cannot even start an interpreter)
and the operator's maxima, so no request can buy itself more than the host allows.
"""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path

from attrs import Factory, evolve, field, frozen, validators

from handyman_core.run_protocol import RunLimits
from handyman_runner.languages.artefacts import default_directory

DEFAULT_TOOLCHAIN_DIRECTORY = "/opt/handyman/toolchains"
TOOLCHAINS_VARIABLE = "HANDYMAN_TOOLCHAINS"

SANDBOX_HOST_UID = 65_530
"""Host uid (and gid) of the runner's own sandboxes (probes, artefact builds) when the service
is root. Debian reserves 65000-65533 and systemd's dynamic users stop at 65519, so nothing else
should own it."""

SLOT_UID_BASE = 65_000
"""Slot n's sandboxes run as host uid (and gid) SLOT_UID_BASE + n when the service is root:
per-user kernel quotas (processes, inotify instances and watches, keys, mqueue bytes, user
namespaces) are counted per host uid, so runs in different slots never share them."""
MAX_SLOTS = SANDBOX_HOST_UID - SLOT_UID_BASE

LIMIT_FLOOR = RunLimits(
    cpu_seconds=1.0,
    wall_seconds=0.5,
    memory_bytes=64 * 1024 * 1024,
    processes=8,
    output_bytes=1024,
    file_size_bytes=64 * 1024,
    open_files=32,
)

DEFAULT_MAX_LIMITS = RunLimits(
    cpu_seconds=60.0,
    wall_seconds=100.0,
    memory_bytes=1024 * 1024 * 1024,
    processes=256,
    output_bytes=8 * 1024 * 1024,
    file_size_bytes=64 * 1024 * 1024,
    open_files=1024,
)
"""The wall maximum stays below gunicorn's 120 s worker timeout (examples/gunicorn.conf.py)."""


def default_toolchain_directory() -> str:
    return os.environ.get(TOOLCHAINS_VARIABLE) or DEFAULT_TOOLCHAIN_DIRECTORY


def _cpu_count() -> int:
    return min(os.cpu_count() or 1, MAX_SLOTS)


def _default_slot_directory() -> Path:
    return Path(tempfile.gettempdir()) / f"handyman-sandbox-slots-{os.geteuid()}"


@frozen
class SandboxConfig:
    bwrap_path: str = "bwrap"
    """Resolved on PATH when not absolute."""
    host_uid: int = SANDBOX_HOST_UID
    host_gid: int = SANDBOX_HOST_UID
    default_limits: RunLimits = field(factory=RunLimits)
    """Used for a request whose limits are the protocol's defaults (callers rarely set them)."""
    max_limits: RunLimits = DEFAULT_MAX_LIMITS
    work_dir_bytes: int = field(default=64 * 1024 * 1024, validator=validators.gt(0))
    """Size of the tmpfs holding the program's files (/work)."""
    scratch_bytes: int = field(default=16 * 1024 * 1024, validator=validators.gt(0))
    """Size of each of /tmp and /dev/shm."""
    max_concurrent_runs: int = field(
        default=Factory(_cpu_count), validator=[validators.gt(0), validators.le(MAX_SLOTS)]
    )
    """Sandboxes running at once on this host, across every process that shares the slots."""
    slot_uid_base: int = SLOT_UID_BASE
    cgroups: bool = True
    """Give each stage a cgroup of its own (`run_cgroups`) when the host allows it."""
    cgroup_path: str | None = None
    """A cgroup v2 directory delegated to the service (HANDYMAN_SANDBOX_CGROUP); None: its own."""
    cpu_cores: float = field(default=2.0, validator=validators.gt(0))
    """CPU quota of one stage, in cores (with a cgroup)."""
    cpu_weight: int = field(default=20, validator=[validators.ge(1), validators.le(10_000)])
    """A stage's CPU weight against a normal process's 100 (with a cgroup): on a busy host the
    service's requests are served before the sandboxes' programs."""
    slot_directory: Path = field(default=Factory(_default_slot_directory), converter=Path)
    queue_timeout: float = field(default=10.0, validator=validators.ge(0))
    """How long a run waits for a free slot before the runner answers busy."""
    retry_after_seconds: int = field(default=5, validator=validators.gt(0))
    toolchain_directory: str = field(factory=default_toolchain_directory)
    """Where the operator installs toolchains that the system's packages lack (Go, a recent
    CMake, Python packages); each language binds what it uses read-only into its stages."""
    artefact_directory: Path = field(factory=default_directory, converter=Path)
    """Where languages' read-only artefacts (C++ modules, a warm Go cache) are built once."""
    prepare_in_background: bool = True
    """Build missing artefacts in a thread at start-up; runs of a language wait for them (at
    most `queue_timeout`, then busy)."""


def effective_limits(requested: RunLimits, config: SandboxConfig) -> RunLimits:
    """The limits a run gets: the config's defaults stand in for the protocol's, and every
    value is clamped into [LIMIT_FLOOR, max_limits]."""
    chosen = config.default_limits if requested == RunLimits() else requested
    return clamp_limits(chosen, LIMIT_FLOOR, config.max_limits)


def clamp_limits(limits: RunLimits, floor: RunLimits, ceiling: RunLimits) -> RunLimits:
    def clamp_float(value: float, low: float, high: float) -> float:
        if math.isnan(value):
            return low
        return min(max(value, low), max(low, high))

    def clamp_int(value: int, low: int, high: int) -> int:
        return min(max(value, low), max(low, high))

    return evolve(
        limits,
        cpu_seconds=clamp_float(limits.cpu_seconds, floor.cpu_seconds, ceiling.cpu_seconds),
        wall_seconds=clamp_float(limits.wall_seconds, floor.wall_seconds, ceiling.wall_seconds),
        memory_bytes=clamp_int(limits.memory_bytes, floor.memory_bytes, ceiling.memory_bytes),
        processes=clamp_int(limits.processes, floor.processes, ceiling.processes),
        output_bytes=clamp_int(limits.output_bytes, floor.output_bytes, ceiling.output_bytes),
        file_size_bytes=clamp_int(
            limits.file_size_bytes, floor.file_size_bytes, ceiling.file_size_bytes
        ),
        open_files=clamp_int(limits.open_files, floor.open_files, ceiling.open_files),
    )
