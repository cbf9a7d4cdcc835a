"""`handyman serve` as a child process: started the way an operator starts it, stopped for sure.

The server gets its own session, so a Ctrl-C in the terminal reaches the benchmark, which then
stops the server itself (SIGTERM for gunicorn's graceful stop, SIGKILL to its process group if
that hangs) before the database under it goes away.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import requests
from attrs import field, frozen
from tests.loopback import free_port

from bench.errors import BenchmarkError

STARTUP_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 30.0
TOKEN_VARIABLES = ("HANDYMAN_API_TOKEN", "HANDYMAN_ADMIN_TOKEN")


@frozen
class ServerOptions:
    database_url: str
    courses: Path
    workers: int
    threads: int
    work_directory: Path
    runner: str = "none"
    """`--runner`: "none", "local" for runs in the sandbox, "remote" with `watchman_url`."""
    watchman_url: str | None = None
    handyman: Path | None = None
    """The `handyman` command to start (another install's, for a baseline); default: ours."""
    environment: Mapping[str, str] = field(factory=dict)
    """Variables set for the server beyond this process's own (tokens removed)."""


@frozen
class RunningServer:
    base_url: str
    command: tuple[str, ...]
    log_path: Path
    pid: int
    """gunicorn's master; it leads the process group of its workers."""

    def log_tail(self) -> str:
        """The end of the server's log, for a message about a request it got wrong."""
        return _tail(self.log_path)


@contextlib.contextmanager
def handyman_server(options: ServerOptions) -> Iterator[RunningServer]:
    port = free_port()
    command = (
        *((str(options.handyman),) if options.handyman else _handyman_command()),
        "serve",
        "--database-url",
        options.database_url,
        "--courses",
        str(options.courses),
        "--workers",
        str(options.workers),
        "--threads",
        str(options.threads),
        "--runner",
        options.runner,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    )
    if options.watchman_url:
        command += ("--watchman-url", options.watchman_url)
    metrics = options.work_directory / "prometheus"
    metrics.mkdir()
    environment = {name: value for name, value in os.environ.items() if name not in TOKEN_VARIABLES}
    environment.update(options.environment)
    environment["PROMETHEUS_MULTIPROC_DIR"] = str(metrics)
    log_path = options.work_directory / "handyman-serve.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env=environment, start_new_session=True
        )
    try:
        server = RunningServer(f"http://127.0.0.1:{port}", command, log_path, process.pid)
        _wait_until_healthy(process, server)
        yield server
    finally:
        _stop(process)


def _handyman_command() -> tuple[str, ...]:
    beside_python = Path(sys.executable).with_name("handyman")
    if beside_python.is_file():
        return (str(beside_python),)
    on_path = shutil.which("handyman")
    if on_path is None:
        raise BenchmarkError("the handyman command is not installed: pip install -e .")
    return (on_path,)


def _wait_until_healthy(process: subprocess.Popen[bytes], server: RunningServer) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while True:
        if process.poll() is not None:
            raise BenchmarkError(
                f"handyman serve exited with {process.returncode}:\n{_tail(server.log_path)}"
            )
        with contextlib.suppress(requests.RequestException):
            if requests.get(f"{server.base_url}/health", timeout=2).status_code == 200:
                return
        if time.monotonic() > deadline:
            raise BenchmarkError(
                f"handyman serve was not healthy within {STARTUP_TIMEOUT_S:g} s:\n"
                f"{_tail(server.log_path)}"
            )
        time.sleep(0.2)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Gunicorn's graceful stop; then SIGKILL to the server's process group, which also ends
    a worker the master left behind."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(STOP_TIMEOUT_S)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no server log)"
