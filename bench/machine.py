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


def busy_cpu_seconds() -> float:
    """CPU time of all cores spent not idle since boot, from /proc/stat: the difference over a
    load, divided by its duration and the core count, says how much of the machine it kept busy
    (this process, the server, the kernel and anything else running)."""
    with open("/proc/stat", encoding="ascii") as stat:
        user, nice, system, _idle, _iowait, irq, softirq = map(int, stat.readline().split()[1:8])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")
