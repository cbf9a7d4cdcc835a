"""One stage in one fresh bubblewrap sandbox: start it, feed it its files, read its output under
the byte cap, and end it at the deadline, at the output cap or on a stop request.

Ending a sandbox means SIGKILL to the first process of its pid namespace (bwrap's init, whose
pid bwrap reports on its status fd), through a pidfd so that a recycled pid can never be hit:
when a namespace's init dies the kernel kills everything else in it, whatever it did to
itself (SIGSTOP, `kill(-1, SIGKILL)`, daemonised children, a new session). Until that pid is
known the outer bwrap is killed instead; `--die-with-parent` takes the namespace with it.

Output is one pipe for stdout and stderr, interleaved as a terminal shows them. A setup failure
(bwrap could not build the sandbox or exec the command) is recognised by bwrap never reporting
an exit code, not by parsing its messages.

A build stage's products (`exports`) leave the sandbox as a tar stream that a shell, after the
build command succeeded, writes into an in-memory file the runner reads once the sandbox is
gone; only regular files with exactly the exported names are taken from it.
"""

from __future__ import annotations

import contextlib
import enum
import fcntl
import io
import json
import logging
import os
import selectors
import shlex
import signal
import subprocess
import tarfile
import time
from collections.abc import Callable, Sequence

from attrs import evolve, frozen

from handyman_core.run_protocol import RunLimits
from handyman_runner.bwrap_command import (
    PLAIN,
    SYNTHESIZED_ETC,
    HostLayout,
    Mounts,
    StageFds,
    StageView,
    bwrap_argv,
)
from handyman_runner.completion import HarnessFile
from handyman_runner.run_cgroups import CgroupLimits, SandboxCgroups, StageCgroup
from handyman_runner.run_plan import SandboxFile
from handyman_runner.stop_signal import StopSignal

log = logging.getLogger("handyman.runner.sandbox")

READ_CHUNK = 64 * 1024
KILL_GRACE_SECONDS = 2.0
"""How long a killed sandbox may take to close its pipes and be reaped."""
DIAGNOSTICS_BYTES = 4096
_STATUS_LIMIT = 64 * 1024
SHELL = "/bin/sh"
GATE_SCRIPT = 'read -r gate < "/proc/self/fd/$0" && unset PWD && exec "$@"'
"""Waits for the runner's line on the gate descriptor ($0), then becomes the command."""
CPU_CHECK_SECONDS = 0.1
"""How often a stage's CPU time is read from its cgroup."""
MISSING_EXPORTS = "the build did not leave {paths} behind\n"


class StageEnd(enum.Enum):
    EXITED = "exited"
    WALL_LIMIT = "wall_limit"
    CPU_LIMIT = "cpu_limit"
    """The stage's processes together used its CPU time (measured by its cgroup)."""
    OUTPUT_LIMIT = "output_limit"
    STOPPED = "stopped"
    SETUP_FAILED = "setup_failed"

    @property
    def killed_by_runner(self) -> bool:
        return self in (
            StageEnd.WALL_LIMIT,
            StageEnd.CPU_LIMIT,
            StageEnd.OUTPUT_LIMIT,
            StageEnd.STOPPED,
        )


@frozen
class StageOutcome:
    end: StageEnd
    exit_code: int | None = None
    """The command's exit status as bwrap reports it (128 + n when killed by signal n)."""
    cpu_seconds: float = 0.0
    """User + system time of the whole sandbox, when it ended by itself."""
    diagnostics: str = ""
    """The start of the output, for the service's log when the sandbox failed to start."""
    exported: tuple[SandboxFile, ...] = ()
    """The stage's `exports`, when it exited 0 and left every one of them behind."""
    oom_kills: int | None = None
    """Processes of the stage the kernel's OOM killer killed; None without a cgroup."""


@frozen
class Launcher:
    """How this host starts bwrap; one per runner."""

    bwrap: str
    seccomp_program: bytes
    """The BPF program of `seccomp_filter`, loaded by bwrap before it execs the command."""
    layout: HostLayout
    mounts: Mounts
    host_ids: tuple[int, int] | None
    """(uid, gid) to start bwrap as, or None to keep the service's own."""
    reaps_namespace_init: bool = False
    """True when this process is a child subreaper, so bwrap's init becomes its child."""
    cgroups: SandboxCgroups | None = None
    """Where each stage gets a cgroup of its own; None: rlimits only."""
    cpu_cores: float = 1.0
    """The CPU quota of one stage, in cores."""
    cpu_weight: int = 100
    """The stage's CPU weight against the service's (cgroup v2 scale, 100 normal)."""
    setpriv: str = "setpriv"
    """util-linux's setpriv, which switches to `host_ids` when a stage starts behind a gate."""


