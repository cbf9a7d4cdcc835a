"""How many runs a worker admits at once, how many one user may have going, and how long
ended runs are kept.

A run's caller waits for its verdict in a request thread (run_task answers with it), so the
threads of a gthread worker are shared between runs and reads. A worker admits at most its
threads less a reserve, so reads always find a thread however many runs are asked for; a run
beyond that is refused at once with 503 and Retry-After rather than queued behind the others.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

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


RETENTION_VARIABLE = "HANDYMAN_RUN_RETENTION_DAYS"
DEFAULT_RETENTION_DAYS = 30.0


def run_retention(environ: Mapping[str, str]) -> timedelta | None:
    """HANDYMAN_RUN_RETENTION_DAYS (30 by default); 0 keeps runs for ever."""
    days = float(environ.get(RETENTION_VARIABLE) or DEFAULT_RETENTION_DAYS)
    return timedelta(days=days) if days > 0 else None
