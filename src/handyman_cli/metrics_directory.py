"""Where gunicorn's workers keep their Prometheus metrics, so /metrics sums all of them.

prometheus_client decides at import time whether metrics live in memory (one process) or in
files under PROMETHEUS_MULTIPROC_DIR (every worker writes its own, /metrics reads them all). The
directory must therefore be named before anything imports prometheus_client; `handyman serve`
does it in the master, which never imports the application (the workers do, after the fork).
"""

from __future__ import annotations

import importlib
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from pathlib import Path

VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


class MetricsTooLate(RuntimeError):
    """prometheus_client was imported before the metrics directory was set."""


@contextmanager
def metrics_directory(environ: MutableMapping[str, str] = os.environ) -> Iterator[Path]:
    """The operator's PROMETHEUS_MULTIPROC_DIR (created if missing, left in place), else a fresh
    temporary directory that is removed when the server stops."""
    if "prometheus_client" in sys.modules:
        raise MetricsTooLate(
            f"prometheus_client is already imported, so {VARIABLE} would be ignored and /metrics "
            "would show one worker's counts"
        )
    given = environ.get(VARIABLE)
    if given:
        directory = Path(given)
        directory.mkdir(parents=True, exist_ok=True)
        yield directory
        return
    directory = Path(tempfile.mkdtemp(prefix="handyman-metrics-"))
    environ[VARIABLE] = str(directory)
    owner = os.getpid()
    try:
        yield directory
    finally:
        # gunicorn's workers are forked inside this block and leave it by SystemExit too; only
        # the master, which made the directory, removes it.
        if os.getpid() == owner:
            shutil.rmtree(directory, ignore_errors=True)


def forget_worker(pid: int) -> None:
    """gunicorn's child_exit hook: drop a dead worker's live gauges (its counters stay)."""
    multiprocess = importlib.import_module("prometheus_client.multiprocess")
    multiprocess.mark_process_dead(pid)
