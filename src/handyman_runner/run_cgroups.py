"""A cgroup per sandboxed stage: memory, processes and CPU counted for everything the stage
runs together, not per process.

rlimits bound each process: RLIMIT_AS does not see tmpfs files or memfds, and every child gets
its own allowance, so one run could hold gigabytes across its children, in memfds and in the
kernel memory of a million tmpfs inodes, and use its CPU limit once per child. In a cgroup of
its own a stage gets:

- `memory`: its memory limit plus the sizes of its tmpfs mounts, covering anonymous memory,
  tmpfs and memfd pages and the kernel memory charged to the group (inodes, page tables,
  sockets); no swap. The kernel's OOM killer acts inside the group, and the group's `oom_kill`
  counter, not a guess from exit statuses, says a stage ran out of memory.
- `pids`: its process limit (threads included, as RLIMIT_NPROC counts them), plus bwrap's two.
- `cpu`: a quota of `cpu_cores` cores, a low weight (`cpu_weight`, v2's scale where 100 is a
  normal process's share), so that on a busy host the service answering requests comes before
  the sandboxes, and the group's usage for the CPU limit of the whole stage.

Both hierarchies are supported: cgroup v2 where the service's own cgroup (or the one named by
HANDYMAN_SANDBOX_CGROUP) has the memory, pids and cpu controllers delegated to it (systemd:
`Delegate=yes`), and cgroup v1 where those controllers are mounted as separate hierarchies the
service may write to. With v2 the service first moves its own processes into a
`handyman-service` child, as the "no internal processes" rule requires before controllers can
be enabled for the sandboxes' groups.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import logging
import os
import signal
import threading
import time
import uuid
from pathlib import Path
from typing import Protocol

from attrs import frozen

log = logging.getLogger("handyman.runner.cgroups")

V2_CONTROLLERS = ("memory", "pids", "cpu")
V1_CONTROLLERS = ("memory", "pids", "cpu", "cpuacct")
SANDBOXES_GROUP = "handyman-sandboxes"
SERVICE_GROUP = "handyman-service"
CGROUP_VARIABLE = "HANDYMAN_SANDBOX_CGROUP"
CPU_PERIOD_MICROSECONDS = 100_000
REMOVE_ATTEMPTS = 500
REMOVE_PAUSE_SECONDS = 0.01


class CgroupUnavailable(Exception):
    """No cgroup can be made for the sandboxes here; the message says why."""


@frozen
class CgroupLimits:
    memory_bytes: int
    processes: int
    cpu_cores: float
    cpu_weight: int = 100
    """cgroup v2's cpu.weight (1-10000, 100 normal); v1's cpu.shares get the same proportion."""


class StageCgroup(Protocol):
    def attach(self, pid: int) -> None:
        """Moves a process (before it forks anything) into the group."""
        ...

    def cpu_seconds(self) -> float: ...

    def oom_kills(self) -> int:
        """Processes the kernel's OOM killer killed in the group."""
        ...

    def remove(self) -> None:
        """Kills whatever is left in the group and removes it."""
        ...


class SandboxCgroups(Protocol):
    @property
    def description(self) -> str: ...

    def remove_leftovers(self) -> None:
        """Removes the empty stage groups a runner that exited left behind (a group still in
        use by another runner is busy and stays)."""
        ...

    def create(self, limits: CgroupLimits) -> StageCgroup: ...


def discover_cgroups(configured: str | None = None) -> SandboxCgroups:
    """The sandboxes' cgroups on this host, checked by creating and removing one; raises
    CgroupUnavailable with every reason found. `configured`: a v2 directory delegated to the
    service (default: the service's own cgroup)."""
    with open("/proc/self/mountinfo", encoding="utf-8") as mountinfo:
        mounts = cgroup_mounts(mountinfo.read())
    with open("/proc/self/cgroup", encoding="utf-8") as own:
        membership = cgroup_membership(own.read())
    reasons = []
    for attempt in (v2_cgroups, v1_cgroups):
        try:
            cgroups = attempt(mounts, membership, configured)
            cgroups.create(CgroupLimits(64 * 1024 * 1024, 8, 1.0)).remove()
            cgroups.remove_leftovers()
            return cgroups
        except (CgroupUnavailable, OSError) as error:
            reasons.append(str(error))
    raise CgroupUnavailable("; ".join(reasons))


# --- cgroup v2 ---------------------------------------------------------------------------


@frozen
class V2Cgroups:
    base: Path

    @property
    def description(self) -> str:
        return f"cgroup v2 ({', '.join(V2_CONTROLLERS)}) under {self.base}"

    def remove_leftovers(self) -> None:
        _remove_leftovers([self.base])

    def create(self, limits: CgroupLimits) -> StageCgroup:
        path = self.base / f"sandbox-{uuid.uuid4().hex}"
        path.mkdir(mode=0o755)
        group = V2Stage(path)
        try:
            _write(path / "memory.max", str(limits.memory_bytes))
            _write_if_present(path / "memory.swap.max", "0")
            _write(path / "pids.max", str(limits.processes))
            _write(path / "cpu.max", f"{_quota(limits.cpu_cores)} {CPU_PERIOD_MICROSECONDS}")
            _write(path / "cpu.weight", str(limits.cpu_weight))
        except OSError:
            group.remove()
            raise
        return group