def run_stage(
    launcher: Launcher,
    *,
    files: Sequence[SandboxFile],
    command: Sequence[str],
    stdin: bytes | None,
    limits: RunLimits,
    deadline: float,
    write_output: Callable[[bytes], bool],
    stop: StopSignal,
    harness: Sequence[HarnessFile] = (),
    inherited_fds: Sequence[int] = (),
    view: StageView = PLAIN,
    exports: Sequence[str] = (),
    whole_stage_cpu: bool = True,
    address_space_bytes: int | None = None,
) -> StageOutcome:
    """`deadline` is on the `time.monotonic` clock; `write_output` returns False at the cap.
    `harness` files are mounted read-only under HARNESS_DIR; `inherited_fds` stay open in the
    sandbox under their numbers (the caller keeps and closes them). With a cgroup, the stage's
    processes together get `limits.cpu_seconds` when `whole_stage_cpu` (a learner's program),
    each of them when not (a compiler's parallel jobs). `address_space_bytes` replaces
    `limits.memory_bytes` as each process's RLIMIT_AS only (a runtime that reserves more than
    it uses); the stage's memory (its cgroup) stays `limits.memory_bytes`."""
    cgroup = None
    if launcher.cgroups is not None:
        try:
            cgroup = launcher.cgroups.create(_cgroup_limits(launcher, limits))
        except OSError as error:
            return StageOutcome(StageEnd.SETUP_FAILED, diagnostics=f"cannot make a cgroup: {error}")
    try:
        outcome = _run_in_sandbox(
            launcher,
            cgroup,
            files=files,
            command=command,
            stdin=stdin,
            limits=limits
            if address_space_bytes is None
            else evolve(limits, memory_bytes=address_space_bytes),
            deadline=deadline,
            write_output=write_output,
            stop=stop,
            harness=harness,
            inherited_fds=inherited_fds,
            view=view,
            exports=exports,
            cpu_budget=limits.cpu_seconds if whole_stage_cpu else None,
        )
        if cgroup is None or outcome.end is StageEnd.SETUP_FAILED:
            return outcome
        return evolve(outcome, cpu_seconds=cgroup.cpu_seconds(), oom_kills=cgroup.oom_kills())
    finally:
        if cgroup is not None:
            cgroup.remove()


def _cgroup_limits(launcher: Launcher, limits: RunLimits) -> CgroupLimits:
    """Memory: the stage's own plus its tmpfs mounts (their pages are charged to the group);
    processes: the stage's plus bwrap's outer process and its init."""
    mounts = launcher.mounts
    tmpfs = mounts.work_dir_bytes + 2 * mounts.scratch_bytes
    return CgroupLimits(
        memory_bytes=limits.memory_bytes + tmpfs,
        processes=limits.processes + 2,
        cpu_cores=launcher.cpu_cores,
        cpu_weight=launcher.cpu_weight,
    )


