"""The fast head reading changes what a request costs, never what it means: whatever head it
accepts, gunicorn's parser accepts too and builds the same WSGI environ from it; what it declines
goes to gunicorn's parser; and the plain heads clients send are accepted."""

from __future__ import annotations

import socket
from typing import Any

from gunicorn.config import Config
from gunicorn.http import RequestParser
from gunicorn.http import wsgi as gunicorn_wsgi
from hypothesis import event, example, given
from hypothesis import strategies as st

from handyman_http.request_head import HeadLimits, HeadReader, PlainHead, declined_names
from handyman_http.wsgi_environ import connection_environ, request_environ, worker_environ

CFG = Config()
CFG.set("limit_request_fields", 12)
CFG.set("limit_request_field_size", 120)
LIMITS = HeadLimits(
    field_size=CFG.limit_request_field_size,
    fields=CFG.limit_request_fields,
    declined_names=declined_names(CFG.secure_scheme_headers),
)
SERVER = ("127.0.0.1", 8000)
OBJECTS = {"wsgi.input", "wsgi.errors", "wsgi.file_wrapper", "gunicorn.socket", "wsgi.early_hints"}
"""Objects rather than values: compared by what they give (the body) or not at all."""

methods = st.sampled_from(
    [b"GET", b"POST", b"HEAD", b"PUT", b"DELETE", b"PATCH", b"OPTIONS", b"CONNECT", b"get"]
) | st.sampled_from([b"FOO", b"G#T", b"", b"ABCDEFGHIJKLMNOPQRSTUVW"])
target_bytes = st.lists(
    st.sampled_from([b"a", b"Z", b"9", b"/", b"?", b"%20", b"%zz", b"%C3%A9", b"#", b":", b";"])
    | st.sampled_from([b"=", b"&", b"~", b"+", b"_", b".", b" ", b"\x7f", b"\xe9", b"\t", b"\x00"]),
    max_size=12,
).map(b"".join)
targets = (
    target_bytes.map(lambda rest: b"/" + rest)
    | target_bytes
    | st.sampled_from([b"*", b"//double", b"http://host/x", b"host:80", b"/", b"/?", b"/a?b?c"])
)
versions = st.sampled_from(
    [b"HTTP/1.1", b"HTTP/1.0", b"HTTP/2.0", b"HTTP/1.2", b"http/1.1", b"HTTP/1.1 ", b"HTTP/0.9"]
)
known_names = (
    st.sampled_from([b"Host", b"Content-Type", b"content-length", b"Connection", b"Accept"])
    | st.sampled_from([b"X-Request-Id", b"Authorization", b"X-Forwarded-For", b"User-Agent"])
    | st.sampled_from([b"Expect", b"Transfer-Encoding", b"X-Forwarded-Proto", b"Te"])
    | st.sampled_from([b"X_Underscore", b"Bad Name", b"", b"X-\xe9"])
)
names = known_names | st.from_regex(rb"\A[A-Za-z0-9!#$%&'*+.^`|~-]{1,12}\Z")
values = st.lists(
    st.sampled_from([b"a", b"Z", b"0", b"7", b" ", b"\t", b",", b"close", b"keep-alive"])
    | st.sampled_from([b"application/json", b"100-continue", b"chunked", b"https", b"\xe9"])
    | st.sampled_from([b"\x00", b"\r", b"\n", b"\x7f", b"\x0b", b"-1", b"1e3"]),
    max_size=6,
).map(b"".join)
separators = st.sampled_from([b": ", b":", b" : ", b":\t", b": \t "])


@st.composite
def plain_heads(draw: st.DrawFn) -> tuple[bytes, bytes]:
    """What a browser, the site or a benchmark sends: these must take the fast reading."""
    method = draw(st.sampled_from([b"GET", b"POST", b"PUT", b"DELETE", b"PATCH", b"HEAD"]))
    path = b"/" + draw(st.from_regex(rb"\A([a-z0-9_.-][a-z0-9_/.-]{0,19})?\Z"))
    query = draw(st.from_regex(rb"\A(\?[a-z_]{1,8}=[0-9a-z%]{0,8}(&[a-z]{1,5}=[0-9]{1,3})?)?\Z"))
    body = draw(st.binary(max_size=40)) if method != b"GET" else b""
    fields = [b"Host: 127.0.0.1:8000", b"Accept: */*", b"Content-Type: application/json"]
    fields += [b"Content-Length: %d" % len(body)] if body or draw(st.booleans()) else []
    fields += draw(
        st.lists(
            st.sampled_from([b"Connection: keep-alive", b"User-Agent: wrk", b"X-Id: 7"]),
            max_size=4,
        )
    )
    version = draw(st.sampled_from([b"HTTP/1.1", b"HTTP/1.0"]))
    return b"\r\n".join([method + b" " + path + query + b" " + version, *fields]), body


