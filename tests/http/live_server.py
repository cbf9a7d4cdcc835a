"""A real `handyman serve` in a subprocess, a stand-in for the original runner (watchman) on
loopback, and a client that calls the service exactly as the site (scene) does."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests
from attrs import define, field, frozen

STARTUP_TIMEOUT_S = 30.0
SHUTDOWN_TIMEOUT_S = 10.0
PASSED_REPLY: dict[str, object] = {"status_code": 0, "user_code_output": "", "tests_output": ""}


# --- the runner stand-in ---------------------------------------------------------------------


@frozen
class RunnerCall:
    path: str
    body: Any


@define
class FakeWatchman:
    """Answers every POST with the next scripted reply (default: the tests passed) and keeps
    what it was sent. Replies are whatever JSON watchman might send, verdict or not."""

    replies: list[object] = field(factory=list)
    calls: list[RunnerCall] = field(factory=list)
    lock: threading.Lock = field(factory=threading.Lock)
    url: str = ""

    def answer(self, *replies: object) -> None:
        with self.lock:
            self.replies.extend(replies)

    def next_reply(self, call: RunnerCall) -> object:
        with self.lock:
            self.calls.append(call)
            return self.replies.pop(0) if self.replies else PASSED_REPLY


def _handler_for(watchman: FakeWatchman) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"null")
            reply = json.dumps(watchman.next_reply(RunnerCall(self.path, body))).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test reads `calls` instead."""

    return Handler


@contextlib.contextmanager
def fake_watchman() -> Iterator[FakeWatchman]:
    watchman = FakeWatchman()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(watchman))
    watchman.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name="fake-watchman", daemon=True)
    thread.start()
    try:
        yield watchman
    finally:
        server.shutdown()
        server.server_close()
        thread.join(SHUTDOWN_TIMEOUT_S)


# --- the service -----------------------------------------------------------------------------


class ServerFailed(AssertionError):
    """The service did not start or stop as expected; the message carries its log."""


@define
class LiveServer:
    process: subprocess.Popen[bytes]
    url: str
    log_path: Path

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"

    def stop(self) -> tuple[int, float]:
        """SIGTERM, as a process manager stops it: the exit code and the seconds it took."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(SHUTDOWN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise ServerFailed(
                f"no exit {SHUTDOWN_TIMEOUT_S} s after SIGTERM:\n{self.log()}"
            ) from None
        return code, time.monotonic() - started

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def serve_command(database_url: str, port: int, courses: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "handyman_cli.main",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "2",
        "--database-url",
        database_url,
        "--courses",
        str(courses),
        *extra,
    ]


def server_environment(home: Path, admin_token: str) -> dict[str, str]:
    """The test's own environment minus Handyman's settings, plus the admin token. HOME and the
    metrics directory point into the test's temporary folder, so nothing is left behind and
    two servers never share a gunicorn control socket."""
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith("HANDYMAN_")
    }
    metrics = home / "metrics"
    metrics.mkdir(parents=True, exist_ok=True)
    environment.update(
        HOME=str(home),
        HANDYMAN_ADMIN_TOKEN=admin_token,
        PROMETHEUS_MULTIPROC_DIR=str(metrics),
    )
    return environment


@contextlib.contextmanager
def running_server(
    command: list[str], environment: dict[str, str], folder: Path
) -> Iterator[LiveServer]:
    """Starts the service, waits until /health answers, and kills it (and its workers) on the
    way out unless the test already stopped it."""
    port = command[command.index("--port") + 1]
    log_path = folder / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=environment,
            cwd=folder,
            start_new_session=True,
        )
    server = LiveServer(process, f"http://127.0.0.1:{port}", log_path)
    try:
        _wait_until_healthy(server)
        yield server
    finally:
        server.kill()


def _wait_until_healthy(server: LiveServer) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise ServerFailed(f"exited with {server.process.returncode}:\n{server.log()}")
        with contextlib.suppress(requests.RequestException):
            if requests.get(server.url + "/health", timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    raise ServerFailed(f"/health did not answer within {STARTUP_TIMEOUT_S} s:\n{server.log()}")


# --- the site --------------------------------------------------------------------------------


@define
class Site:
    """Calls Handyman as scene's backend does: `requests.post(URL + path, params={"user_id":
    id}, json=body)`, where `None` drops the parameter, and any non-2xx answer reads as `None`.
    Only the internal account endpoints carry the admin token."""

    url: str
    admin_token: str
    last_status: int = 0

    def post(self, path: str, body: dict[str, Any], user_id: int | None = None) -> Any:
        return self._post(path, body, user_id, headers={})

    def post_as_admin(self, path: str, body: dict[str, Any]) -> Any:
        return self._post(path, body, None, headers={"Authorization": f"Bearer {self.admin_token}"})

    def _post(
        self, path: str, body: dict[str, Any], user_id: int | None, headers: dict[str, str]
    ) -> Any:
        response = requests.post(
            self.url + path, params={"user_id": user_id}, json=body, headers=headers, timeout=30
        )
        self.last_status = response.status_code
        if not response.ok:
            return None
        return response.json()