@frozen
class V2Stage:
    path: Path

    def attach(self, pid: int) -> None:
        _write(self.path / "cgroup.procs", str(pid))

    def cpu_seconds(self) -> float:
        return _keyed(self.path / "cpu.stat", "usage_usec") / 1_000_000

    def oom_kills(self) -> int:
        return _keyed(self.path / "memory.events", "oom_kill")

    def remove(self) -> None:
        with contextlib.suppress(OSError):
            _write(self.path / "cgroup.kill", "1")
        _remove_directories([self.path])


def v2_cgroups(
    mounts: dict[str, Path], membership: dict[str, str], configured: str | None
) -> V2Cgroups:
    mount = mounts.get("")
    if mount is None or "" not in membership:
        raise CgroupUnavailable("cgroup v2: no unified hierarchy holds this process")
    own = mount / membership[""].lstrip("/")
    base = Path(configured) if configured else own
    available = _read(base / "cgroup.controllers").split()
    missing = [name for name in V2_CONTROLLERS if name not in available]
    if missing:
        raise CgroupUnavailable(
            f"cgroup v2: {base} has no {', '.join(missing)} controller delegated to it "
            "(systemd: Delegate=yes)"
        )
    enable = " ".join(f"+{name}" for name in V2_CONTROLLERS)
    try:
        _write(base / "cgroup.subtree_control", enable)
    except OSError as error:
        if error.errno != errno.EBUSY or base != own or base == mount:
            raise CgroupUnavailable(
                f"cgroup v2: cannot enable controllers in {base}: {error}"
            ) from None
        _move_own_processes(own, own / SERVICE_GROUP)
        _write(base / "cgroup.subtree_control", enable)
    return V2Cgroups(base)


def _move_own_processes(source: Path, target: Path) -> None:
    target.mkdir(exist_ok=True)
    for pid in _read(source / "cgroup.procs").split():
        with contextlib.suppress(ProcessLookupError):
            _write(target / "cgroup.procs", pid)


# --- cgroup v1 ---------------------------------------------------------------------------