@st.composite
def heads(draw: st.DrawFn) -> bytes:
    """Request lines and header fields, well formed or not in many ways; about half of them
    a plain head with a few odd parts."""
    if draw(st.booleans()):
        plain, _ = draw(plain_heads())
        line, *fields = plain.split(b"\r\n")
        method, target, version = line.split(b" ")
        method = draw(methods) if draw(st.integers(0, 5)) == 0 else method
        target = draw(targets) if draw(st.integers(0, 5)) == 0 else target
        version = draw(versions) if draw(st.integers(0, 5)) == 0 else version
        line = method + b" " + target + b" " + version
        odd = draw(st.integers(0, 2))
    else:
        line = draw(methods) + b" " + draw(targets) + b" " + draw(versions)
        fields, odd = [], draw(st.integers(0, 14))
    for _ in range(odd):
        field = draw(names) + draw(separators) + draw(values)
        if draw(st.integers(0, 30)) == 0:
            field = b" folded" if draw(st.booleans()) else field + b"x" * 120
        fields.insert(draw(st.integers(0, len(fields))), field)
    return b"\r\n".join([line, *fields])


peers = st.sampled_from([("127.0.0.1", 50000), ("10.1.2.3", 1234), ("::1", 4321)])


def gunicorn_reading(head: bytes, body: bytes, peer: tuple[str, int]) -> tuple[Any, dict[str, Any]]:
    """gunicorn's request and environ for these bytes (raises what gunicorn raises)."""
    parser = RequestParser(CFG, [head + b"\r\n\r\n" + body], peer)
    message = next(parser)
    _, environ = gunicorn_wsgi.create(message, _NoSocket(), peer, SERVER, CFG)
    environ["wsgi.multithread"] = True
    return message, environ


class _NoSocket:
    def send(self, data: bytes) -> int:
        raise AssertionError("nothing is sent while the environ is built")


def fast_environ(head: PlainHead, body: bytes, peer: tuple[str, int]) -> dict[str, Any]:
    shared = worker_environ(CFG)
    return request_environ(connection_environ(shared, socket.socket(), peer, SERVER), head, body)


def comparable(environ: dict[str, Any]) -> dict[str, Any]:
    values = {key: value for key, value in environ.items() if key not in OBJECTS}
    values["body"] = environ["wsgi.input"].read()
    return values


@given(heads(), st.binary(max_size=20), peers)
@example(b"POST /x HTTP/1.1\r\nHost: a\r\nHost: b", b"", ("127.0.0.1", 1))
@example(b"POST /x HTTP/1.1\r\nX-Forwarded-Proto: https", b"", ("127.0.0.1", 1))
@example(b"GET /%41%zz?x=%41 HTTP/1.0\r\nConnection: keep-alive", b"", ("127.0.0.1", 1))
def test_a_head_read_fast_is_the_head_gunicorn_reads(
    head: bytes, body: bytes, peer: tuple[str, int]
) -> None:
    fast = HeadReader(LIMITS).read(head)
    event("read fast" if fast is not None else "left to gunicorn")
    if fast is None:
        return
    body = body[: fast.content_length].ljust(fast.content_length, b".")

    message, environ = gunicorn_reading(head, body, peer)

    assert fast.headers == message.headers
    assert fast.keep_alive is not message.should_close()
    assert comparable(fast_environ(fast, body, peer)) == comparable(environ)


@given(plain_heads(), peers)
def test_the_heads_clients_send_are_read_fast(
    drawn: tuple[bytes, bytes], peer: tuple[str, int]
) -> None:
    head, body = drawn

    fast = HeadReader(LIMITS).read(head)

    assert fast is not None
    _, environ = gunicorn_reading(head, body, peer)
    assert comparable(fast_environ(fast, body, peer)) == comparable(environ)


@given(st.lists(heads(), min_size=1, max_size=20))
def test_the_names_a_reader_remembers_do_not_change_what_it_reads(drawn: list[bytes]) -> None:
    seasoned = HeadReader(LIMITS)
    for head in drawn:
        seasoned.read(head)

    assert [seasoned.read(head) for head in drawn] == [HeadReader(LIMITS).read(h) for h in drawn]


def test_a_name_gunicorn_would_drop_or_refuse_is_left_to_gunicorn() -> None:
    assert HeadReader(LIMITS).read(b"GET / HTTP/1.1\r\nX_Forwarded_For: 1.2.3.4") is None


def test_an_expectation_is_left_to_gunicorn() -> None:
    assert HeadReader(LIMITS).read(b"POST / HTTP/1.1\r\nExpect: 100-continue") is None


def test_a_transfer_coding_is_left_to_gunicorn() -> None:
    assert HeadReader(LIMITS).read(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked") is None
