"""`LocalSandboxRunner`: runs learners' code on this host, each stage in a fresh bubblewrap
sandbox (what the sandbox sees: `bwrap_command`; how a stage is ended: `sandbox_stage`; how an
ending becomes a verdict: `verdicts`). There is no unsandboxed fallback: if bwrap is missing,
too old or cannot build a sandbox here, construction raises `SandboxUnavailable`.

Decisions, and why:
- **Limits per run.** Each stage runs in a cgroup of its own (`run_cgroups`, v2 where the
  service has a delegated subtree, v1 where the host mounts the controllers): memory (its
  limit plus its tmpfs sizes; tmpfs, memfd and kernel memory are charged too), processes and a
  CPU quota are shared by everything the stage runs, its CPU time is counted for the whole
  stage, and an OOM kill in the group is what `memory_limit` means. The rlimits stay as a
  second fence per process. Where no cgroup can be made the runner still starts, but logs an
  error and reports "per process only" (`resource_isolation`, shown by /health); the shipped
  systemd units then bound the whole service with MemoryMax= and TasksMax=.
- **Host uids.** RLIMIT_NPROC is not enforced for the host's root user, and the sandbox's uid
  65534 maps to whoever starts bwrap. So when the service is root, every slot's sandboxes run
  as a host uid of their own (`SandboxConfig.slot_uid_base` + slot), and per-user kernel
  quotas (processes, inotify instances and watches, keys) are never shared between runs going
  at once; the runner's own probes use `SandboxConfig.host_uid`.
- **Disk.** /work, /tmp and /dev/shm are tmpfs mounts with `--size` (bubblewrap >= 0.8.0), and
  RLIMIT_FSIZE caps each file; the root is read-only. An older bwrap is refused rather than
  falling back to a host directory whose total size nothing caps.
- **Time.** Every stage has a wall limit (`stage_limits`): the learner's program and tests get
  the request's `wall_seconds`, or less where the language's original image allowed less; a
  build or type-check stage gets the language's own. The run is bounded by their sum.
  `cpu_seconds` bounds the CPU time of a program stage's processes together (its cgroup), and
  of each process (RLIMIT_CPU); a build stage's parallel jobs are bounded per process.
- **Stages.** Each stage gets a fresh sandbox with only the files it runs, so a stage cannot
  leave anything behind for the next, and the program's stages never see the test wrapper;
  what a build stage declares it produces (`Stage.exports`: the compiled program) and, where a
  language's tests read it, a stage's printed output (`Stage.output_file`) are added to every
  later stage. A stage's exit code comes from bwrap, outside the sandbox, not from anything the
  program can print; a test stage with a completion harness passes only if the harness also
  handed back the stage's nonce (`completion`), so exiting 0 before the checks is a failed test.
- **Concurrency.** `HostSlots`: at most `max_concurrent_runs` sandboxes per host, counted
  across every worker process; a run waits at most `queue_timeout` for a slot, then the runner
  answers busy (`RunnerUnavailable` with `retry_after`).
- **Supervision.** bwrap's `--die-with-parent` is tied to the thread that started it, so each
  run is started and watched by its own thread that lives exactly as long as the run; a caller
  may wait from any thread, and `RunHandle.stop` ends the sandbox within milliseconds. A run
  (and its slot) ends only when every process of its sandbox is gone. Constructing the runner
  makes the process a child subreaper (see `subreaper`): bwrap's namespace init, which the
  outer bwrap does not wait for, is then reaped here rather than left to the host's pid 1.
- **Languages.** One plug-in per language (`handyman_runner.languages`) finds its toolchain on
  the host's system trees or in the operator's toolchain directory, and plans each run. A
  language whose toolchain is missing or too old is `LanguageUnavailable`, a
  `RunnerUnavailable`: the request is fine, this host cannot run it.
- **Seccomp.** Every program runs under `seccomp_filter`'s filter: nothing in the sandbox can
  reach into another of its processes (bwrap's init holds the exit status bwrap reports), and
  foreign syscall ABIs kill the program. Without a usable libseccomp the runner does not start.
- **Not done.** `color` is ignored (the environment is fixed).
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

from attrs import evolve, frozen

from handyman_core.errors import RunnerUnavailable
from handyman_core.run_protocol import (
    Language,
    LanguageSupport,
    RunLimits,
    RunRequest,
    RunResult,
    Verdict,
)
from handyman_runner.bwrap_command import Bind, HostLayout, Mounts, StageView, cpu_soft_limit
from handyman_runner.completion import NOT_COMPLETED_NOTE
from handyman_runner.completion_channel import CompletionChannel
from handyman_runner.host_slots import HeldSlot, HostSlots
from handyman_runner.languages.artefacts import ArtefactPreparation, ArtefactStore, BuildOutcome
from handyman_runner.languages.plugin import ArtefactRecipe, Discovery, HostProbe
from handyman_runner.languages.python import MYPY
from handyman_runner.languages.registry import LanguageTable
from handyman_runner.run_cgroups import (
    CGROUP_VARIABLE,
    CgroupUnavailable,
    SandboxCgroups,
    discover_cgroups,
)
from handyman_runner.run_output import Channel, RunOutput
from handyman_runner.run_plan import RunPlan, SandboxFile, Stage, StageRole
from handyman_runner.sandbox_config import SandboxConfig, effective_limits
from handyman_runner.sandbox_errors import INSTALL_HINT, LanguageUnavailable, SandboxUnavailable
from handyman_runner.sandbox_stage import Launcher, StageEnd, StageOutcome, run_stage
from handyman_runner.seccomp_filter import sandbox_seccomp_program
from handyman_runner.stage_limits import stage_address_space, stage_limits
from handyman_runner.stop_signal import StopSignal
from handyman_runner.subreaper import become_child_subreaper
from handyman_runner.toolchains import SANDBOX_PATH, visible_in_sandbox
from handyman_runner.verdicts import judge_stage

__all__ = [
    "LanguageUnavailable",
    "LocalSandboxRunner",
    "RunHandle",
    "SandboxConfig",
    "SandboxPlace",
    "SandboxUnavailable",
]

log = logging.getLogger("handyman.runner.local")

INTERNAL_ERROR_OUTPUT = "Internal error"
REQUIRED_BWRAP_OPTIONS = ("--size", "--perms", "--disable-userns", "--json-status-fd")
PROBE_SECONDS = 10.0
_PROBE_OUTPUT_BYTES = 64 * 1024
ARTEFACT_OUTPUT_BYTES = 1024 * 1024


@frozen
class _Run:
    plan: RunPlan
    limits: RunLimits
    output: RunOutput
    stop: StopSignal
    slot: HeldSlot


class SandboxPlace:
    """A host slot held for one planned run: started at most once, or released unused."""

    def __init__(
        self, runner: LocalSandboxRunner, plan: RunPlan, limits: RunLimits, slot: HeldSlot
    ) -> None:
        self._runner = runner
        self._plan = plan
        self._limits = limits
        self._slot = slot
        self._lock = threading.Lock()
        self._used = False

    def start(self) -> RunHandle:
        self._take()
        return self._runner._launch(self._plan, self._limits, self._slot)

    def release(self) -> None:
        with self._lock:
            if self._used:
                return
            self._used = True
        self._slot.release()

    def _take(self) -> None:
        with self._lock:
            if self._used:
                raise RunnerUnavailable("this sandbox slot was already used or given back")
            self._used = True


class RunHandle:
    """A run in progress. Thread-safe: any thread may wait, stop or read the output so far."""

    def __init__(self, output: RunOutput, stop: StopSignal) -> None:
        self._output = output
        self._stop = stop
        self._finished = threading.Event()
        self._result: RunResult | None = None
        self._stopped = False

    def wait(self, timeout: float | None = None) -> RunResult:
        """The result; raises TimeoutError if the run is still going after `timeout` seconds."""
        if not self._finished.wait(timeout):
            raise TimeoutError("the run has not finished")
        assert self._result is not None
        return self._result

    def stop(self) -> None:
        """Kills the sandbox (within ~100 ms); the run then ends with whatever it printed."""
        if not self._finished.is_set():
            self._stopped = True
            self._stop.set()

    def output_so_far(self) -> str:
        return self._output.so_far()

    @property
    def done(self) -> bool:
        return self._finished.is_set()

    @property
    def stopped(self) -> bool:
        """True if `stop` was called before the run ended; a run it cut short has the verdict
        RUN_FAILED."""
        return self._stopped

    def _finish(self, result: RunResult) -> None:
        self._result = result
        self._finished.set()


class LocalSandboxRunner:
    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config if config is not None else SandboxConfig()
        bwrap = _usable_bwrap(self.config.bwrap_path)
        host_ids = (self.config.host_uid, self.config.host_gid) if os.geteuid() == 0 else None
        cgroups, self.resource_isolation = _sandbox_cgroups(self.config)
        self._launcher = Launcher(
            bwrap=bwrap,
            seccomp_program=sandbox_seccomp_program(),
            layout=HostLayout.discover(_sandbox_program("prlimit", "util-linux")),
            mounts=Mounts(self.config.work_dir_bytes, self.config.scratch_bytes),
            host_ids=host_ids,
            reaps_namespace_init=become_child_subreaper(),
            cgroups=cgroups,
            cpu_cores=self.config.cpu_cores,
            cpu_weight=self.config.cpu_weight,
            setpriv=_sandbox_program("setpriv", "util-linux") if host_ids and cgroups else "",
        )
        self._languages = LanguageTable.discover(HostProbe(self.config.toolchain_directory))
        self._slots = HostSlots(self.config.slot_directory, self.config.max_concurrent_runs)
        self._probe_sandbox()
        self._artefacts = ArtefactPreparation(
            ArtefactStore(self.config.artefact_directory, host_ids),
            self._languages.artefact_recipes(),
            self._build_artefacts,
            self.config.retry_after_seconds,
        )
        if self.config.prepare_in_background:
            self._artefacts.start_in_background()

    @property
    def available_languages(self) -> frozenset[Language]:
        return frozenset(self._languages.toolchains)

    @property
    def languages(self) -> tuple[Discovery, ...]:
        """Every language the runner knows, with what this host has of it."""
        return self._languages.discoveries

    def language_support(self) -> tuple[LanguageSupport, ...]:
        """Per language, whether a run can start now: its toolchain found and its artefacts
        built."""
        support = []
        for discovery in self._languages.discoveries:
            status = self._artefacts.status(discovery.language)
            detail = discovery.detail
            if discovery.available and status in ("preparing", "failed"):
                detail += f" (artefacts {status})"
            available = discovery.available and status != "failed"
            support.append(LanguageSupport(discovery.language, available, detail))
        return tuple(support)

    def plan(self, request: RunRequest, *, with_artefacts: bool = True) -> RunPlan:
        """What `request` becomes on this host. Raises InvalidInput, LanguageUnavailable, or
        RunnerUnavailable while the language's required artefacts are not ready."""
        toolchain = self._languages.toolchain(request.language)
        artefacts = None
        if with_artefacts:
            artefacts = self._artefacts.path_for(toolchain.language, self.config.queue_timeout)
        return self._languages.plan(request, artefacts, self.config.work_dir_bytes)

    def runs_without_artefacts(self, language: Language) -> bool:
        """True when the language's artefacts (if any) only speed its runs up."""
        return not self._artefacts.required(language)

    def artefact_status(self, language: Language) -> str:
        """`ready`, `not needed`, `preparing` or `failed`."""
        return self._artefacts.status(language)

    def prepare_artefacts(self) -> dict[Language, str | None]:
        """Builds every available language's missing artefacts now; per language, None or the
        build's output when it failed."""
        return self._artefacts.prepare()

    @property
    def type_checker_available(self) -> bool:
        python = self._languages.toolchains.get(Language.PYTHON)
        return python is not None and python.has(MYPY)

    def run(self, request: RunRequest) -> RunResult:
        return self.start(request).wait()

    def start(self, request: RunRequest) -> RunHandle:
        """Checks the request, takes a slot (waiting at most `queue_timeout`) and starts the run.
        Raises InvalidInput, LanguageUnavailable, or RunnerUnavailable when the host is busy."""
        place = self.reserve(request, wait=True)
        assert place is not None
        return place.start()

    def reserve(self, request: RunRequest, *, wait: bool) -> SandboxPlace | None:
        """Checks the request and takes a host slot for it (`StartableRunner`). With `wait` False
        only what is ready now: None when the run would wait, for a slot or for its language's
        required artefacts; with `wait` True each is waited for at most `queue_timeout`, as
        `start` does. Raises InvalidInput, LanguageUnavailable, or RunnerUnavailable."""
        toolchain = self._languages.toolchain(request.language)
        if not wait and not self._artefacts.ready(toolchain.language):
            return None
        plan = self.plan(request)
        limits = effective_limits(request.limits, self.config)
        slot = self._slots.acquire(self.config.queue_timeout if wait else 0.0)
        if slot is None:
            if not wait:
                return None
            raise RunnerUnavailable(
                f"all {self._slots.count} sandboxes of this host are busy",
                retry_after=self.config.retry_after_seconds,
            )
        return SandboxPlace(self, plan, limits, slot)

    def _launch(self, plan: RunPlan, limits: RunLimits, slot: HeldSlot) -> RunHandle:
        """Starts a reserved run on a supervising thread of its own; frees its slot if it
        cannot."""
        output = RunOutput(limits.output_bytes)
        stop = StopSignal()
        handle = RunHandle(output, stop)
        supervisor = threading.Thread(
            target=self._supervise,
            args=(_Run(plan, limits, output, stop, slot), handle),
            name=f"sandbox-run-{slot.index}",
            daemon=True,
        )
        try:
            supervisor.start()
        except RuntimeError:
            slot.release()
            stop.close()
            raise RunnerUnavailable("cannot start a thread for the run") from None
        return handle

    def execute_plan(
        self, plan: RunPlan, limits: RunLimits, maximum: RunLimits | None = None
    ) -> RunResult:
        """Runs a plan as given, in this thread and without a slot: for plans that come from the
        runner itself rather than from a request (artefact builds, tests of the mechanism).
        `maximum` replaces the operator's maxima for the stages' walls."""
        output = RunOutput(limits.output_bytes)
        stop = StopSignal()
        try:
            return self._execute(
                self._launcher,
                plan,
                limits,
                output,
                stop,
                maximum=maximum or self.config.max_limits,
            )
        finally:
            stop.close()

    def _slot_launcher(self, slot: HeldSlot) -> Launcher:
        """Each slot's sandboxes run as a host uid of their own (when the service is root)."""
        if self._launcher.host_ids is None:
            return self._launcher
        uid = self.config.slot_uid_base + slot.index
        return evolve(self._launcher, host_ids=(uid, uid))

    def _build_artefacts(self, recipe: ArtefactRecipe, staging: Path) -> BuildOutcome:
        toolchain = self._languages.toolchain(recipe.language)
        view = toolchain.view.merged_with(
            StageView((Bind(str(staging), recipe.mount_point, writable=True),))
        )
        stages = tuple(
            Stage(
                StageRole.BUILD,
                command,
                recipe.inputs,
                wall_seconds=recipe.wall_seconds,
                build_limits=recipe.limits,
            )
            for command in recipe.commands
        )
        plan = RunPlan(stages, view=view, scratch_bytes=recipe.scratch_bytes)
        limits = effective_limits(RunLimits(output_bytes=ARTEFACT_OUTPUT_BYTES), self.config)
        maximum = evolve(self.config.max_limits, wall_seconds=recipe.wall_seconds)
        result = self.execute_plan(plan, limits, maximum)
        return BuildOutcome(result.verdict is Verdict.PASSED, result.user_code_output)

    def _supervise(self, run: _Run, handle: RunHandle) -> None:
        result = RunResult(Verdict.INTERNAL_ERROR, user_code_output=INTERNAL_ERROR_OUTPUT)
        try:
            launcher = self._slot_launcher(run.slot)
            result = self._execute(
                launcher, run.plan, run.limits, run.output, run.stop, maximum=self.config.max_limits
            )
        except Exception:
            log.exception("the sandboxed run failed in the runner itself")
        finally:
            run.slot.release()
            run.stop.close()
            handle._finish(result)

    def _execute(
        self,
        launcher: Launcher,
        plan: RunPlan,
        limits: RunLimits,
        output: RunOutput,
        stop: StopSignal,
        *,
        maximum: RunLimits,
    ) -> RunResult:
        started = time.monotonic()
        if plan.note:
            output.append(Channel.USER_CODE, plan.note.encode())
        building = launcher
        if plan.scratch_bytes > launcher.mounts.scratch_bytes:
            building = evolve(
                launcher, mounts=evolve(launcher.mounts, scratch_bytes=plan.scratch_bytes)
            )
        carried: list[SandboxFile] = []
        exit_code: int | None = None
        for stage in plan.stages:
            limits_here = stage_limits(stage, limits, maximum)
            printed = _StageOutput(output, stage, self.config.work_dir_bytes)
            completed: bool | None = None
            if stop.is_set():
                outcome = StageOutcome(StageEnd.STOPPED)
            else:
                files = _carried_forward(list(stage.files), tuple(carried))
                outcome, completed = self._run_stage(
                    building if stage.role.compiles else launcher,
                    stage,
                    files=files,
                    limits=limits_here,
                    printed=printed,
                    view=plan.view,
                    stop=stop,
                )
            judged = judge_stage(
                stage.role,
                outcome,
                output.text(stage.role.channel),
                cpu_soft_limit(limits_here),
                completed,
            )
            if judged.cut_short:
                _append_note(output, stage.role.channel, NOT_COMPLETED_NOTE)
            exit_code = judged.exit_code
            if judged.verdict is Verdict.INTERNAL_ERROR:
                log.error("the sandbox did not start: %s", outcome.diagnostics.strip())
                return RunResult(
                    Verdict.INTERNAL_ERROR,
                    user_code_output=INTERNAL_ERROR_OUTPUT,
                    duration_ms=_milliseconds_since(started),
                )
            if judged.verdict is not None:
                return self._result(judged.verdict, output, started, exit_code, judged.signal)
            carried = _carried_forward(carried, outcome.exported)
            if stage.output_file is not None:
                carried = _carried_forward(carried, (SandboxFile(stage.output_file, printed.kept),))
        return self._result(Verdict.PASSED, output, started, exit_code, None)

    @staticmethod
    def _run_stage(
        launcher: Launcher,
        stage: Stage,
        *,
        files: list[SandboxFile],
        limits: RunLimits,
        printed: _StageOutput,
        view: StageView,
        stop: StopSignal,
    ) -> tuple[StageOutcome, bool | None]:
        """The stage's outcome, and for a stage with a completion harness whether it handed
        back its nonce."""
        sandbox = functools.partial(
            run_stage,
            launcher,
            files=files,
            stdin=stage.stdin,
            limits=limits,
            deadline=time.monotonic() + limits.wall_seconds,
            write_output=printed.append,
            stop=stop,
            view=view,
            exports=stage.exports,
            whole_stage_cpu=not stage.role.compiles,
            address_space_bytes=stage_address_space(stage, limits),
        )
        completion = stage.completion
        if completion is None:
            return sandbox(command=stage.argv), None
        channel = CompletionChannel()
        try:
            outcome = sandbox(
                command=completion.command(stage.argv, channel.fds),
                harness=completion.files,
                inherited_fds=(channel.fds.nonce, channel.fds.done),
            )
            return outcome, channel.completed()
        finally:
            channel.close()

    @staticmethod
    def _result(
        verdict: Verdict,
        output: RunOutput,
        started: float,
        exit_code: int | None,
        received_signal: int | None,
    ) -> RunResult:
        return RunResult(
            verdict,
            user_code_output=output.text(Channel.USER_CODE),
            tests_output=output.text(Channel.TESTS),
            exit_code=exit_code,
            signal=received_signal,
            output_truncated=output.truncated,
            duration_ms=_milliseconds_since(started),
        )

    def _probe_sandbox(self) -> None:
        outcome, text = self._probe_run((_sandbox_program("true", "coreutils"),))
        if outcome.end is not StageEnd.EXITED or outcome.exit_code != 0:
            raise SandboxUnavailable(
                "bubblewrap cannot build a sandbox on this host (it needs unprivileged user "
                "namespaces: user.max_user_namespaces > 0, and on Debian/Ubuntu "
                f"kernel.unprivileged_userns_clone=1 or an AppArmor profile for bwrap): "
                f"{(outcome.diagnostics or text).strip() or outcome.end.value}"
            )

    def _probe_run(self, command: tuple[str, ...]) -> tuple[StageOutcome, str]:
        output = RunOutput(_PROBE_OUTPUT_BYTES)
        stop = StopSignal()
        try:
            outcome = run_stage(
                self._launcher,
                files=(),
                command=command,
                stdin=None,
                limits=effective_limits(RunLimits(), self.config),
                deadline=time.monotonic() + PROBE_SECONDS,
                write_output=functools.partial(output.append, Channel.USER_CODE),
                stop=stop,
            )
        finally:
            stop.close()
        return outcome, output.text(Channel.USER_CODE)


