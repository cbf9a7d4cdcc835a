"""Faults: what clients see while the database is down or frozen, and while slow or silent clients
hold connections, against `handyman serve` on its own defaults (workers, threads, timeouts).

Outage: clients post `get_courses` (a database read per request) without pause; the database is
stopped (fast shutdown) for a while, started again, then frozen (SIGSTOP of every server process)
for a while and thawed. The report counts answers by status in each window, the slowest answer
while frozen, the seconds from the database's return to the first successful answer, and what
the server logged during the outage.

Slow clients: a probe posts `get_courses` one request after another, first alone, then while
200 connections send their head a byte a second (slowloris), then while 500 connections send
nothing; connections the server closes are opened again at once, as an attacker would. The report
gives the probe's p50 and p99 in each phase.

`python -m bench.faults` (or `nox -s bench-faults`); `--quick` shortens every phase.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import selectors
import socket
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import requests
from attrs import define, field, frozen
from rich.console import Console
from rich.table import Table
from tests.postgres_server import FaultyServer, faulty_postgres_server, find_postgres_binaries

from bench.errors import BenchmarkError
from bench.handyman_server import RunningServer, ServerOptions, handyman_server
from bench.machine import describe_machine
from bench.report_run import run_report
from handyman_cli.serve import default_workers

EXAMPLE_COURSES = Path(__file__).resolve().parent.parent / "examples" / "courses"
CLIENTS = 8
REQUEST_TIMEOUT_S = 30.0
SLOWLORIS = 200
SILENT = 500


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return run_report(
        "bench.faults", "server and database stopped", lambda console: _report(args, console)
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.faults", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short phases, to try it out")
    parser.add_argument("--outage", type=float, default=20.0, help="seconds stopped, and frozen")
    parser.add_argument("--phase", type=float, default=20.0, help="seconds per slow-client phase")
    return parser


def _report(args: argparse.Namespace, console: Console) -> int:
    outage_s = 4.0 if args.quick else args.outage
    phase_s = 4.0 if args.quick else args.phase
    binaries = find_postgres_binaries()
    if binaries is None:
        raise BenchmarkError("no PostgreSQL server binaries: install the postgresql package")
    console.print(f"Machine: {describe_machine()}")
    console.print(
        f"Server: handyman serve on its defaults ({default_workers()} workers x 4 threads)"
    )
    with (
        tempfile.TemporaryDirectory(prefix="handyman-bench-faults-") as work,
        faulty_postgres_server(binaries) as database,
    ):
        options = ServerOptions(
            database_url=database.database_url,
            courses=EXAMPLE_COURSES,
            workers=default_workers(),
            threads=4,
            work_directory=Path(work),
        )
        with handyman_server(options) as server:
            outage = _outage(server, database, outage_s)
            _print_outage(console, outage, outage_s)
            phases = _slow_clients(server, phase_s)
            _print_slow_clients(console, phases)
    return 0


# --- the outage ----------------------------------------------------------------------------


@frozen
class Answer:
    started: float
    ended: float
    status: int
    """0: no answer (timeout or connection error)."""


@define
class Load:
    """Clients posting get_courses back to back, each on its own keep-alive connection."""

    url: str
    answers: list[Answer] = field(factory=list)
    stop: threading.Event = field(factory=threading.Event)
    lock: threading.Lock = field(factory=threading.Lock)

    def client(self, user_id: int) -> None:
        with requests.Session() as session:
            while not self.stop.is_set():
                started = time.monotonic()
                try:
                    status = session.post(
                        f"{self.url}/get_courses",
                        params={"user_id": str(user_id)},
                        json={},
                        timeout=REQUEST_TIMEOUT_S,
                    ).status_code
                except requests.RequestException:
                    status = 0
                with self.lock:
                    self.answers.append(Answer(started, time.monotonic(), status))


@frozen
class Window:
    name: str
    start: float
    end: float


@frozen
class OutageResult:
    windows: list[Window]
    answers: list[Answer]
    recovered_after_s: dict[str, float]
    log_bytes: int
    log_lines: int


def _outage(server: RunningServer, database: FaultyServer, outage_s: float) -> OutageResult:
    load = Load(server.base_url)
    threads = [
        threading.Thread(target=load.client, args=(1000 + number,), daemon=True)
        for number in range(CLIENTS)
    ]
    for thread in threads:
        thread.start()
    log_before = server.log_path.stat().st_size
    windows, back = [], {}
    try:
        time.sleep(3.0)
        started = time.monotonic()
        database.halt()
        time.sleep(outage_s)
        windows.append(Window("stopped", started, time.monotonic()))
        database.resume()
        back["stopped"] = time.monotonic()
        time.sleep(3.0)
        database.freeze()
        # After the freeze returns: it signals the server's processes one after another, and
        # requests answered in those milliseconds were answered by a server not yet frozen.
        started = time.monotonic()
        time.sleep(outage_s)
        windows.append(Window("frozen", started, time.monotonic()))
        database.thaw()
        back["frozen"] = time.monotonic()
        time.sleep(3.0)
    finally:
        database.thaw()
        database.ensure_running()
        load.stop.set()
        for thread in threads:
            thread.join(REQUEST_TIMEOUT_S + 5)
    log = server.log_path.read_bytes()[log_before:]
    recovered = {
        name: min(
            (a.ended for a in load.answers if a.started >= at and a.status == 200),
            default=float("inf"),
        )
        - at
        for name, at in back.items()
    }
    return OutageResult(windows, load.answers, recovered, len(log), log.count(b"\n"))


def _print_outage(console: Console, result: OutageResult, outage_s: float) -> None:
    table = Table(title=f"Database outage under {CLIENTS} clients ({outage_s:g} s each)")
    columns = (
        "window",
        "answered within it, by status",
        "slowest of those",
        "still waiting at the return",
        "back to 200 after",
    )
    for column in columns:
        table.add_column(column)
    for window in result.windows:
        started = [a for a in result.answers if window.start <= a.started < window.end]
        inside = [a for a in started if a.ended <= window.end]
        statuses = collections.Counter(a.status for a in inside)
        slowest = max((a.ended - a.started for a in inside), default=0.0)
        table.add_row(
            window.name,
            ", ".join(f"{status or 'none'}: {count}" for status, count in sorted(statuses.items())),
            f"{slowest:.2f} s",
            str(len(started) - len(inside)),
            f"{result.recovered_after_s[window.name]:.3f} s",
        )
    console.print(table)
    console.print(
        f"Server log during the outage: {result.log_lines} lines, {result.log_bytes} bytes"
    )


# --- slow and silent clients ---------------------------------------------------------------


@define
class Attackers:
    """`count` connections kept open against the server; with `trickle`, each sends one byte of
    an endless request head per second. A connection the server closes is replaced at once."""

    address: tuple[str, int]
    count: int
    trickle: bool
    stop: threading.Event = field(factory=threading.Event)
    reconnects: int = 0

    def run(self) -> None:
        selector = selectors.DefaultSelector()
        sockets: set[socket.socket] = set()
        sent: dict[socket.socket, int] = {}
        head = b"POST /get_courses HTTP/1.1\r\nHost: bench\r\nX-Slow: "
        try:
            while not self.stop.is_set():
                while len(sockets) < self.count:
                    opened = socket.create_connection(self.address, timeout=5)
                    opened.setblocking(False)
                    sockets.add(opened)
                    sent[opened] = 0
                    selector.register(opened, selectors.EVENT_READ)
                for key, _ in selector.select(timeout=1.0):
                    closed = key.fileobj
                    assert isinstance(closed, socket.socket)
                    with contextlib.suppress(OSError):
                        if closed.recv(65536):
                            continue
                    selector.unregister(closed)
                    sockets.discard(closed)
                    closed.close()
                    self.reconnects += 1
                if self.trickle:
                    for held in list(sockets):
                        position = sent[held]
                        byte = head[position : position + 1] or b"a"
                        with contextlib.suppress(OSError):
                            held.send(byte)
                        sent[held] = position + 1
        finally:
            for held in sockets:
                held.close()
            selector.close()


@frozen
class Phase:
    name: str
    latencies: list[float]
    failures: int
    reconnects: int


def _slow_clients(server: RunningServer, phase_s: float) -> list[Phase]:
    host, port = server.base_url.removeprefix("http://").split(":")
    address = (host, int(port))
    phases = [_probe(server, "alone", phase_s, 0)]
    for name, count, trickle in (
        (f"{SLOWLORIS} slowloris", SLOWLORIS, True),
        (f"{SILENT} silent", SILENT, False),
    ):
        with _attacking(Attackers(address, count, trickle)) as attackers:
            time.sleep(2.0)
            phases.append(_probe(server, name, phase_s, 0))
        phases[-1] = Phase(name, phases[-1].latencies, phases[-1].failures, attackers.reconnects)
    return phases


@contextlib.contextmanager
def _attacking(attackers: Attackers) -> Iterator[Attackers]:
    thread = threading.Thread(target=attackers.run, daemon=True)
    thread.start()
    try:
        yield attackers
    finally:
        attackers.stop.set()
        thread.join(30)


def _probe(server: RunningServer, name: str, seconds: float, reconnects: int) -> Phase:
    latencies, failures = [], 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.monotonic()
        try:
            response = requests.post(
                f"{server.base_url}/get_courses",
                params={"user_id": "7"},
                json={},
                timeout=REQUEST_TIMEOUT_S,
            )
            if response.status_code != 200:
                failures += 1
        except requests.RequestException:
            failures += 1
        latencies.append(time.monotonic() - started)
    return Phase(name, latencies, failures, reconnects)


def _print_slow_clients(console: Console, phases: list[Phase]) -> None:
    table = Table(title="Probe (get_courses, one request at a time, new connection each)")
    for column in ("while", "requests", "failed", "p50", "p99", "max", "attacker reconnects"):
        table.add_column(column)
    for phase in phases:
        cuts = statistics.quantiles(phase.latencies, n=100) if len(phase.latencies) > 1 else [0.0]
        table.add_row(
            phase.name,
            str(len(phase.latencies)),
            str(phase.failures),
            f"{cuts[49] * 1000:.1f} ms" if len(cuts) > 49 else "-",
            f"{cuts[98] * 1000:.1f} ms" if len(cuts) > 98 else "-",
            f"{max(phase.latencies) * 1000:.1f} ms",
            str(phase.reconnects),
        )
    console.print(table)


if __name__ == "__main__":
    raise SystemExit(main())