def _run_in_sandbox(
    launcher: Launcher,
    cgroup: StageCgroup | None,
    *,
    files: Sequence[SandboxFile],
    command: Sequence[str],
    stdin: bytes | None,
    limits: RunLimits,
    deadline: float,
    write_output: Callable[[bytes], bool],
    stop: StopSignal,
    harness: Sequence[HarnessFile],
    inherited_fds: Sequence[int],
    view: StageView,
    exports: Sequence[str],
    cpu_budget: float | None,
) -> StageOutcome:
    fds = _OwnedFds()
    try:
        seccomp_fd = _sealed_memfd("seccomp", launcher.seccomp_program, fds)
        etc_fds = tuple((path, _sealed_memfd(path, data, fds)) for path, data in SYNTHESIZED_ETC)
        work_fds = tuple((file.path, _sealed_memfd("work", file.data, fds)) for file in files)
        harness_fds = tuple(
            (file.sandbox_path, _sealed_memfd("harness", file.data, fds)) for file in harness
        )
        executables = frozenset(file.path for file in files if file.executable)
        stdin_fd = _sealed_memfd("stdin", stdin, fds) if stdin is not None else None
        export_fd = fds.add(os.memfd_create("exports")) if exports else None
        status_read, status_write = fds.pipe()
        output_read, output_write = fds.pipe()
        argv = bwrap_argv(
            bwrap=launcher.bwrap,
            layout=launcher.layout,
            mounts=launcher.mounts,
            limits=limits,
            fds=StageFds(status_write, seccomp_fd, etc_fds, work_fds, harness_fds, executables),
            command=command if export_fd is None else _exporting(command, exports, export_fd),
            view=view,
        )
        extra_fds: tuple[int, ...] = () if export_fd is None else (export_fd,)
        gate_read, gate_write = fds.pipe() if cgroup is not None else (None, None)
        if gate_read is not None:
            extra_fds += (gate_read,)
        try:
            process = _start_bwrap(
                launcher,
                argv,
                gate=gate_read,
                stdin=subprocess.DEVNULL if stdin_fd is None else stdin_fd,
                output=output_write,
                pass_fds=(
                    status_write,
                    seccomp_fd,
                    *(fd for _, fd in etc_fds + work_fds + harness_fds),
                    *inherited_fds,
                    *extra_fds,
                ),
            )
        except (OSError, ValueError, subprocess.SubprocessError) as error:
            return StageOutcome(StageEnd.SETUP_FAILED, diagnostics=f"cannot start bwrap: {error}")
        fds.close(output_write)
        fds.close(status_write)
        if cgroup is not None and gate_write is not None:
            _attach_and_open(cgroup, process, gate_write, fds)
        supervision = _Supervision(
            process, deadline, write_output, stop, cgroup=cgroup, cpu_budget=cpu_budget
        )
        outcome = supervision.follow(output_read, status_read, launcher.reaps_namespace_init)
        if export_fd is None or outcome.end is not StageEnd.EXITED or outcome.exit_code != 0:
            return outcome
        exported = _read_exports(export_fd, exports, launcher.mounts.work_dir_bytes)
        if exported is None:
            write_output(MISSING_EXPORTS.format(paths=", ".join(exports)).encode())
            return StageOutcome(StageEnd.EXITED, 1, outcome.cpu_seconds, outcome.diagnostics)
        return StageOutcome(StageEnd.EXITED, 0, outcome.cpu_seconds, outcome.diagnostics, exported)
    finally:
        fds.close_all()


def _attach_and_open(
    cgroup: StageCgroup, process: subprocess.Popen[bytes], gate_write: int, fds: _OwnedFds
) -> None:
    try:
        cgroup.attach(process.pid)
    except OSError:
        log.exception("cannot move a sandbox into its cgroup; the stage does not run")
    else:
        os.write(gate_write, b"go\n")
    fds.close(gate_write)


def _exporting(command: Sequence[str], exports: Sequence[str], fd: int) -> list[str]:
    """The command, then (only if it succeeded) the exported paths as a tar stream into `fd`."""
    paths = " ".join(shlex.quote(path) for path in exports)
    missing = shlex.quote(MISSING_EXPORTS.format(paths="%s"))
    script = (
        f'"$@" || exit; for p in {paths}; do test -f "$p" || {{ printf {missing} "$p"; exit 1; }}; '
        f"done; exec tar -cf /proc/self/fd/{fd} -- {paths}"
    )
    return [SHELL, "-c", script, "sh", *command]


def _read_exports(
    fd: int, exports: Sequence[str], max_bytes: int
) -> tuple[SandboxFile, ...] | None:
    """The exported files, or None when one is missing, not a regular file, or the whole
    stream is larger than a work dir."""
    size = os.fstat(fd).st_size
    if size > max_bytes:
        return None
    data = os.pread(fd, size, 0)
    found: dict[str, SandboxFile] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as archive:
            for member in archive:
                if member.name not in exports or not member.isreg():
                    return None
                content = archive.extractfile(member)
                if content is None:
                    return None
                executable = bool(member.mode & 0o100)
                found[member.name] = SandboxFile(member.name, content.read(), executable)
    except (tarfile.TarError, OSError):
        return None
    if set(found) != set(exports):
        return None
    return tuple(found[path] for path in exports)


