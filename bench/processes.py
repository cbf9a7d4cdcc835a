"""CPU time and memory of a server's processes, read from /proc.

A server is a process and its descendants: gunicorn's master and the workers it forks, or the
postmaster and its backends (which leave its process group, so the tree is followed by parent
pids). Summing user + system time over the tree before and after a load, and dividing by the
requests answered, gives the server's CPU per request whatever the number of workers.
"""

from __future__ import annotations

import os
from pathlib import Path

from attrs import frozen

_PROC = Path("/proc")
_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


@frozen
class ProcessStat:
    pid: int
    parent: int
    group: int
    cpu_seconds: float
    """User + system time of the process itself (not of children it reaped)."""
    rss_bytes: int


def process_stat(pid: int) -> ProcessStat | None:
    """None when the process is gone."""
    try:
        raw = (_PROC / str(pid) / "stat").read_text()
        statm = (_PROC / str(pid) / "statm").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # The command name (field 2) is in parentheses and may contain spaces: split after it.
    fields = raw[raw.rindex(")") + 2 :].split()
    user, system = int(fields[11]), int(fields[12])
    return ProcessStat(
        pid=pid,
        parent=int(fields[1]),
        group=int(fields[2]),
        cpu_seconds=(user + system) / _TICKS_PER_SECOND,
        rss_bytes=int(statm.split()[1]) * _PAGE_SIZE,
    )


def all_processes() -> list[ProcessStat]:
    processes = []
    for entry in _PROC.iterdir():
        if entry.name.isdigit():
            stat = process_stat(int(entry.name))
            if stat is not None:
                processes.append(stat)
    return processes


def tree(pid: int) -> list[ProcessStat]:
    """`pid` and every live descendant of it."""
    processes = all_processes()
    members = [process for process in processes if process.pid == pid]
    wanted = {pid}
    grew = True
    while grew:
        grew = False
        for process in processes:
            if process.parent in wanted and process.pid not in wanted:
                wanted.add(process.pid)
                members.append(process)
                grew = True
    return members


def tree_cpu_seconds(pid: int) -> float:
    return sum(member.cpu_seconds for member in tree(pid))


def children_of(pid: int) -> list[ProcessStat]:
    """The direct children of `pid` (gunicorn's workers)."""
    return sorted(
        (process for process in all_processes() if process.parent == pid),
        key=lambda process: process.pid,
    )
