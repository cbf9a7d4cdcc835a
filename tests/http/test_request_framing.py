"""The event loop knows where a request ends exactly where gunicorn's parser does, however the
bytes arrive, and refuses or hands over what it cannot buffer safely."""

from __future__ import annotations

import itertools
from typing import Any

from gunicorn.config import Config
from gunicorn.http import RequestParser
from hypothesis import given
from hypothesis import strategies as st

from handyman_http.request_framing import (
    READ_AHEAD,
    FramingLimits,
    Incomplete,
    Refused,
    RequestFramer,
    Whole,
)

LIMITS = FramingLimits(max_request_line=200, max_head=2000, body_limit=1000)

paths = st.text("abcdefghij_/", min_size=1, max_size=30).map(lambda path: "/" + path)
bodies = st.binary(max_size=LIMITS.body_limit)
header_values = st.text("abcdefghijklmnopqrstuvwxyz0123456789 -", max_size=40).map(str.strip)


@st.composite
def requests(draw: st.DrawFn) -> tuple[bytes, bytes]:
    """One request and the body gunicorn should read from it."""
    path = draw(paths)
    body = draw(bodies)
    extra = draw(st.lists(header_values, max_size=5))
    head = [f"POST {path} HTTP/1.1", "Host: example"]
    head += [f"X-Extra-{number}: {value}" for number, value in enumerate(extra)]
    if draw(st.booleans()):
        head.append(f"Content-Length: {len(body)}")
        framed = body
    else:
        head.append("Transfer-Encoding: chunked")
        framed = chunked(body, draw(st.lists(st.integers(1, 300), max_size=20)), draw(trailers))
    return "\r\n".join(head).encode() + b"\r\n\r\n" + framed, body


trailers = st.sampled_from([b"", b"X-Checksum: 1\r\n", b"A: 1\r\nB: 2\r\n"])


def chunked(body: bytes, sizes: list[int], trailer: bytes) -> bytes:
    pieces, position = [], 0
    for size in sizes:
        if position >= len(body):
            break
        pieces.append(body[position : position + size])
        position += size
    if position < len(body):
        pieces.append(body[position:])
    framed = b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces)
    return framed + b"0\r\n" + trailer + b"\r\n"


def splits(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({cut % (len(data) + 1) for cut in cuts} | {0, len(data)})
    return [data[start:end] for start, end in itertools.pairwise(points)]


def feed_all(framer: RequestFramer, pieces: list[bytes]) -> list[Any]:
    return [framer.feed(piece) for piece in pieces]


def gunicorn_reads(request: bytes, size: int = -1) -> tuple[bytes, bytes]:
    """The body gunicorn's parser reads from these bytes, and what it leaves unread."""
    parser = RequestParser(Config(), [request], ("127.0.0.1", 1))
    message = next(parser)
    body = message.body.read(size) if size >= 0 else message.body.read()
    return body, parser.unreader.buf.getvalue()


@given(requests(), requests(), st.lists(st.integers(0, 10_000), max_size=12))
def test_a_request_is_whole_exactly_at_its_last_byte_however_it_arrives(
    first: tuple[bytes, bytes], second: tuple[bytes, bytes], cuts: list[int]
) -> None:
    (request, _body), (pipelined, _) = first, second
    framer = RequestFramer.empty(LIMITS)

    outcomes = feed_all(framer, splits(request, cuts))

    assert all(isinstance(outcome, Incomplete) for outcome in outcomes[:-1])
    assert outcomes[-1] == Whole(len(request))
    framer.feed(pipelined)
    assert framer.take(len(request)) == request
    assert framer.outcome() == Whole(len(pipelined))


@given(requests())
def test_gunicorn_reads_the_whole_body_from_the_framed_bytes_and_nothing_more(
    drawn: tuple[bytes, bytes],
) -> None:
    request, body = drawn
    framer = RequestFramer.empty(LIMITS)
    outcome = framer.feed(request + b"GET /next HTTP/1.1\r\n\r\n")

    assert isinstance(outcome, Whole)
    assert gunicorn_reads(framer.take(outcome.length)) == (body, b"")


def test_a_content_length_over_the_limit_is_handed_over_with_the_head_only() -> None:
    head = b"POST /x HTTP/1.1\r\nContent-Length: 1001\r\n\r\n"

    assert RequestFramer.empty(LIMITS).feed(head + b"{") == Whole(len(head), close_after=True)


@given(st.integers(1, 300))
def test_a_chunked_body_over_the_limit_is_handed_over_with_enough_to_read_past_it(
    chunk_size: int,
) -> None:
    head = b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
    framer = RequestFramer.empty(LIMITS)
    outcome: Any = framer.feed(head)
    piece = b"%x\r\n%s\r\n" % (chunk_size, b"x" * chunk_size)
    while isinstance(outcome, Incomplete):
        outcome = framer.feed(piece)

    assert isinstance(outcome, Whole)
    assert outcome.close_after
    request = framer.take(outcome.length)
    body, _ = gunicorn_reads(request, LIMITS.body_limit + 1)
    assert len(body) == LIMITS.body_limit + 1
    pieces_needed = (LIMITS.body_limit + READ_AHEAD) // chunk_size + 1
    assert len(request) <= len(head) + len(piece) * pieces_needed


def test_a_request_line_over_the_limit_is_refused_before_it_ends() -> None:
    outcome = RequestFramer.empty(LIMITS).feed(b"GET /" + b"a" * 300)

    assert outcome == Refused(414, "The request line is too long")


def test_a_head_over_the_limit_is_refused_before_it_ends() -> None:
    outcome = RequestFramer.empty(LIMITS).feed(b"GET / HTTP/1.1\r\n" + b"X-A: b\r\n" * 400)

    assert isinstance(outcome, Refused)
    assert outcome.status == 431


def test_a_slow_head_arriving_a_byte_at_a_time_stays_incomplete() -> None:
    framer = RequestFramer.empty(LIMITS)
    head = b"GET / HTTP/1.1\r\nHost: example\r\nX-Slow: " + b"a" * 500

    outcomes = {framer.feed(bytes([byte])) for byte in head}

    assert outcomes == {Incomplete(head_complete=False)}


def test_a_client_expecting_100_continue_is_told_once_to_send_its_body() -> None:
    framer = RequestFramer.empty(LIMITS)
    head = b"POST /x HTTP/1.1\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"

    assert framer.feed(head) == Incomplete(head_complete=True, send_continue=True)
    assert framer.feed(b"{") == Incomplete(head_complete=True, send_continue=False)
    assert framer.feed(b'"}\n') == Whole(len(head) + 4)


def test_lengths_the_framer_cannot_trust_are_handed_over_to_be_refused_and_closed() -> None:
    heads = [
        b"POST /x HTTP/1.1\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\n",
        b"POST /x HTTP/1.1\r\nContent-Length: +4\r\n\r\n",
        b"POST /x HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
        b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n",
    ]
    for head in heads:
        assert RequestFramer.empty(LIMITS).feed(head) == Whole(len(head), close_after=True)


def test_a_malformed_chunk_size_is_handed_over_to_be_refused_and_closed() -> None:
    request = b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"

    outcome = RequestFramer.empty(LIMITS).feed(request)

    assert outcome == Whole(len(request), close_after=True)
