"""The machine a report was measured on, in one line: numbers from a busy two-core box and an
idle server differ, and the reader should know which one they are looking at."""

from __future__ import annotations

import os
import platform


def describe_machine() -> str:
    one_minute, _, _ = os.getloadavg()
    return (
        f"{os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average {one_minute:.2f} at the start (other processes share these cores)"
    )