class _StageOutput:
    """Passes a stage's output on to its channel, keeping a copy when a later stage reads it."""

    def __init__(self, output: RunOutput, stage: Stage, keep_bytes: int) -> None:
        self._output = output
        self._channel = stage.role.channel
        self._keep = keep_bytes if stage.output_file is not None else 0
        self._kept = bytearray()

    def append(self, data: bytes) -> bool:
        if len(self._kept) < self._keep:
            self._kept += data[: self._keep - len(self._kept)]
        return self._output.append(self._channel, data)

    @property
    def kept(self) -> bytes:
        return bytes(self._kept)


def _carried_forward(
    files: list[SandboxFile], produced: tuple[SandboxFile, ...]
) -> list[SandboxFile]:
    """`files` with `produced` added, each replacing a file of the same path."""
    if not produced:
        return files
    paths = {file.path for file in produced}
    return [file for file in files if file.path not in paths] + list(produced)


def _sandbox_cgroups(config: SandboxConfig) -> tuple[SandboxCgroups | None, str]:
    """The stages' cgroups, and how runs are limited, for the log and /health. Without a
    cgroup the runner still works, but says so loudly: memory, processes and CPU are then
    bounded per process only."""
    if not config.cgroups:
        report = "per process only (rlimits): cgroups are turned off in the configuration"
        log.warning("sandbox limits are %s", report)
        return None, report
    try:
        cgroups = discover_cgroups(config.cgroup_path or os.environ.get(CGROUP_VARIABLE))
    except CgroupUnavailable as error:
        report = (
            f"per process only (rlimits): no cgroup can be created for the sandboxes ({error}); "
            "a run can hold its memory limit in each of its processes and in tmpfs files; run "
            "the service with delegated cgroups (systemd: Delegate=yes) or in a unit with "
            "MemoryMax= and TasksMax="
        )
        log.error("SANDBOX LIMITS ARE NOT PER RUN: %s", report)
        return None, report
    report = f"per run ({cgroups.description})"
    log.info("sandbox limits are %s", report)
    return cgroups, report


