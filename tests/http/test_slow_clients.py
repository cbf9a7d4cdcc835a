"""Slow, silent and oversized clients against a real `handyman serve` (two workers, four threads
each): they cost the server a socket, not a thread, so normal requests keep being answered; heads
and bodies that do not arrive in time are cut off; protocol errors are answered in JSON."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.conftest import EXAMPLE_COURSES
from tests.http.live_server import LiveServer, running_server, serve_command, server_environment
from tests.loopback import free_port

pytestmark = pytest.mark.slow

HELD_CONNECTIONS = 100
"""More than the 8 threads of the two workers many times over."""


@contextlib.contextmanager
def serving(folder: Path, **environment: str) -> Iterator[LiveServer]:
    folder.mkdir()
    command = serve_command(
        f"sqlite:///{folder / 'handyman.sqlite3'}", free_port(), EXAMPLE_COURSES, "--runner", "none"
    )
    env = {**server_environment(folder / "home", "slow-admin-token"), **environment}
    with running_server(command, env, folder) as server:
        yield server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """On its defaults, as an operator starts it."""
    with serving(tmp_path_factory.mktemp("slow-clients") / "defaults") as started:
        yield started


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """With one-second head and body deadlines, so that the cut-offs show quickly."""
    with serving(
        tmp_path_factory.mktemp("slow-clients") / "strict",
        HANDYMAN_HEAD_TIMEOUT="1",
        HANDYMAN_BODY_TIMEOUT="1",
    ) as started:
        yield started


def connect(server: LiveServer) -> socket.socket:
    host, port = server.url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=10)


@contextlib.contextmanager
def held_connections(
    server: LiveServer, count: int, *, trickle: bytes | None
) -> Iterator[list[socket.socket]]:
    """`count` open connections that send `trickle` a byte every half second (or nothing)."""
    sockets = [connect(server) for _ in range(count)]
    stop = threading.Event()

    def send_slowly() -> None:
        position = 0
        while not stop.wait(0.5) and trickle is not None:
            for held in sockets:
                with contextlib.suppress(OSError):
                    held.send(trickle[position % len(trickle) : position % len(trickle) + 1])
            position += 1

    sender = threading.Thread(target=send_slowly, daemon=True)
    sender.start()
    try:
        yield sockets
    finally:
        stop.set()
        sender.join()
        for held in sockets:
            held.close()


def answer_times(server: LiveServer, count: int) -> list[float]:
    seconds = []
    for _ in range(count):
        started = time.monotonic()
        response = requests.post(
            f"{server.url}/get_courses", params={"user_id": "3"}, json={}, timeout=10
        )
        assert response.status_code == 200, response.text
        seconds.append(time.monotonic() - started)
    return seconds


def exchange(server: LiveServer, data: bytes) -> bytes:
    with connect(server) as client:
        client.sendall(data)
        return receive_all(client)


def receive_all(client: socket.socket) -> bytes:
    received = b""
    while chunk := client.recv(65536):
        received += chunk
    return received


def json_answer(response: bytes) -> tuple[int, dict[str, str], object]:
    head, _, body = response.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, json.loads(body)


def test_normal_requests_are_answered_while_many_clients_send_their_heads_a_byte_at_a_time(
    server: LiveServer,
) -> None:
    slow_head = b"POST /get_courses HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"a" * 10_000
    with held_connections(server, HELD_CONNECTIONS, trickle=slow_head):
        time.sleep(1.0)
        seconds = answer_times(server, 20)

    assert max(seconds) < 1.0


def test_normal_requests_are_answered_while_many_clients_stay_silent(server: LiveServer) -> None:
    with held_connections(server, HELD_CONNECTIONS, trickle=None):
        time.sleep(1.0)
        seconds = answer_times(server, 20)

    assert max(seconds) < 1.0


def test_a_body_that_trickles_is_cut_off_at_the_body_deadline(strict_server: LiveServer) -> None:
    with connect(strict_server) as client:
        client.sendall(b"POST /get_courses HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
        started = time.monotonic()
        with contextlib.suppress(OSError):
            for _ in range(40):
                client.send(b" ")
                time.sleep(0.1)
        response = receive_all(client)
        elapsed = time.monotonic() - started

    status, headers, body = json_answer(response)
    assert status == 408
    assert body == {"error": "The request did not arrive in time"}
    assert headers["X-Request-Id"]
    assert elapsed < 3.5


def test_a_silent_connection_is_closed_at_the_head_deadline(strict_server: LiveServer) -> None:
    with connect(strict_server) as client:
        started = time.monotonic()

        assert receive_all(client) == b""
        assert time.monotonic() - started < 3.5


def test_a_request_line_over_the_limit_is_answered_414_in_json(server: LiveServer) -> None:
    status, headers, body = json_answer(
        exchange(server, b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    )

    assert status == 414
    assert body == {"error": "The request line is too long"}
    assert headers["X-Request-Id"]


def test_a_header_field_over_gunicorns_limit_is_answered_431_in_json(server: LiveServer) -> None:
    request = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n"

    status, headers, body = json_answer(exchange(server, request))

    assert status == 431
    assert body == {"error": "The request header fields are too large"}
    assert headers["X-Request-Id"]


def test_a_head_over_the_buffer_limit_is_answered_431_in_json(server: LiveServer) -> None:
    request = b"GET /health HTTP/1.1\r\n" + b"X-Many: aaaaaaaaaaaaaaaa\r\n" * 5000 + b"\r\n"

    status, _, body = json_answer(exchange(server, request))

    assert status == 431
    assert body == {"error": "The request header fields are too large"}


def test_a_malformed_request_line_is_answered_400_in_json(server: LiveServer) -> None:
    status, headers, body = json_answer(exchange(server, b"NOT HTTP AT ALL\r\n\r\n"))

    assert status == 400
    assert body == {"error": "The request is not valid HTTP/1.1"}
    assert headers["Content-Type"] == "application/json"


def test_pipelined_requests_are_answered_in_order(server: LiveServer) -> None:
    request = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
    last = b"GET /openapi.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"

    response = exchange(server, request + request + last)

    assert response.count(b"HTTP/1.1 200 OK") == 3
    assert response.index(b'"status"') < response.index(b'"openapi"')


def test_a_client_expecting_100_continue_gets_one_and_then_its_answer(server: LiveServer) -> None:
    body = b"{}"
    head = (
        b"POST /get_courses HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Expect: 100-continue\r\nConnection: close\r\nContent-Length: 2\r\n\r\n"
    )
    with connect(server) as client:
        client.sendall(head)
        assert client.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        client.sendall(body)
        response = receive_all(client)

    assert response.startswith(b"HTTP/1.1 200 OK")
    assert b"100 Continue" not in response
