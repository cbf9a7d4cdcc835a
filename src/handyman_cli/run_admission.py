"""How many runs a worker admits at once, and how many one user may have going.

A run's caller waits for its verdict in a request thread (run_task answers with it), so the
threads of a gthread worker are shared between runs and reads. A worker admits at most its
threads less a reserve, so reads always find a thread however many runs are asked for; a run
beyond that is refused at once with 503 and Retry-After rather than queued behind the others.
"""

from __future__ import annotations

from collections.abc import Mapping

THREADS_VARIABLE = "HANDYMAN_THREADS"
"""Request threads per worker; `handyman serve` sets it from --threads for its workers."""
RUNS_PER_WORKER_VARIABLE = "HANDYMAN_RUNS_PER_WORKER"
RUNS_PER_USER_VARIABLE = "HANDYMAN_RUNS_PER_USER"
DEFAULT_THREADS = 8
DEFAULT_RUNS_PER_USER = 2
MIN_READ_THREADS = 2


def reserved_read_threads(threads: int) -> int:
    return max(MIN_READ_THREADS, threads // 4)


def runs_per_worker(environ: Mapping[str, str]) -> int:
    """HANDYMAN_RUNS_PER_WORKER, else the worker's threads less those reserved for reads."""
    explicit = environ.get(RUNS_PER_WORKER_VARIABLE)
    if explicit:
        return max(1, int(explicit))
    threads = int(environ.get(THREADS_VARIABLE) or DEFAULT_THREADS)
    return max(1, threads - reserved_read_threads(threads))


def runs_per_user(environ: Mapping[str, str]) -> int:
    return max(1, int(environ.get(RUNS_PER_USER_VARIABLE) or DEFAULT_RUNS_PER_USER))
