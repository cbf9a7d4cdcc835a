"""The bubblewrap command line of one stage: what the sandbox can see and what it may use.

Visible: the host's /usr (and /bin, /lib... as the symlinks or read-only trees they are), a
synthesized /etc of a few files (no shadow, no host accounts), a private /proc and a minimal /dev,
and whatever a language's `StageView` adds read-only (its toolchain and prebuilt artefacts).
Writable: only the size-capped tmpfs mounts /work, /tmp and /dev/shm (and, while the runner builds
a language's artefacts, the one directory they go to); the root itself is
remounted read-only so nothing else can grow. The program runs as uid/gid 65534 in its own
user, pid, network (loopback only), ipc, uts and cgroup namespaces, with no capabilities, no
way to create further user namespaces, a seccomp filter (`seccomp_filter`), a new session (no
TIOCSTI into a terminal), an empty environment apart from a fixed few variables, and rlimits set
by `prlimit` just before exec.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from pathlib import PurePosixPath

from attrs import frozen

from handyman_core.run_protocol import RunLimits
from handyman_runner.completion import HARNESS_DIR
from handyman_runner.toolchains import SANDBOX_PATH, SYSTEM_TREES

SANDBOX_UID = 65534
SANDBOX_GID = 65534
WORK_DIR = "/work"
HOSTNAME = "sandbox"

ENVIRONMENT = (
    ("PATH", SANDBOX_PATH),
    ("HOME", WORK_DIR),
    ("LANG", "C.UTF-8"),
    ("PYTHONDONTWRITEBYTECODE", "1"),
    ("PYTHONUNBUFFERED", "1"),
)

SYNTHESIZED_ETC = (
    (
        "/etc/passwd",
        b"root:x:0:0:root:/root:/usr/sbin/nologin\n"
        b"nobody:x:65534:65534:nobody:/work:/usr/sbin/nologin\n",
    ),
    ("/etc/group", b"root:x:0:\nnogroup:x:65534:\n"),
    ("/etc/hosts", b"127.0.0.1\tlocalhost sandbox\n::1\tlocalhost ip6-localhost ip6-loopback\n"),
    ("/etc/nsswitch.conf", b"passwd: files\ngroup: files\nhosts: files\n"),
)
"""Name lookups work for the sandbox's own users and loopback names, and reveal nothing of the
host's accounts."""

HOST_ETC_FILES = ("/etc/ld.so.cache", "/etc/alternatives")
"""Read-only from the host: the linker cache and Debian's alternatives symlinks (e.g. `awk`)."""

LOCALTIME_TARGET = "/usr/share/zoneinfo/Etc/UTC"


@frozen
class Bind:
    """A host path shown inside the sandbox at `target`."""

    source: str
    target: str
    writable: bool = False
    """Only for the runner's own artefact builds, never for a learner's run."""


@frozen
class StageView:
    """What a language adds to the standard sandbox: read-only toolchain and artefact
    directories, and environment variables (which override `ENVIRONMENT`'s)."""

    binds: tuple[Bind, ...] = ()
    environment: tuple[tuple[str, str], ...] = ()

    def merged_with(self, other: StageView) -> StageView:
        return StageView(self.binds + other.binds, self.environment + other.environment)


PLAIN = StageView()
"""The standard sandbox, nothing added."""


@frozen
class HostLayout:
    """How this host's system trees are laid out, found once when the runner starts."""

    symlinks: tuple[tuple[str, str], ...]
    """(path, target) for top-level trees that are symlinks (merged /usr)."""
    directories: tuple[str, ...]
    """Top-level trees bound read-only."""
    etc_files: tuple[str, ...]
    prlimit: str

    @classmethod
    def discover(cls, prlimit: str) -> HostLayout:
        symlinks: list[tuple[str, str]] = []
        directories: list[str] = []
        for tree in SYSTEM_TREES:
            if os.path.islink(tree):
                symlinks.append((tree, os.readlink(tree)))
            elif os.path.isdir(tree):
                directories.append(tree)
        etc_files = tuple(path for path in HOST_ETC_FILES if os.path.exists(path))
        return cls(tuple(symlinks), tuple(directories), etc_files, prlimit)


