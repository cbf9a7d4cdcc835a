"""Connections through the worker's fast and gunicorn paths against a real `handyman serve`: kept
alive while the client wants, closed when it or HTTP/1.0 says so, odd requests still answered by
gunicorn's parser, and a graceful stop that answers what is on its way and closes idle ones."""

from __future__ import annotations

import contextlib
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE_COURSES
from tests.http.live_server import LiveServer, running_server, serve_command, server_environment
from tests.loopback import free_port

pytestmark = pytest.mark.slow

COURSES = b"POST /get_courses?user_id=3 HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"


@contextlib.contextmanager
def serving(folder: Path) -> Iterator[LiveServer]:
    folder.mkdir()
    command = serve_command(
        f"sqlite:///{folder / 'handyman.sqlite3'}", free_port(), EXAMPLE_COURSES, "--runner", "none"
    )
    with running_server(command, server_environment(folder / "home", "token"), folder) as server:
        yield server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with serving(tmp_path_factory.mktemp("connections") / "server") as started:
        yield started


def connect(server: LiveServer) -> socket.socket:
    host, port = server.url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=10)


class Answer:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body


def read_answer(client: socket.socket, buffered: bytearray) -> Answer:
    """One response (with a Content-Length) off the connection; what follows stays buffered."""
    while b"\r\n\r\n" not in buffered:
        chunk = client.recv(65536)
        assert chunk, "the server closed the connection before answering"
        buffered += chunk
    head, _, _ = bytes(buffered).partition(b"\r\n\r\n")
    del buffered[: len(head) + 4]
    lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value for name, value in (line.split(": ", 1) for line in lines[1:])}
    length = int(headers["content-length"])
    while len(buffered) < length:
        chunk = client.recv(65536)
        assert chunk, "the server closed the connection in the middle of a body"
        buffered += chunk
    body = bytes(buffered[:length])
    del buffered[:length]
    return Answer(int(lines[0].split()[1]), headers, body)


def closed_by_server(client: socket.socket) -> bool:
    try:
        return client.recv(1) == b""
    except ConnectionResetError:
        return True


def test_requests_on_one_kept_alive_connection_are_all_answered_on_it(server: LiveServer) -> None:
    buffered = bytearray()
    with connect(server) as client:
        for _ in range(30):
            client.sendall(COURSES)
            answer = read_answer(client, buffered)

            assert answer.status == 200
            assert answer.headers["connection"] == "keep-alive"
            assert isinstance(json.loads(answer.body), list)


def test_an_http_1_0_request_is_answered_then_the_connection_closed(server: LiveServer) -> None:
    request = COURSES.replace(b"HTTP/1.1", b"HTTP/1.0")
    with connect(server) as client:
        client.sendall(request)
        answer = read_answer(client, bytearray())

        assert answer.status == 200
        assert answer.headers["connection"] == "close"
        assert closed_by_server(client)


def test_a_client_asking_to_close_gets_its_answer_then_the_connection_closed(
    server: LiveServer,
) -> None:
    with connect(server) as client:
        client.sendall(COURSES.replace(b"Host: x\r\n", b"Host: x\r\nConnection: close\r\n"))
        answer = read_answer(client, bytearray())

        assert answer.status == 200
        assert answer.headers["connection"] == "close"
        assert closed_by_server(client)


def test_a_chunked_body_is_read_by_gunicorn_and_answered(server: LiveServer) -> None:
    request = (
        b"POST /get_courses?user_id=3 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"1\r\n{\r\n1\r\n}\r\n0\r\n\r\n"
    )
    buffered = bytearray()
    with connect(server) as client:
        client.sendall(request + COURSES)

        assert read_answer(client, buffered).status == 200
        assert read_answer(client, buffered).status == 200


def test_a_field_name_with_an_underscore_is_dropped_and_the_request_answered(
    server: LiveServer,
) -> None:
    with connect(server) as client:
        client.sendall(COURSES.replace(b"Host: x\r\n", b"Host: x\r\nX_Odd: 1\r\n"))

        assert read_answer(client, bytearray()).status == 200


def test_a_stopping_worker_answers_the_request_on_its_way_and_closes_idle_connections(
    tmp_path: Path,
) -> None:
    with serving(tmp_path / "stopping") as server, connect(server) as idle:
        with connect(server) as busy:
            idle.sendall(COURSES)
            assert read_answer(idle, bytearray()).status == 200
            busy.sendall(COURSES[:30])
            time.sleep(0.3)
            server.process.send_signal(15)
            time.sleep(0.5)
            busy.sendall(COURSES[30:])
            answer = read_answer(busy, bytearray())

            assert answer.status == 200
            assert answer.headers["connection"] == "close"
            assert closed_by_server(busy)

        started = time.monotonic()
        assert closed_by_server(idle)
        assert time.monotonic() - started < 4.0
        assert server.process.wait(10) == 0
        assert "Traceback" not in server.log()
