"""One WSGI response on an HTTP/1.x connection, framed as gunicorn frames it, in fewer writes.

gunicorn's `Response` sends the head as soon as the first body bytes are written, then the body in
a second write, and formats its Date header anew every time. `WsgiResponse` keeps gunicorn's
rules (status and field checks, hop-by-hop fields dropped, Content-Length honoured, chunked
bodies for HTTP/1.1 without a length, no body for HEAD, 1xx, 204 and 304, when to close) and its
bytes, but sends the head together with the first body bytes (a typical answer is one `send`) and
formats the date once a second. `tests/http/test_response_writer.py` compares its bytes with
gunicorn's on random responses.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from email.utils import formatdate
from types import TracebackType

from gunicorn import SERVER
from gunicorn.http.errors import InvalidResponseHeader, InvalidResponseHeaderName
from gunicorn.http.message import TOKEN_RE
from gunicorn.http.wsgi import HEADER_VALUE_RE, STATUS_RE
from gunicorn.util import hop_headers

log = logging.getLogger("handyman.http.worker")

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]
Send = Callable[[bytes], None]
_HOP_BY_HOP = frozenset(hop_headers)


class _DateField:
    """The Date field value, formatted at most once a second; threads share it (the pair is
    replaced whole, so a reader never sees one second's text with another's number)."""

    def __init__(self) -> None:
        self._current = (0, "")

    def value(self) -> str:
        now = int(time.time())
        second, text = self._current
        if second != now:
            text = formatdate(now, localtime=False, usegmt=True)
            self._current = (now, text)
        return text


http_date = _DateField().value


class WsgiResponse:
    """The `start_response` and the body writes of one response; `send` writes to the client."""

    __slots__ = (
        "_head",
        "_method",
        "_omits_body",
        "_send",
        "_version",
        "_warned",
        "chunked",
        "headers",
        "headers_sent",
        "must_close",
        "response_length",
        "sent",
        "status",
        "status_code",
        "upgrade",
        "wants_close",
    )

    def __init__(
        self, send: Send, *, method: str, version: tuple[int, int], keep_alive: bool
    ) -> None:
        self._send = send
        self._method = method
        self._version = version
        self.wants_close = not keep_alive
        """The request asked to close (or is HTTP/1.0 without keep-alive)."""
        self.must_close = False
        self.status: str | None = None
        self.status_code: int | None = None
        self.headers: list[tuple[str, str]] = []
        self.headers_sent = False
        self.response_length: int | None = None
        self.chunked = False
        self.upgrade = False
        self.sent = 0
        self._omits_body = False
        self._warned = False
        self._head = b""

    def force_close(self) -> None:
        self.must_close = True

    def should_close(self) -> bool:
        if self.must_close or self.wants_close:
            return True
        if self.response_length is not None or self.chunked:
            return False
        if self._method == "HEAD":
            return False
        code = self.status_code
        return not (code is not None and (code < 200 or code in (204, 304)))

    def start_response(
        self,
        status: str,
        headers: Iterable[tuple[str, str]],
        exc_info: ExcInfo | None = None,
    ) -> Callable[[bytes], None]:
        if exc_info:
            try:
                if self.status and self.headers_sent:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif self.status is not None:
            raise AssertionError("Response headers already set!")
        if not isinstance(status, str):
            raise TypeError(f"{status!r} is not a string")
        if not STATUS_RE.fullmatch(status):
            raise ValueError(f"Invalid status {status!r}")
        self.status = status
        code = self.status_code = int(status[:3])
        self._process_headers(headers)
        self._omits_body = self._method == "HEAD" or code in (204, 304) or 100 <= code < 200
        if self._omits_body and (code == 204 or 100 <= code < 200):
            self.headers = [(k, v) for k, v in self.headers if k.lower() != "content-length"]
            self.response_length = None
        self.chunked = (
            self.response_length is None and self._version > (1, 0) and not self._omits_body
        )
        return self.write

    def _process_headers(self, headers: Iterable[tuple[str, str]]) -> None:
        kept = self.headers
        for name, given in headers:
            if not isinstance(name, str):
                raise TypeError(f"{name!r} is not a string")
            if not TOKEN_RE.fullmatch(name):
                raise InvalidResponseHeaderName(repr(name))
            if not isinstance(given, str):
                raise TypeError(f"{given!r} is not a string")
            if not HEADER_VALUE_RE.fullmatch(given):
                raise InvalidResponseHeader(repr(name))
            value = given.strip(" \t")
            lower = name.lower()
            if lower == "content-length":
                self.response_length = int(value)
            elif lower in _HOP_BY_HOP:
                if lower == "connection":
                    if value.lower() == "upgrade":
                        self.upgrade = True
                elif lower == "upgrade" and value.lower() == "websocket":
                    kept.append((name, value))
                continue
            kept.append((name, value))

    def write(self, data: bytes) -> None:
        if not self.headers_sent:
            self._prepare_head()
        if not isinstance(data, bytes):
            self._flush_head()
            raise TypeError(f"{data!r} is not a byte")
        if self._omits_body:
            if data and not self._warned:
                log.warning(
                    "WSGI app sent body bytes on a no-body response (method=%s status=%s); "
                    "dropping per RFC 9110.",
                    self._method,
                    self.status_code,
                )
                self._warned = True
            self._flush_head()
            return
        length = len(data)
        if self.response_length is not None:
            if self.sent >= self.response_length:
                self._flush_head()
                return
            if self.response_length - self.sent < length:
                length = self.response_length - self.sent
                data = data[:length]
        if self.chunked:
            if length == 0:
                self._flush_head()
                return
            data = b"%X\r\n%s\r\n" % (length, data)
        self.sent += length
        head, self._head = self._head, b""
        self._send(head + data if head else data)

    def close(self) -> None:
        """The end of the body: the head if nothing was written, the last chunk if chunked."""
        if not self.headers_sent:
            self._prepare_head()
        head, self._head = self._head, b""
        tail = b"0\r\n\r\n" if self.chunked else b""
        if head or tail:
            self._send(head + tail)

    def _prepare_head(self) -> None:
        if self.upgrade:
            connection = "upgrade"
        elif self.should_close():
            connection = "close"
        else:
            connection = "keep-alive"
        major, minor = self._version
        lines = [
            f"HTTP/{major}.{minor} {self.status}\r\n"
            f"Server: {SERVER}\r\nDate: {http_date()}\r\nConnection: {connection}\r\n"
        ]
        if self.chunked:
            lines.append("Transfer-Encoding: chunked\r\n")
        lines.extend(f"{name}: {value}\r\n" for name, value in self.headers)
        lines.append("\r\n")
        self._head = "".join(lines).encode("latin-1")
        self.headers_sent = True

    def _flush_head(self) -> None:
        head, self._head = self._head, b""
        if head:
            self._send(head)