@frozen
class StageFds:
    """File descriptors bwrap reads: its status pipe, the seccomp program, /etc contents and the
    work dir's files."""

    status: int
    seccomp: int
    etc: tuple[tuple[str, int], ...]
    work: tuple[tuple[str, int], ...]
    """(path relative to the work dir, fd)."""
    harness: tuple[tuple[str, int], ...] = ()
    """(absolute path under HARNESS_DIR, fd): the test stage's completion harness."""
    executables: frozenset[str] = frozenset()
    """Work paths that get mode 0755 (compiled programs carried from a build stage)."""


@frozen
class Mounts:
    work_dir_bytes: int
    scratch_bytes: int


def bwrap_argv(
    *,
    bwrap: str,
    layout: HostLayout,
    mounts: Mounts,
    limits: RunLimits,
    fds: StageFds,
    command: Sequence[str],
    view: StageView = PLAIN,
) -> list[str]:
    argv = [
        bwrap,
        "--unshare-all",
        "--unshare-user",
        "--disable-userns",
        "--cap-drop",
        "ALL",
        "--die-with-parent",
        "--new-session",
        "--hostname",
        HOSTNAME,
        "--json-status-fd",
        str(fds.status),
        "--seccomp",
        str(fds.seccomp),
    ]
    for tree in layout.directories:
        argv += ["--ro-bind", tree, tree]
    for path, target in layout.symlinks:
        argv += ["--symlink", target, path]
    argv += ["--proc", "/proc", "--dev", "/dev"]
    argv += _tmpfs("/dev/shm", mounts.scratch_bytes, "1777")
    argv += ["--remount-ro", "/dev"]
    argv += ["--perms", "0755", "--dir", "/etc"]
    for path in layout.etc_files:
        argv += ["--ro-bind", path, path]
    for path, fd in fds.etc:
        argv += ["--perms", "0644", "--ro-bind-data", str(fd), path]
    argv += ["--symlink", LOCALTIME_TARGET, "/etc/localtime"]
    argv += _tmpfs("/tmp", mounts.scratch_bytes, "1777")
    for bind in view.binds:
        argv += ["--bind" if bind.writable else "--ro-bind", bind.source, bind.target]
    argv += _tmpfs(WORK_DIR, mounts.work_dir_bytes, "0755")
    for directory in _work_directories(path for path, _ in fds.work):
        argv += ["--perms", "0755", "--dir", f"{WORK_DIR}/{directory}"]
    for path, fd in fds.work:
        perms = "0755" if path in fds.executables else "0644"
        argv += ["--perms", perms, "--file", str(fd), f"{WORK_DIR}/{path}"]
    if fds.harness:
        argv += ["--perms", "0755", "--dir", HARNESS_DIR]
    for path, fd in fds.harness:
        argv += ["--perms", "0644", "--ro-bind-data", str(fd), path]
    argv += ["--remount-ro", "/", "--chdir", WORK_DIR]
    argv += ["--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_GID), "--clearenv"]
    for name, value in environment(view):
        argv += ["--setenv", name, value]
    argv += ["--", *prlimit_argv(layout.prlimit, limits), *command]
    return argv


def environment(view: StageView) -> list[tuple[str, str]]:
    """`ENVIRONMENT` with the view's variables added or overriding, each name once."""
    merged = dict(ENVIRONMENT)
    merged.update(view.environment)
    return list(merged.items())


def prlimit_argv(prlimit: str, limits: RunLimits) -> list[str]:
    """CPU gets a soft limit (SIGXCPU, which Python does not catch) and a hard limit one second
    later (SIGKILL, for programs that do)."""
    cpu = cpu_soft_limit(limits)
    return [
        prlimit,
        f"--cpu={cpu}:{cpu + 1}",
        f"--as={limits.memory_bytes}",
        f"--nproc={limits.processes}",
        f"--fsize={limits.file_size_bytes}",
        f"--nofile={limits.open_files}",
        "--core=0",
        "--",
    ]


def cpu_soft_limit(limits: RunLimits) -> int:
    return max(1, math.ceil(limits.cpu_seconds))


def _tmpfs(path: str, size: int, perms: str) -> list[str]:
    return ["--perms", perms, "--size", str(size), "--tmpfs", path]


def _work_directories(paths: Iterable[str]) -> list[str]:
    found: set[str] = set()
    for path in paths:
        found.update(str(parent) for parent in PurePosixPath(path).parents if str(parent) != ".")
    return sorted(found, key=lambda directory: (directory.count("/"), directory))
