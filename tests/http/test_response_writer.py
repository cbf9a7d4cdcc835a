"""A response leaves in fewer writes but as the same bytes gunicorn's `Response` sends (its Date
field aside), with the same decision to keep or close the connection and the same refusals."""

from __future__ import annotations

import re
from typing import Any

import pytest
from gunicorn.config import Config
from gunicorn.http import RequestParser
from gunicorn.http.wsgi import Response
from hypothesis import given
from hypothesis import strategies as st

from handyman_http.response_writer import WsgiResponse, http_date

DATE = re.compile(rb"\r\nDate: [^\r]*\r\n")

statuses = st.sampled_from(
    ["200 OK", "201 Created", "204 No Content", "304 Not Modified", "101 Switching Protocols"]
) | st.sampled_from(["404 Not Found", "413 Too Large", "503 Unavailable", "200 ", "299 A\tb"])
header_names = st.sampled_from(
    ["Content-Type", "X-Request-Id", "Content-Length", "content-length", "Connection"]
) | st.sampled_from(["Server", "Date", "Transfer-Encoding", "Upgrade", "Retry-After", "X_Odd"])
header_values = st.sampled_from(
    ["application/json", " padded\t", "upgrade", "websocket", "close", "", "a, b", "\xe9t\xe9"]
)
bodies = st.lists(st.binary(max_size=30), max_size=4)


@st.composite
def responses(draw: st.DrawFn) -> tuple[str, list[tuple[str, str]], list[bytes]]:
    chunks = draw(bodies)
    headers = draw(st.lists(st.tuples(header_names, header_values), max_size=5))
    headers = [
        (name, str(draw(st.sampled_from([sum(map(len, chunks)), 0, 3]))))
        if name.lower() == "content-length"
        else (name, value)
        for name, value in headers
    ]
    return draw(statuses), headers, chunks


requests = st.tuples(
    st.sampled_from(["GET", "POST", "HEAD"]),
    st.sampled_from([(1, 1), (1, 0)]),
    st.sampled_from(["", "Connection: close\r\n", "Connection: keep-alive\r\n"]),
)


class _Collector:
    def __init__(self) -> None:
        self.data = b""
        self.writes = 0

    def sendall(self, data: bytes) -> None:
        self.data += data
        self.writes += 1


def gunicorn_request(method: str, version: tuple[int, int], fields: str) -> Any:
    head = f"{method} /x HTTP/{version[0]}.{version[1]}\r\nHost: h\r\n{fields}\r\n"
    return next(RequestParser(Config(), [head.encode()], ("127.0.0.1", 1)))


def send_with_gunicorn(
    request: Any, drawn: tuple[str, list[tuple[str, str]], list[bytes]], force: bool
) -> tuple[bytes | type[Exception], bool]:
    status, headers, chunks = drawn
    sink = _Collector()
    response = Response(request, sink, Config())
    if force:
        response.force_close()
    try:
        response.start_response(status, headers)
        for chunk in chunks:
            response.write(chunk)
        response.close()
    except Exception as error:
        return type(error), True
    return DATE.sub(b"\r\nDate: -\r\n", sink.data), response.should_close()


def send_with_writer(
    request: Any, drawn: tuple[str, list[tuple[str, str]], list[bytes]], force: bool
) -> tuple[bytes | type[Exception], bool, int]:
    status, headers, chunks = drawn
    sink = _Collector()
    response = WsgiResponse(
        sink.sendall,
        method=request.method,
        version=request.version,
        keep_alive=not request.should_close(),
    )
    if force:
        response.force_close()
    try:
        response.start_response(status, headers)
        for chunk in chunks:
            response.write(chunk)
        response.close()
    except Exception as error:
        return type(error), True, sink.writes
    return DATE.sub(b"\r\nDate: -\r\n", sink.data), response.should_close(), sink.writes


@given(requests, responses(), st.booleans())
def test_a_response_is_the_bytes_gunicorn_sends(
    request: tuple[str, tuple[int, int], str],
    drawn: tuple[str, list[tuple[str, str]], list[bytes]],
    force: bool,
) -> None:
    parsed = gunicorn_request(*request)

    sent, closes, _ = send_with_writer(parsed, drawn, force)

    assert (sent, closes) == send_with_gunicorn(parsed, drawn, force)


@given(requests, st.binary(min_size=1, max_size=200))
def test_a_response_with_one_body_is_one_write(
    request: tuple[str, tuple[int, int], str], body: bytes
) -> None:
    drawn = ("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])

    _, _, writes = send_with_writer(gunicorn_request(*request), (*drawn, [body]), False)

    assert writes == 1


def test_a_field_value_with_a_line_break_is_refused() -> None:
    response = WsgiResponse(lambda _: None, method="GET", version=(1, 1), keep_alive=True)

    with pytest.raises(Exception, match="X-Evil"):
        response.start_response("200 OK", [("X-Evil", "a\r\nSet-Cookie: b")])


def test_the_date_field_is_the_current_http_date() -> None:
    assert re.fullmatch(r"\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT", http_date())
