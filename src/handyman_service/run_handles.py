"""A run in progress, whatever runner executes it.

The local sandbox takes a place for a run (a host slot) and then starts it, handing back a handle
that can be read and stopped while it runs (`LocalSandboxRunner.reserve`: a `StartableRunner`).
A runner that can only `run` to the end (the remote client, test doubles) needs no place: its
run starts at once on a thread of its own behind the same interface; stopping such a run
abandons it: the remote host goes on to its own time limit, and its answer is ignored.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Protocol

from attrs import frozen

from handyman_core.errors import RunnerUnavailable
from handyman_core.run_protocol import (
    RunControl,
    Runner,
    RunPlace,
    RunRequest,
    RunResult,
    StartableRunner,
    Verdict,
)


class Reserve(Protocol):
    """Takes a place to start a run in (see `StartableRunner.reserve`): None when `wait` is
    False and the run would have to wait. Raises what the runner refuses the request with."""

    def __call__(self, request: RunRequest, *, wait: bool) -> RunPlace | None: ...


def reserver(runner: Runner) -> Reserve:
    """How places for `runner`'s runs are taken, decided once for the runner: an isinstance
    check against a runtime-checkable Protocol walks the protocol's members each time, and
    issue 12's profile found it on every run."""
    if isinstance(runner, StartableRunner):
        return runner.reserve
    return _OwnThreads(runner)


@frozen
class _OwnThreads:
    """Places for a runner that can only `run` to the end: each run gets a thread."""

    runner: Runner

    def __call__(self, request: RunRequest, *, wait: bool) -> RunPlace:
        return _OwnThread(self.runner, request)


@frozen
class _OwnThread:
    """The place of a run that only needs a thread: always free."""

    runner: Runner
    request: RunRequest

    def start(self) -> RunControl:
        return AbandonableRun.begin(self.runner, self.request)

    def release(self) -> None:
        pass


class AbandonableRun:
    """A blocking `Runner.run` on its own thread. Its output is known only at the end."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._settled = threading.Event()
        self._result: RunResult | None = None
        self._error: Exception | None = None
        self._stopped = False

    @classmethod
    def begin(cls, runner: Runner, request: RunRequest) -> AbandonableRun:
        run = cls()
        try:
            _RUN_THREADS.run(lambda: run._execute(runner, request))
        except RuntimeError:
            raise RunnerUnavailable("cannot start a thread for the run") from None
        return run

    def wait(self, timeout: float | None = None) -> RunResult:
        if not self._settled.wait(timeout):
            raise TimeoutError("the run has not finished")
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result

    def stop(self) -> None:
        with self._lock:
            if self._settled.is_set():
                return
            self._stopped = True
            self._result = RunResult(Verdict.RUN_FAILED)
            self._settled.set()

    def output_so_far(self) -> str:
        with self._lock:
            return "" if self._result is None else self._result.user_code_output

    @property
    def done(self) -> bool:
        return self._settled.is_set()

    @property
    def stopped(self) -> bool:
        return self._stopped

    def _execute(self, runner: Runner, request: RunRequest) -> None:
        try:
            result = runner.run(request)
        except Exception as error:
            self._settle(None, error)
        else:
            self._settle(result, None)

    def _settle(self, result: RunResult | None, error: Exception | None) -> None:
        with self._lock:
            if self._settled.is_set():
                return
            self._result = result
            self._error = error
            self._settled.set()


class RunThreads:
    """Threads for blocking runs. A thread whose run has ended waits up to `idle_seconds` for
    the next one before it ends: starting a thread per run (and waiting for it to start) was
    4 % of run_task's worker CPU with a remote runner. A run never waits for a thread: with
    none idle, one is started."""

    def __init__(self, idle_seconds: float = 30.0) -> None:
        self._jobs: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle = 0
        """Threads waiting for a job, less the jobs already handed to them."""
        self._idle_seconds = idle_seconds

    @property
    def idle(self) -> int:
        with self._lock:
            return self._idle

    def run(self, job: Callable[[], None]) -> None:
        """Runs `job` on a thread of its own; RuntimeError when no thread can be started.
        `job` must not raise."""
        with self._lock:
            if self._idle > 0:
                self._idle -= 1
                self._jobs.put(job)
                return
        threading.Thread(target=self._serve, args=(job,), name="blocking-run", daemon=True).start()

    def _serve(self, job: Callable[[], None]) -> None:
        while True:
            job()
            del job  # the ended run is not kept alive by a thread waiting for the next one
            with self._lock:
                self._idle += 1
            try:
                job = self._jobs.get(timeout=self._idle_seconds)
            except queue.Empty:
                # A job handed over after the wait timed out is in the queue already (it is
                # put under the lock): take it, or end as one idle thread fewer.
                with self._lock:
                    try:
                        job = self._jobs.get_nowait()
                    except queue.Empty:
                        self._idle -= 1
                        return


_RUN_THREADS = RunThreads()