@frozen
class V1Cgroups:
    bases: tuple[tuple[str, Path], ...]
    """(controller, directory holding the sandboxes' groups) for every V1_CONTROLLERS."""

    @property
    def description(self) -> str:
        return f"cgroup v1 ({', '.join(V1_CONTROLLERS)}) under {dict(self.bases)['memory']}"

    def remove_leftovers(self) -> None:
        _remove_leftovers([base for _, base in self.bases])

    def create(self, limits: CgroupLimits) -> StageCgroup:
        name = f"sandbox-{uuid.uuid4().hex}"
        paths = {controller: base / name for controller, base in self.bases}
        created: list[Path] = []
        group = V1Stage(tuple(paths.items()))
        try:
            for path in paths.values():
                path.mkdir(mode=0o755)
                created.append(path)
            memory = paths["memory"]
            _write(memory / "memory.limit_in_bytes", str(limits.memory_bytes))
            _write_if_present(memory / "memory.memsw.limit_in_bytes", str(limits.memory_bytes))
            _write(paths["pids"] / "pids.max", str(limits.processes))
            _write(paths["cpu"] / "cpu.cfs_period_us", str(CPU_PERIOD_MICROSECONDS))
            _write(paths["cpu"] / "cpu.cfs_quota_us", str(_quota(limits.cpu_cores)))
            _write(paths["cpu"] / "cpu.shares", str(max(2, limits.cpu_weight * 1024 // 100)))
        except OSError:
            _remove_directories(created)
            raise
        return group


@frozen
class V1Stage:
    paths: tuple[tuple[str, Path], ...]

    def _path(self, controller: str) -> Path:
        return dict(self.paths)[controller]

    def attach(self, pid: int) -> None:
        for _, path in self.paths:
            _write(path / "cgroup.procs", str(pid))

    def cpu_seconds(self) -> float:
        return int(_read(self._path("cpuacct") / "cpuacct.usage")) / 1_000_000_000

    def oom_kills(self) -> int:
        return _keyed(self._path("memory") / "memory.oom_control", "oom_kill")

    def remove(self) -> None:
        for pid in _read(self._path("pids") / "cgroup.procs").split():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)
        _remove_directories([path for _, path in self.paths])


def v1_cgroups(
    mounts: dict[str, Path], membership: dict[str, str], configured: str | None
) -> V1Cgroups:
    missing = [name for name in V1_CONTROLLERS if name not in mounts or name not in membership]
    if missing:
        raise CgroupUnavailable(
            f"cgroup v1: the {', '.join(missing)} controller is not mounted"
            if len(missing) == 1
            else f"cgroup v1: the {', '.join(missing)} controllers are not mounted"
        )
    bases = []
    for controller in V1_CONTROLLERS:
        base = mounts[controller] / membership[controller].lstrip("/") / SANDBOXES_GROUP
        try:
            base.mkdir(mode=0o755, exist_ok=True)
        except OSError as error:
            raise CgroupUnavailable(f"cgroup v1: cannot create {base}: {error}") from None
        bases.append((controller, base))
    return V1Cgroups(tuple(bases))


# --- reading the host's cgroup setup -------------------------------------------------------


def cgroup_mounts(mountinfo: str) -> dict[str, Path]:
    """Mount points by controller ("" for the unified v2 hierarchy), from /proc/self/mountinfo."""
    found: dict[str, Path] = {}
    for line in mountinfo.splitlines():
        fields, _, rest = line.partition(" - ")
        parts = rest.split(" ")
        if len(parts) < 3 or len(fields.split()) < 5:
            continue
        kind, options = parts[0], parts[2]
        mount_point = Path(fields.split()[4])
        if kind == "cgroup2":
            found.setdefault("", mount_point)
        elif kind == "cgroup":
            for option in options.split(","):
                found.setdefault(option, mount_point)
    return found


def cgroup_membership(proc_cgroup: str) -> dict[str, str]:
    """A process's cgroup path by controller ("" for v2), from /proc/<pid>/cgroup."""
    found: dict[str, str] = {}
    for line in proc_cgroup.splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(",") if controllers else [""]:
            found[controller] = path
    return found


def _quota(cores: float) -> int:
    return max(1000, round(cores * CPU_PERIOD_MICROSECONDS))


def _remove_directories(paths: list[Path]) -> None:
    """rmdir succeeds once the last process of a group has been released, which may take a
    moment after the sandbox's init died: a group still busy is left to `_LATE_REMOVALS`, so
    that the stage (and the learner waiting for it) does not wait for the kernel's cleanup."""
    busy = [path for path in paths if not _removed(path)]
    if busy:
        _LATE_REMOVALS.add(busy)


def _remove_leftovers(bases: list[Path]) -> None:
    for base in bases:
        for path in base.glob("sandbox-*"):
            with contextlib.suppress(OSError):
                path.rmdir()


def _removed(path: Path) -> bool:
    try:
        path.rmdir()
    except FileNotFoundError:
        return True
    except OSError as error:
        if error.errno != errno.EBUSY:
            raise
        return False
    return True


def _quietly_removed(path: Path) -> bool:
    try:
        return _removed(path)
    except OSError:
        return True


class _LateRemovals:
    """One daemon thread that removes the groups the kernel had not released yet."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[tuple[Path, int]] = []
        self._thread: threading.Thread | None = None
        self._registered = False

    def flush(self, seconds: float = 1.0) -> None:
        """At exit: what is still pending, for up to `seconds`."""
        give_up_at = time.monotonic() + seconds
        while time.monotonic() < give_up_at:
            with self._lock:
                pending = [path for path, _ in self._pending]
            if not pending:
                return
            with self._lock:
                self._pending = [
                    (path, attempts)
                    for path, attempts in self._pending
                    if not _quietly_removed(path)
                ]
            time.sleep(REMOVE_PAUSE_SECONDS)

    def add(self, paths: list[Path]) -> None:
        with self._lock:
            self._pending += [(path, 0) for path in paths]
            if not self._registered:
                atexit.register(self.flush)
                self._registered = True
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="cgroup-removal", daemon=True
                )
                self._thread.start()

    def _loop(self) -> None:
        while True:
            time.sleep(REMOVE_PAUSE_SECONDS)
            with self._lock:
                pending, self._pending = self._pending, []
            still: list[tuple[Path, int]] = []
            for path, attempts in pending:
                try:
                    if not _removed(path) and attempts < REMOVE_ATTEMPTS:
                        still.append((path, attempts + 1))
                except OSError:
                    log.exception("cannot remove the cgroup %s", path)
            with self._lock:
                self._pending += still
                if not self._pending:
                    self._thread = None
                    return


_LATE_REMOVALS = _LateRemovals()


def _read(path: Path) -> str:
    with open(path, encoding="ascii") as file:
        return file.read()


def _write(path: Path, value: str) -> None:
    with open(path, "w", encoding="ascii") as file:
        file.write(value)


def _write_if_present(path: Path, value: str) -> None:
    if path.exists():
        _write(path, value)


def _keyed(path: Path, key: str) -> int:
    """The value of `key` in a flat-keyed cgroup file (`key value` per line); 0 when absent."""
    for line in _read(path).splitlines():
        name, _, value = line.partition(" ")
        if name == key:
            return int(value)
    return 0
