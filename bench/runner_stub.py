"""A remote runner that answers at once: the original runner's wire format without running
anything, so that `run_task` benchmarks measure Handyman's side of a run (parsing, the run's
records, the runner client, the progress write) and not the sandbox.

It runs as a process of its own (`python -m bench.runner_stub --port N`), so that its CPU time is
not counted as the server's. asyncio with a hand-rolled HTTP/1.1 reader keeps it cheap: it reads
a request line, headers and a `Content-Length` body, checks that the body is a JSON object, and
answers keep-alive with a passing verdict (`status_code` 0). Anything else gets a 4xx, which
`RemoteRunner` treats as no verdict, so a broken exchange shows up as 503s in the benchmark.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence

import requests
from tests.loopback import free_port

from bench.errors import BenchmarkError

PATHS = frozenset({b"/check", b"/playground", b"/practice"})
VERDICT = json.dumps(
    {"status_code": 0, "user_code_output": "stub runner: passed\n", "tests_output": ""}
).encode()
STARTUP_TIMEOUT_S = 20.0
_HEAD_LIMIT = 64 * 1024


def _response(status: str, body: bytes) -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("ascii") + body


_PASSED = _response("200 OK", VERDICT)
_NOT_FOUND = _response("404 Not Found", b'{"error": "no such endpoint"}')
_BAD = _response("400 Bad Request", b'{"error": "the body is not a JSON object"}')


class _Exchange(asyncio.Protocol):
    def __init__(self) -> None:
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while self._answer_one():
            pass

    def _answer_one(self) -> bool:
        transport = self._transport
        assert transport is not None
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self._buffer) > _HEAD_LIMIT:
                transport.close()
            return False
        head = bytes(self._buffer[:end]).split(b"\r\n")
        length = 0
        for line in head[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        if len(self._buffer) < end + 4 + length:
            return False
        body = bytes(self._buffer[end + 4 : end + 4 + length])
        del self._buffer[: end + 4 + length]
        parts = head[0].split()
        if len(parts) != 3 or parts[0] != b"POST" or parts[1] not in PATHS:
            transport.write(_NOT_FOUND)
        elif not _is_json_object(body):
            transport.write(_BAD)
        else:
            transport.write(_PASSED)
        return True


def _is_json_object(body: bytes) -> bool:
    try:
        return isinstance(json.loads(body), dict)
    except ValueError:
        return False


async def _serve(port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(_Exchange, "127.0.0.1", port, backlog=256)
    stopped = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopped.set)
    async with server:
        await stopped.wait()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.runner_stub", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    asyncio.run(_serve(args.port))
    return 0


@contextlib.contextmanager
def stub_runner() -> Iterator[str]:
    """The stub in a child process; yields its base URL and stops it at the end."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.runner_stub", "--port", str(port)],
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_answering(process, url)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_answering(process: subprocess.Popen[bytes], url: str) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while True:
        if process.poll() is not None:
            raise BenchmarkError(f"the stub runner exited with {process.returncode}")
        with contextlib.suppress(requests.RequestException):
            answer = requests.post(f"{url}/check", json={"source_run": ""}, timeout=1)
            if answer.status_code == 200:
                return
        if time.monotonic() > deadline:
            raise BenchmarkError(f"the stub runner did not answer within {STARTUP_TIMEOUT_S:g} s")
        time.sleep(0.05)


if __name__ == "__main__":
    sys.exit(main())
