"""How every benchmark entry point runs: a console sized for terminals and logs alike, SIGTERM
treated like Ctrl-C (so servers and databases are cleaned up on the way out), and a failure
reported as one sentence instead of a traceback."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from types import FrameType

from rich.console import Console

from bench.errors import BenchmarkError

INTERRUPTED = 130


def run_report(
    name: str, cleanup_note: str, work: Callable[[Console], int], *, log_width: int = 150
) -> int:
    """Runs `work` with a console and returns its exit code (1 on a BenchmarkError). Output that
    is not a terminal gets `log_width` columns."""
    console = Console(width=None if sys.stdout.isatty() else log_width)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        return work(console)
    except BenchmarkError as error:
        console.print(f"[bold red]{name}:[/] {error}")
        return 1
    except KeyboardInterrupt:
        console.print(f"[yellow]{name}: interrupted; {cleanup_note}[/]")
        return INTERRUPTED


def _interrupt(_signal: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt
