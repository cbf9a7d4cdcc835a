"""`RunTracker`: every execution goes through it, so every execution is a run on record.

One tracker per worker process. The state of a run lives in the run log (the `RunLog` port: the
database), never only in a worker's memory, so any worker of any host can show a run or ask for
it to be stopped. The worker that executes a run supervises it with one "pulse" thread for all
its runs: a run's first pulse comes `first_pulse_seconds` (1 s) after it began, and then one
every `pulse_seconds` (0.5 s); each writes the run's output so far and a heartbeat, reads back
whether a stop was asked for (through any worker), and stops the run if so. A stop asked of the
worker running the run takes effect at once.

Decisions, and why:
- **Who writes the end.** The thread that waits for the run records its end, with a write
  conditional on the run still being active. A stop of a queued run is written by whoever asks
  for it. Whichever write comes first wins; the other changes nothing.
- **Lost workers.** A run whose worker died stays active on record with a heartbeat that no
  longer moves. At start-up a worker fails the runs of dead processes of its own host and every
  run not heard of for `stale_after`; readers and the pulse thread (every `stale_after`) do
  the latter too, so no run stays `running` for ever even where no worker restarts. Heartbeats
  are written with the writer's clock and judged with the reader's, so the hosts' clocks must
  agree to within seconds (NTP).
- **What a run costs the database.** A run that ends within its first second is two writes:
  the INSERT that admits it and the UPDATE that records its end. The INSERT records it
  `running` when the runner has a place for it at once (a free sandbox slot; a runner without
  places always has one), and `queued` only when it must wait, in which case starting it is a
  third write (`mark_running`). Nothing is written while it runs until its first pulse, so its
  output and a stop asked through another worker reach every worker at most a second after
  they happen: a second after the start for what happens in its first second, within a pulse
  afterwards. Runs due within half a pulse of each other share a round (one transaction for
  all of them), so a worker's pulses stay a few a second however many runs it has.
- **Admission.** A run is admitted, or refused at once, before anything waits: at most
  `max_runs_in_flight` runs of this worker at a time (waiting for a sandbox slot or running),
  so that the request threads a run's caller waits in never take the threads reads need
  (503 with Retry-After beyond it), and at most `max_runs_per_user` active runs of one user on
  record across every worker (429 with Retry-After). The user's allowance is the condition of
  the INSERT itself, decided one admission at a time per user (two starts racing cannot both
  take the last place); runs not heard of for `stale_after` do not count, since they are about
  to be failed as orphaned. A refused run is not recorded; every admitted one reaches an end
  state in the run log. A run stopped or failed on record while it waited for its place never
  starts.
- **Concurrency.** Runs started through the API run on a thread each; the runner's own limit
  (the sandbox's host slots) bounds them, and `max_background_runs` bounds them for runners that
  have none (the remote client).
- **Retention.** Ended runs, output and all, are deleted `retention` after they were created
  (30 days by default; None keeps them): at start-up and then hourly, by whichever worker's
  pulse thread comes to it first (it wakes at least once after each run, a second after the
  run began). The attempt log and progress are other tables and are never pruned here.
- **Shutdown.** `shutdown(grace)` refuses new runs, lets the running ones finish until the
  deadline, then stops them and records them `stopped`.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from attrs import define, field

from handyman_core.errors import Conflict, HandymanError, RunnerUnavailable, TooManyRuns
from handyman_core.ports import RunLog
from handyman_core.run_lifecycle import (
    INTERRUPTED,
    STOPPED_AT_SHUTDOWN,
    STOPPED_ON_REQUEST,
    NewRun,
    OutputWrite,
    RunAllowance,
    RunEnding,
    RunFilter,
    RunPage,
    RunRecord,
    RunStatus,
    StopAnswer,
    ending_of_result,
    ending_without_verdict,
    output_write,
    stopped_before_start,
)
from handyman_core.run_protocol import (
    LanguageSupport,
    LimitedRunner,
    ReportsLanguages,
    ReportsResourceIsolation,
    RunControl,
    Runner,
    RunPlace,
    RunRequest,
    RunResult,
    Verdict,
)
from handyman_service.run_handles import Reserve, reserver

log = logging.getLogger("handyman.runs")

DEFAULT_PULSE_SECONDS = 0.5
DEFAULT_FIRST_PULSE_SECONDS = 1.0
"""A run's first pulse comes this long after it began: a run that ends sooner is written twice
(admitted, ended) and never pulsed."""
DEFAULT_STALE_AFTER = timedelta(seconds=30)
DEFAULT_MAX_BACKGROUND_RUNS = 64
DEFAULT_MAX_RUNS_IN_FLIGHT = 64
DEFAULT_MAX_RUNS_PER_USER = 2
DEFAULT_RETENTION = timedelta(days=30)
PRUNE_EVERY_SECONDS = 3600.0
BUSY_RETRY_AFTER_SECONDS = 5
RECORDING_GRACE_SECONDS = 5.0
"""How long a shutdown waits, after stopping the runs left, for their ends to be recorded."""


def default_host_id() -> str:
    """`hostname:pid`: names the worker, and lets a worker of the same host tell whether the
    process that ran a run is still alive."""
    return f"{socket.gethostname()}:{os.getpid()}"


@define
class _ActiveRun:
    run_id: str
    pulse_due: float
    """When (`time.monotonic`) the run's next pulse is due."""
    pulsed: bool = False
    handle: RunControl | None = None
    """None until the run has started (and for good when it ended before it could)."""
    written_output: str = ""
    stop_reason: str | None = None
    """Set before this worker stops the run, to say why."""
    ended_as: RunStatus | None = None
    """How the run ended on record when it ended before it started."""
    ended: threading.Event = field(factory=threading.Event)
    """Set once the run's end is recorded (or it was given up)."""


