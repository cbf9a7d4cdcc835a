"""Repeated timings, summarised the way the reports print them.

The median is the headline because one slow repetition (a checkpoint, a cold cache, the other
benchmark process on these two cores) says little about the code; the fastest, p90 and slowest
repetitions stay visible so the spread does too.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import TypeVar

from attrs import frozen

_T = TypeVar("_T")


@frozen
class Timings:
    seconds: tuple[float, ...]

    @property
    def count(self) -> int:
        return len(self.seconds)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def p90(self) -> float:
        if len(self.seconds) < 2:
            return self.seconds[0]
        return statistics.quantiles(self.seconds, n=10, method="inclusive")[8]

    @property
    def p99(self) -> float:
        if len(self.seconds) < 2:
            return self.seconds[0]
        return statistics.quantiles(self.seconds, n=100, method="inclusive")[98]

    @property
    def fastest(self) -> float:
        return min(self.seconds)

    @property
    def slowest(self) -> float:
        return max(self.seconds)


def timed(call: Callable[[], _T]) -> tuple[_T, float]:
    """The call's result and its wall-clock duration in seconds."""
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started


def format_seconds(seconds: float) -> str:
    """Three significant digits in the unit that keeps the number readable."""
    if seconds >= 1:
        return f"{seconds:.3g} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds * 1e6:.3g} µs"
