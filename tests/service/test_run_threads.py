"""The threads blocking runs go on (`RunThreads`): a run never waits for one, and a thread
whose run ended serves the next run, or ends after a while without one."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable

from handyman_service.run_handles import RunThreads

WAIT_SECONDS = 5.0


def _until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.005)


def test_a_thread_whose_run_ended_serves_the_next_run() -> None:
    threads = RunThreads()
    served: list[int] = []
    threads.run(lambda: served.append(threading.get_ident()))
    _until(lambda: threads.idle == 1)

    threads.run(lambda: served.append(threading.get_ident()))
    _until(lambda: len(served) == 2)

    assert served[0] == served[1]


def test_runs_going_at_once_each_get_a_thread() -> None:
    threads = RunThreads()
    release = threading.Event()
    started: list[int] = []

    def held() -> None:
        started.append(threading.get_ident())
        release.wait(WAIT_SECONDS)

    for _ in range(3):
        threads.run(held)
    _until(lambda: len(started) == 3)
    release.set()

    assert len(set(started)) == 3


def test_a_thread_without_a_next_run_ends() -> None:
    threads = RunThreads(idle_seconds=0.05)
    threads.run(lambda: None)
    _until(lambda: threads.idle == 1)

    _until(lambda: threads.idle == 0)


class _LateJobs:
    """A job queue on which the idle thread's wait times out just as a run is handed over."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self.waiting = threading.Event()
        self._handed_over = threading.Event()

    def put(self, job: Callable[[], None]) -> None:
        self._jobs.put(job)
        self._handed_over.set()

    def get(self, timeout: float) -> Callable[[], None]:
        self.waiting.set()
        self._handed_over.wait(WAIT_SECONDS)
        raise queue.Empty

    def get_nowait(self) -> Callable[[], None]:
        return self._jobs.get_nowait()


def test_a_run_handed_over_as_the_idle_threads_wait_times_out_still_runs() -> None:
    threads = RunThreads()
    jobs = _LateJobs()
    threads._jobs = jobs  # type: ignore[assignment]
    threads.run(lambda: None)
    assert jobs.waiting.wait(WAIT_SECONDS)

    ran = threading.Event()
    threads.run(ran.set)

    assert ran.wait(WAIT_SECONDS)
    _until(lambda: threads.idle == 0)