def _usable_bwrap(configured: str) -> str:
    path = configured if os.path.isabs(configured) else shutil.which(configured)
    if path is None or not os.access(path, os.X_OK):
        raise SandboxUnavailable(f"bubblewrap ({configured}) is not installed: {INSTALL_HINT}")
    try:
        usage = subprocess.run(
            [path, "--help"], capture_output=True, timeout=10, check=False
        ).stdout.decode(errors="replace")
    except (OSError, subprocess.TimeoutExpired) as error:
        raise SandboxUnavailable(f"cannot run {path}: {error}; {INSTALL_HINT}") from None
    missing = [option for option in REQUIRED_BWRAP_OPTIONS if option not in usage]
    if missing:
        raise SandboxUnavailable(
            f"{path} is too old (no {', '.join(missing)}): bubblewrap 0.8.0 or newer is needed "
            "for size-capped work dirs"
        )
    return path


def _sandbox_program(name: str, package: str) -> str:
    path = shutil.which(name, path=SANDBOX_PATH)
    if path is None or not visible_in_sandbox(path):
        raise SandboxUnavailable(f"{name} is not installed under /usr (install {package})")
    return path


def _append_note(output: RunOutput, channel: Channel, note: str) -> None:
    """On a line of its own after what the stage printed."""
    printed = output.text(channel)
    separator = "\n" if printed and not printed.endswith("\n") else ""
    output.append(channel, (separator + note).encode())


def _milliseconds_since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