def _start_bwrap(
    launcher: Launcher,
    argv: list[str],
    *,
    gate: int | None,
    stdin: int,
    output: int,
    pass_fds: tuple[int, ...],
) -> subprocess.Popen[bytes]:
    """With a `gate`, bwrap starts behind a shell that first waits for one line on it, so that
    the runner can move the process into the stage's cgroup before bwrap forks anything (a
    process's children stay where they were born); if the runner closes the gate without a
    line, nothing runs. The shell reads the gate as the service's user, then `setpriv` takes
    the sandbox's host uid."""
    uid, gid = launcher.host_ids if launcher.host_ids is not None else (None, None)
    if gate is not None:
        if uid is not None:
            ids = [f"--reuid={uid}", f"--regid={gid}", "--clear-groups"]
            argv = [launcher.setpriv, *ids, "--", *argv]
        argv = [
            SHELL,
            "-c",
            'read -r gate < "/proc/self/fd/$0" && unset PWD && exec "$@"',
            str(gate),
            *argv,
        ]
        uid = gid = None
    return subprocess.Popen(
        argv,
        stdin=stdin,
        stdout=output,
        stderr=output,
        pass_fds=pass_fds,
        env={},
        cwd="/",
        start_new_session=True,
        user=uid,
        group=gid,
        extra_groups=None if uid is None else [],
    )


class _Supervision:
    """Watches one running sandbox until it ends and is reaped."""

    def __init__(
        self,
        process: subprocess.Popen[bytes],
        deadline: float,
        write_output: Callable[[bytes], bool],
        stop: StopSignal,
        *,
        cgroup: StageCgroup | None = None,
        cpu_budget: float | None = None,
    ) -> None:
        self._process = process
        self._deadline = deadline
        self._write_output = write_output
        self._stop = stop
        self._cgroup = cgroup if cpu_budget is not None else None
        self._cpu_budget = cpu_budget or 0.0
        self._next_cpu_check = 0.0
        self._end: StageEnd | None = None
        self._namespace_init: int | None = None
        self._namespace_init_pid = 0
        self._status = bytearray()
        self._exit_code: int | None = None
        self._diagnostics = bytearray()

    def follow(self, output_read: int, status_read: int, reaps_init: bool) -> StageOutcome:
        """Returns once every process of the sandbox is gone."""
        try:
            self._pump(output_read, status_read)
        finally:
            if self._end is not None or self._exit_code is None:
                self._kill()
            self._reap_outer_bwrap()
            cpu_seconds = self._await_empty_namespace(reaps_init)
        if self._end is not None:
            return StageOutcome(self._end, diagnostics=self._diagnostics_text())
        if self._exit_code is None:
            return StageOutcome(StageEnd.SETUP_FAILED, diagnostics=self._diagnostics_text())
        return StageOutcome(StageEnd.EXITED, self._exit_code, cpu_seconds, self._diagnostics_text())

    def _pump(self, output_read: int, status_read: int) -> None:
        open_pipes = 2
        give_up_at: float | None = None
        with selectors.DefaultSelector() as selector:
            selector.register(output_read, selectors.EVENT_READ, "output")
            selector.register(status_read, selectors.EVENT_READ, "status")
            selector.register(self._stop.fileno(), selectors.EVENT_READ, "stop")
            while open_pipes:
                now = time.monotonic()
                if self._end is None and now >= self._deadline:
                    self._end_with(StageEnd.WALL_LIMIT)
                if self._end is None:
                    self._check_cpu(now)
                if self._end is not None:
                    give_up_at = give_up_at or now + KILL_GRACE_SECONDS
                    if now >= give_up_at:
                        return
                wake_at = give_up_at if give_up_at is not None else self._deadline
                if self._cgroup is not None and self._end is None:
                    wake_at = min(wake_at, self._next_cpu_check)
                timeout = wake_at - now
                for key, _ in selector.select(max(timeout, 0)):
                    if key.data == "stop":
                        selector.unregister(key.fileobj)
                        if self._end is None:
                            self._end_with(StageEnd.STOPPED)
                        continue
                    chunk = os.read(key.fd, READ_CHUNK)
                    if not chunk:
                        selector.unregister(key.fileobj)
                        open_pipes -= 1
                    elif key.data == "status":
                        self._read_status(chunk)
                    elif self._end is None:
                        self._read_output(chunk)

    def _check_cpu(self, now: float) -> None:
        """The whole stage's CPU time, from its cgroup, a few times a second."""
        if self._cgroup is None or now < self._next_cpu_check:
            return
        self._next_cpu_check = now + CPU_CHECK_SECONDS
        try:
            used = self._cgroup.cpu_seconds()
        except OSError:
            return
        if used >= self._cpu_budget:
            self._end_with(StageEnd.CPU_LIMIT)

    def _read_output(self, chunk: bytes) -> None:
        if len(self._diagnostics) < DIAGNOSTICS_BYTES:
            self._diagnostics += chunk[: DIAGNOSTICS_BYTES - len(self._diagnostics)]
        if not self._write_output(chunk):
            self._end_with(StageEnd.OUTPUT_LIMIT)

    def _read_status(self, chunk: bytes) -> None:
        if len(self._status) + len(chunk) > _STATUS_LIMIT:
            return
        self._status += chunk
        *lines, rest = self._status.split(b"\n")
        self._status = bytearray(rest)
        for line in lines:
            try:
                document = json.loads(line)
            except ValueError:
                continue
            if not isinstance(document, dict):
                continue
            if isinstance(document.get("child-pid"), int):
                self._adopt_namespace_init(document["child-pid"])
            if isinstance(document.get("exit-code"), int):
                self._exit_code = document["exit-code"]

    def _adopt_namespace_init(self, pid: int) -> None:
        try:
            pidfd = os.pidfd_open(pid)
        except OSError:
            return
        if _parent_pid(pid) != self._process.pid:
            os.close(pidfd)
            return
        self._namespace_init = pidfd
        self._namespace_init_pid = pid
        if self._end is not None:
            self._kill()

    def _end_with(self, end: StageEnd) -> None:
        self._end = end
        self._kill()

    def _kill(self) -> None:
        if self._namespace_init is not None:
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(self._namespace_init, signal.SIGKILL)
            return
        if self._process.returncode is None:
            os.kill(self._process.pid, signal.SIGKILL)

    def _reap_outer_bwrap(self) -> None:
        """Waits for the outer bwrap, killing it if it lingers after the sandbox ended."""
        pid = self._process.pid
        pidfd = os.pidfd_open(pid)
        try:
            if not _exited(pidfd, KILL_GRACE_SECONDS):
                os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
        finally:
            os.close(pidfd)
        self._process.returncode = os.waitstatus_to_exitcode(status)

    def _await_empty_namespace(self, reaps_init: bool) -> float:
        """Waits until bwrap's init has exited, which the kernel allows only once every other
        process of its namespace is gone, and returns the CPU time of the whole sandbox."""
        pidfd = self._namespace_init
        if pidfd is None:
            return 0.0
        self._namespace_init = None
        try:
            if not _exited(pidfd, KILL_GRACE_SECONDS):
                with contextlib.suppress(ProcessLookupError):
                    signal.pidfd_send_signal(pidfd, signal.SIGKILL)
                _exited(pidfd, KILL_GRACE_SECONDS)
            cpu_seconds = _zombie_cpu_seconds(self._namespace_init_pid)
            if reaps_init:
                with contextlib.suppress(ChildProcessError):
                    os.waitid(os.P_PIDFD, pidfd, os.WEXITED | os.WNOHANG)
        finally:
            os.close(pidfd)
        return cpu_seconds

    def _diagnostics_text(self) -> str:
        return self._diagnostics.decode("utf-8", errors="replace")