class RunTracker:
    def __init__(
        self,
        run_log: RunLog,
        runner: Runner | None,
        clock: Callable[[], datetime],
        *,
        host_id: str | None = None,
        pulse_seconds: float = DEFAULT_PULSE_SECONDS,
        first_pulse_seconds: float = DEFAULT_FIRST_PULSE_SECONDS,
        stale_after: timedelta = DEFAULT_STALE_AFTER,
        max_background_runs: int = DEFAULT_MAX_BACKGROUND_RUNS,
        max_runs_in_flight: int = DEFAULT_MAX_RUNS_IN_FLIGHT,
        max_runs_per_user: int = DEFAULT_MAX_RUNS_PER_USER,
        retention: timedelta | None = DEFAULT_RETENTION,
        new_run_id: Callable[[], str] = lambda: uuid.uuid4().hex,
    ) -> None:
        self._log = run_log
        self._runner = runner
        # What the runner can do is decided here, once: an isinstance check against a
        # runtime-checkable Protocol walks its members every time (issue 12's profile found
        # them on every run and every /health).
        self._reserve: Reserve | None = reserver(runner) if runner is not None else None
        self._limited = runner if isinstance(runner, LimitedRunner) else None
        self._isolation = runner if isinstance(runner, ReportsResourceIsolation) else None
        self._languages = runner if isinstance(runner, ReportsLanguages) else None
        self._clock = clock
        self.host_id = host_id if host_id is not None else default_host_id()
        self._pulse_seconds = pulse_seconds
        self._first_pulse_seconds = first_pulse_seconds
        self._stale_after = stale_after
        self._new_run_id = new_run_id
        self._background = threading.BoundedSemaphore(max_background_runs)
        self._in_flight = threading.BoundedSemaphore(max_runs_in_flight)
        self._max_runs_per_user = max_runs_per_user
        self._retention = retention
        self._last_prune = time.monotonic()
        self._lock = threading.Lock()
        self._runs_changed = threading.Condition(self._lock)
        """Wakes the pulse thread when a run registered is due before the thread would wake."""
        self._active: dict[str, _ActiveRun] = {}
        self._pulse_thread: threading.Thread | None = None
        self._pulse_wakes_at: float | None = None
        """When the pulse thread, while it waits, wakes by itself (`time.monotonic`); None while
        it is not waiting. A run registered is due later than that in the usual case (its first
        pulse comes a second after it began), and then the thread is left asleep."""
        self._last_sweep = time.monotonic()
        self._closing = False
        self._shutdown_deadline: float | None = None
        self._stop_everything_because: str | None = None

    # --- running ------------------------------------------------------------------------

    @property
    def has_runner(self) -> bool:
        return self._runner is not None

    @property
    def run_limits(self) -> str | None:
        """How the runner bounds a run, when it says (`ReportsResourceIsolation`)."""
        if self._isolation is not None:
            return self._isolation.resource_isolation
        return None

    def language_support(self) -> tuple[LanguageSupport, ...]:
        """What the runner says it can run; () when it cannot say (a remote runner, or none)."""
        if self._languages is not None:
            return self._languages.language_support()
        return ()

    def execute(self, request: RunRequest, *, owner: int | None, item_id: str | None) -> RunResult:
        """Runs to the end in the calling thread and returns the runner's answer (an internal
        error of the runner included). Raises RunnerUnavailable when there is no runner, when
        the runner gives no answer, and when the run was stopped before it gave one."""
        active = self._begin(request, owner, item_id)
        status, result = self._conclude(active)
        if status is RunStatus.STOPPED:
            raise RunnerUnavailable("the run was stopped")
        if status is RunStatus.FAILED and result.verdict is not Verdict.INTERNAL_ERROR:
            raise RunnerUnavailable("the run was failed: its worker was taken for lost")
        return result

    def submit(self, request: RunRequest, *, owner: int | None) -> str:
        """Starts a run that goes on after the call returns; its id. Raises RunnerUnavailable
        when the runner is absent or busy, and InvalidInput when the runner refuses the
        request."""
        if not self._background.acquire(blocking=False):
            raise RunnerUnavailable(
                "too many runs in progress in this worker", retry_after=BUSY_RETRY_AFTER_SECONDS
            )
        try:
            active = self._begin(request, owner, None)
        except BaseException:
            self._background.release()
            raise
        if active.handle is None:
            self._background.release()
            return active.run_id
        thread = threading.Thread(
            target=self._conclude_in_background,
            args=(active,),
            name=f"run-{active.run_id[:8]}",
            daemon=True,
        )
        try:
            thread.start()
        except RuntimeError:
            self._stop(active, "stopped: no thread could be started to follow the run")
            self._conclude_in_background(active)
        return active.run_id

    def wait_for(self, run_id: str, timeout: float) -> bool:
        """Waits until a run this worker executes has its end recorded; False on timeout. A run
        this worker does not execute (any more) is not waited for."""
        with self._lock:
            active = self._active.get(run_id)
        return True if active is None else active.ended.wait(timeout)

    # --- reading and stopping --------------------------------------------------------------

    def get(self, run_id: str) -> RunRecord | None:
        record = self._read(run_id)
        if record is not None and record.is_orphaned(self._clock(), self._stale_after):
            self._fail_orphaned()
            record = self._read(run_id)
        return record

    def list_runs(self, where: RunFilter, *, offset: int, limit: int) -> RunPage:
        page = self._page(where, offset, limit)
        now = self._clock()
        if any(record.is_orphaned(now, self._stale_after) for record in page.runs):
            self._fail_orphaned()
            page = self._page(where, offset, limit)
        return page

    def stop(self, run_id: str) -> StopAnswer | None:
        """Asks for a run to be stopped; None when there is no such run. A queued run is stopped
        at once; a running one by its worker within about one pulse (at once if it is this
        worker)."""
        answered = self._log.request_stop(run_id, now=self._clock(), reason=STOPPED_ON_REQUEST)
        if answered is None:
            return None
        answer, _ = answered
        with self._lock:
            active = self._active.get(run_id)
        if answer is StopAnswer.REQUESTED and active is not None:
            self._stop(active, STOPPED_ON_REQUEST)
        return answer

    # --- the life of the worker ------------------------------------------------------------

    def recover_interrupted(self) -> int:
        """At start-up: fail the runs whose worker is gone, those of dead processes of this
        host and those not heard of for `stale_after`. Returns how many were failed."""
        hostname, _, _ = self.host_id.rpartition(":")
        dead: set[str] = set()
        if hostname:
            candidates = self._log.active_host_ids(hostname + ":")
            dead = {
                host_id
                for host_id in candidates
                if host_id != self.host_id and not _process_alive(host_id)
            }
        now = self._clock()
        failed = self._log.fail_orphaned(
            heartbeat_before=now - self._stale_after,
            host_ids=dead,
            reason=INTERRUPTED,
            now=now,
        )
        if failed:
            log.warning("%d run(s) interrupted by a restart were marked failed", failed)
        self.prune()
        return failed

    def prune(self) -> int:
        """Deletes the ended runs older than the retention; how many."""
        self._last_prune = time.monotonic()
        if self._retention is None:
            return 0
        pruned = self._log.prune_runs(created_before=self._clock() - self._retention)
        if pruned:
            log.info("%d run(s) older than %s were pruned", pruned, self._retention)
        return pruned

    def shutdown(self, grace_seconds: float) -> None:
        """Refuses new runs, waits up to `grace_seconds` for the running ones to end, then stops
        the rest and records them `stopped`. Safe to call more than once, from several threads:
        the first call's deadline holds for every later one (a SIGTERM starts the grace, the
        exit hook then waits for the same deadline rather than cutting it short)."""
        with self._lock:
            self._closing = True
            running = list(self._active.values())
            if self._shutdown_deadline is None:
                self._shutdown_deadline = time.monotonic() + grace_seconds
            deadline = self._shutdown_deadline
        for active in running:
            active.ended.wait(max(0.0, deadline - time.monotonic()))
        with self._lock:
            self._stop_everything_because = STOPPED_AT_SHUTDOWN
            left = list(self._active.values())
        for active in left:
            self._stop(active, STOPPED_AT_SHUTDOWN)
        recorded_by = time.monotonic() + RECORDING_GRACE_SECONDS
        for active in left:
            active.ended.wait(max(0.0, recorded_by - time.monotonic()))
        for active in left:
            if not active.ended.is_set():
                self._record_end(active, stopped_before_start(STOPPED_AT_SHUTDOWN))
        if left:
            log.warning("%d run(s) were stopped by the shutdown", len(left))

    @property
    def active_run_ids(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._active)

    # --- internals -------------------------------------------------------------------------

    def _begin(self, request: RunRequest, owner: int | None, item_id: str | None) -> _ActiveRun:
        """Admits, records and starts the run. The run comes back without a handle when it
        ended on record before it could start (stopped or failed while it waited)."""
        reserve = self._reserve
        if reserve is None:
            raise RunnerUnavailable("no code runner is configured")
        if self._limited is not None and request.kind not in self._limited.run_kinds:
            raise Conflict(
                f"the configured runner cannot execute {request.kind.value} runs (the original "
                "runner's API, --runner remote, has no endpoint for them); use the local "
                "sandbox runner"
            )
        if self._closing:
            raise RunnerUnavailable(
                "the service is shutting down", retry_after=BUSY_RETRY_AFTER_SECONDS
            )
        if not self._in_flight.acquire(blocking=False):
            raise RunnerUnavailable(
                "every run slot of this worker is taken", retry_after=BUSY_RETRY_AFTER_SECONDS
            )
        try:
            active, place, refusal = self._admit(reserve, request, owner, item_id)
        except BaseException:
            self._in_flight.release()
            raise
        if refusal is not None:
            self._give_up(active, ending_without_verdict(_refusal_detail(refusal)))
            raise refusal
        if place is None:
            place = self._wait_for_place(reserve, request, active)
            if place is None:
                return active
        self._launch(active, place)
        return active

    def _admit(
        self, reserve: Reserve, request: RunRequest, owner: int | None, item_id: str | None
    ) -> tuple[_ActiveRun, RunPlace | None, Exception | None]:
        """Records the run in one write, within its owner's allowance: `running` when the
        runner has a place for it now (the place comes back), `queued` when it must wait for
        one, or when the runner refused it (the refusal comes back, to be recorded as its
        end). Raises TooManyRuns, recording nothing, when the owner has no run left."""
        refusal: Exception | None = None
        try:
            place = reserve(request, wait=False)
        except Exception as error:
            place, refusal = None, error
        status = RunStatus.QUEUED if place is None else RunStatus.RUNNING
        run_id = self._new_run_id()
        run = NewRun(
            run_id, owner, request.language, request.kind, item_id, self.host_id, status=status
        )
        now = self._clock()
        allowance = RunAllowance(self._max_runs_per_user, heard_since=now - self._stale_after)
        try:
            admitted = self._log.create_run(run, now=now, allowance=allowance)
        except BaseException:
            if place is not None:
                place.release()
            raise
        if not admitted:
            if place is not None:
                place.release()
            raise TooManyRuns(
                f"user {owner} already has {self._max_runs_per_user} runs going, as many as "
                "one user may have at once",
                retry_after=BUSY_RETRY_AFTER_SECONDS,
            )
        return self._register(run_id), place, refusal

    def _wait_for_place(
        self, reserve: Reserve, request: RunRequest, active: _ActiveRun
    ) -> RunPlace | None:
        """A queued run waits for its place, then is recorded running. None when it ended on
        record meanwhile (stopped, or failed as orphaned): it never runs."""
        try:
            place = reserve(request, wait=True)
            if place is None:
                raise RunnerUnavailable("the runner gave no place for the run")
        except Exception as error:
            self._give_up(active, ending_without_verdict(_refusal_detail(error)))
            raise
        try:
            started = self._log.mark_running(active.run_id, now=self._clock())
        except BaseException:
            place.release()
            self._give_up(active, stopped_before_start("stopped: the start was not recorded"))
            raise
        if not started:
            place.release()
            self._ended_before_start(active, None)
            return None
        return place

    def _launch(self, active: _ActiveRun, place: RunPlace) -> None:
        """Starts the run in its place, unless it was to be stopped already (then it never
        runs and is recorded stopped)."""
        reason = active.stop_reason or self._stop_everything_because
        if reason is not None:
            place.release()
            self._ended_before_start(active, stopped_before_start(reason))
            return
        try:
            handle = place.start()
        except Exception as error:
            self._give_up(active, ending_without_verdict(_refusal_detail(error)))
            raise
        active.handle = handle
        reason = active.stop_reason or self._stop_everything_because
        if reason is not None:
            self._stop(active, reason)

    def _ended_before_start(self, active: _ActiveRun, ending: RunEnding | None) -> None:
        """Records `ending` for a run that never started (None: its end is on record already),
        and forgets it."""
        try:
            if ending is not None:
                active.ended_as = self._record_end(active, ending)
            else:
                record = self._read(active.run_id)
                active.ended_as = RunStatus.FAILED if record is None else record.status
        finally:
            self._forget(active)

    def _conclude(self, active: _ActiveRun) -> tuple[RunStatus, RunResult]:
        """Waits for the run, records its end and forgets it; the status on record."""
        handle = active.handle
        if handle is None:
            self._forget(active)
            return active.ended_as or RunStatus.FAILED, RunResult(Verdict.RUN_FAILED)
        try:
            try:
                result = handle.wait()
            except HandymanError as error:
                self._record_end(active, ending_without_verdict(error.message))
                raise
            except Exception:
                self._record_end(active, ending_without_verdict("the runner failed"))
                raise
            stopped_because = (active.stop_reason or STOPPED_ON_REQUEST) if handle.stopped else None
            status = self._record_end(
                active, ending_of_result(result, stopped_because=stopped_because)
            )
            return status, result
        finally:
            self._forget(active)

    def _conclude_in_background(self, active: _ActiveRun) -> None:
        try:
            self._conclude(active)
        except HandymanError as error:
            log.info("run %s ended without a verdict: %s", active.run_id, error.message)
        except Exception:
            log.exception("run %s ended without a verdict", active.run_id)
        finally:
            self._background.release()

    def _record_end(self, active: _ActiveRun, ending: RunEnding) -> RunStatus:
        if self._log.finish_run(active.run_id, ending, now=self._clock()):
            return ending.status
        record = self._read(active.run_id)
        return RunStatus.FAILED if record is None else record.status

    def _give_up(self, active: _ActiveRun, ending: RunEnding) -> None:
        try:
            self._record_end(active, ending)
        finally:
            self._forget(active)

    def _stop(self, active: _ActiveRun, reason: str) -> None:
        if active.stop_reason is None:
            active.stop_reason = reason
        if active.handle is not None:
            active.handle.stop()

    def _register(self, run_id: str) -> _ActiveRun:
        active = _ActiveRun(run_id, pulse_due=time.monotonic() + self._first_pulse_seconds)
        with self._lock:
            self._active[run_id] = active
            if self._pulse_thread is None:
                self._pulse_thread = threading.Thread(
                    target=self._pulse_loop, name="run-pulse", daemon=True
                )
                self._pulse_thread.start()
            elif self._pulse_wakes_at is not None and active.pulse_due < self._pulse_wakes_at:
                self._runs_changed.notify()
        return active

    def _forget(self, active: _ActiveRun) -> None:
        with self._lock:
            forgotten = self._active.pop(active.run_id, None)
        if forgotten is not None:
            self._in_flight.release()
        active.ended.set()

    def _pulse_loop(self) -> None:
        """While this worker has runs: pulses each run when it falls due, then fails orphaned
        runs and prunes old ones if that is due (once more after the last run, so that a worker
        whose runs all end within a second still does). While that fails (the database is
        down) the first failure is logged with its traceback, the rest not until it works
        again: a few times a second per worker would otherwise flood the log."""
        failing = False
        while True:
            supervised = self._due_runs()
            try:
                if supervised:
                    self._pulse(supervised)
                self._housekeep()
            except Exception:
                if not failing:
                    log.warning(
                        "could not record the progress of %d run(s); not logged again until it "
                        "works",
                        len(supervised),
                        exc_info=True,
                    )
                failing = True
            else:
                if failing:
                    log.info("recording the progress of runs again")
                    failing = False
            with self._lock:
                if not self._active:
                    self._pulse_thread = None
                    return

    def _due_runs(self) -> list[_ActiveRun]:
        """Waits for the next pulse that falls due and returns the runs it is for; none once no
        run is left. A run already pulsed whose next pulse is due within half a pulse comes
        along, so that a worker's runs share rounds rather than each keeping its own; a first
        pulse never comes early."""
        with self._lock:
            while True:
                if not self._active:
                    return []
                now = time.monotonic()
                wait = min(active.pulse_due for active in self._active.values()) - now
                if wait <= 0:
                    break
                self._pulse_wakes_at = now + wait
                self._runs_changed.wait(wait)
                self._pulse_wakes_at = None
            horizon = now + self._pulse_seconds / 2
            due = [
                active
                for active in self._active.values()
                if active.pulse_due <= now or (active.pulsed and active.pulse_due <= horizon)
            ]
            for active in due:
                active.pulse_due = now + self._pulse_seconds
                active.pulsed = True
            return due

    def _pulse(self, supervised: list[_ActiveRun]) -> None:
        outputs: dict[str, OutputWrite] = {}
        so_far: dict[str, str] = {}
        for active in supervised:
            if active.handle is not None:
                output = active.handle.output_so_far()
                write = output_write(active.written_output, output)
                if write is not None:
                    outputs[active.run_id] = write
                    so_far[active.run_id] = output
        answers = self._log.record_pulse(
            [active.run_id for active in supervised], outputs, now=self._clock()
        )
        for active in supervised:
            if active.run_id in so_far:
                active.written_output = so_far[active.run_id]
            answer = answers.get(active.run_id)
            handle = active.handle
            if handle is not None and not handle.done and (answer is None or answer.should_stop):
                self._stop(active, STOPPED_ON_REQUEST)

    def _housekeep(self) -> None:
        if time.monotonic() - self._last_sweep >= self._stale_after.total_seconds():
            self._last_sweep = time.monotonic()
            self._fail_orphaned()
        if time.monotonic() - self._last_prune >= PRUNE_EVERY_SECONDS:
            self.prune()

    def _fail_orphaned(self) -> None:
        now = self._clock()
        self._log.fail_orphaned(
            heartbeat_before=now - self._stale_after, reason=INTERRUPTED, now=now
        )

    def _read(self, run_id: str) -> RunRecord | None:
        return self._log.get_run(run_id)

    def _page(self, where: RunFilter, offset: int, limit: int) -> RunPage:
        return self._log.list_runs(where, offset=offset, limit=limit)


def _refusal_detail(error: Exception) -> str:
    """What a run the runner would not start is recorded with."""
    if isinstance(error, HandymanError):
        return error.message
    return "the runner failed to start the run"


def _process_alive(host_id: str) -> bool:
    """Whether the process named in `hostname:pid` still exists on this host. Anything that is
    not a plain pid counts as alive: only a heartbeat gone stale fails its runs."""
    _, _, pid_text = host_id.rpartition(":")
    if not pid_text.isdigit() or int(pid_text) <= 0:
        return True
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True