def _exited(pidfd: int, timeout: float) -> bool:
    with selectors.DefaultSelector() as selector:
        selector.register(pidfd, selectors.EVENT_READ)
        return bool(selector.select(timeout))


def _zombie_cpu_seconds(pid: int) -> float:
    """utime + stime + cutime + cstime of an exited, not yet reaped process: its own CPU time
    and that of every process it reaped."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    ticks = sum(int(field) for field in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


def _parent_pid(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[1])


def _sealed_memfd(name: str, data: bytes, fds: _OwnedFds) -> int:
    """An immutable in-memory file: bwrap copies it into the sandbox, and nothing inside can
    write back to it even through /proc/self/fd."""
    fd = fds.add(os.memfd_create(name, os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING))
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    seals = fcntl.F_SEAL_SEAL | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_WRITE
    fcntl.fcntl(fd, fcntl.F_ADD_SEALS, seals)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


class _OwnedFds:
    """The descriptors one stage opened; each is closed exactly once."""

    def __init__(self) -> None:
        self._open: list[int] = []

    def add(self, fd: int) -> int:
        self._open.append(fd)
        return fd

    def pipe(self) -> tuple[int, int]:
        read_end, write_end = os.pipe()
        return self.add(read_end), self.add(write_end)

    def close(self, fd: int) -> None:
        self._open.remove(fd)
        os.close(fd)

    def close_all(self) -> None:
        while self._open:
            os.close(self._open.pop())
