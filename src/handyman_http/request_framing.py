"""Where one HTTP/1.x request ends in the bytes a connection has sent so far — without I/O.

The buffering worker (`handyman_http.buffering_worker`) collects a connection's bytes in its event
loop and hands a request to a thread only once it is whole, so a client that sends slowly, or not
at all, costs a buffer and never a thread. This module decides when that is: after the head, plus
a Content-Length body or a chunked body up to its last chunk. It only frames; gunicorn's own parser
still parses and validates every request. Whatever it cannot frame with certainty (a malformed or
contradictory length, a transfer coding other than chunked, a body over the limit) is handed over
as soon as the head is complete, marked `close_after`: gunicorn or the application answers it
(400, 413, 501) and the connection is closed, so bytes of an unframed body are never read as the
next request.
"""

from __future__ import annotations

from attrs import define, frozen

CRLF = b"\r\n"
HEAD_END = b"\r\n\r\n"
MAX_CHUNK_SIZE_LINE = 8190
"""gunicorn's own bound on a chunk-size line (limit_request_field_size)."""
READ_AHEAD = 1024
"""gunicorn's body reader asks for at least this much beyond what the application reads; an
over-limit chunked body is handed over with that much more, so the application's read of
limit + 1 bytes is answered from memory."""


@frozen
class FramingLimits:
    max_request_line: int = 4094
    """gunicorn's limit_request_line."""
    max_head: int = 64 * 1024
    """The request line and all header fields together."""
    body_limit: int = 1024 * 1024
    """HANDYMAN_BODY_LIMIT: a longer body is not buffered; the application refuses it (413)."""


@frozen
class Incomplete:
    """More bytes are needed. `head_complete` tells which deadline applies (head or body)."""

    head_complete: bool
    send_continue: bool = False
    """The client sent `Expect: 100-continue` and waits for a 100 before sending its body."""


@frozen
class Whole:
    """The first `length` bytes are one request for gunicorn's parser; the rest is the next."""

    length: int
    close_after: bool = False
    """Gunicorn may not read exactly `length` bytes as this request (or must refuse it), so the
    connection is closed after the response."""


@frozen
class Refused:
    """The head broke a limit before it was complete: answer `status` and close."""

    status: int
    message: str


Outcome = Incomplete | Whole | Refused


@define
class RequestFramer:
    """Fed a connection's bytes as they arrive; says when the buffered bytes hold a request.

    State is kept between calls, so a head arriving a byte at a time or a body in thousands of
    small chunks is scanned once, not once per arrival.
    """

    limits: FramingLimits
    buffer: bytearray
    _head_end: int | None = None
    _body_end: int | None = None
    _chunked: bool = False
    _chunk_position: int = 0
    _decoded: int = 0
    _expects_continue: bool = False
    _continue_sent: bool = False
    _searched: int = 0

    @classmethod
    def empty(cls, limits: FramingLimits) -> RequestFramer:
        return cls(limits, bytearray())

    @property
    def started(self) -> bool:
        return bool(self.buffer)

    def feed(self, data: bytes) -> Outcome:
        self.buffer += data
        return self.outcome()

    def take(self, length: int) -> bytes:
        """Remove one framed request; what follows it (a pipelined request) stays buffered."""
        request = bytes(self.buffer[:length])
        del self.buffer[:length]
        self._head_end = self._body_end = None
        self._chunked = self._expects_continue = self._continue_sent = False
        self._chunk_position = self._decoded = self._searched = 0
        return request

    def outcome(self) -> Outcome:
        if self._head_end is None:
            refusal_or_pending = self._find_head()
            if refusal_or_pending is not None:
                return refusal_or_pending
            assert self._head_end is not None
        if self._body_end is not None:
            return self._whole_when_buffered(self._body_end)
        if self._chunked:
            return self._scan_chunks()
        return Whole(self._head_end)

    def _find_head(self) -> Outcome | None:
        end = self.buffer.find(HEAD_END, max(0, self._searched - 3))
        if end < 0:
            self._searched = len(self.buffer)
            line_end = self.buffer.find(CRLF)
            line_length = len(self.buffer) if line_end < 0 else line_end
            if line_length > self.limits.max_request_line:
                return Refused(414, "The request line is too long")
            if len(self.buffer) > self.limits.max_head:
                return Refused(431, "The request header fields are too large")
            return Incomplete(head_complete=False)
        head_end = end + len(HEAD_END)
        if head_end > self.limits.max_head:
            return Refused(431, "The request header fields are too large")
        lines = bytes(self.buffer[:end]).split(CRLF)
        if len(lines[0]) > self.limits.max_request_line:
            return Refused(414, "The request line is too long")
        self._head_end = head_end
        return self._frame_body(lines[1:])

    def _frame_body(self, header_lines: list[bytes]) -> Outcome | None:
        assert self._head_end is not None
        lengths: set[bytes] = set()
        codings: list[bytes] = []
        for line in header_lines:
            name, _, value = line.partition(b":")
            name = name.lower()
            if name == b"content-length":
                lengths.add(value.strip())
            elif name == b"transfer-encoding":
                codings.append(value.strip().lower())
            elif name == b"expect" and value.strip().lower() == b"100-continue":
                self._expects_continue = True
        if codings:
            if codings != [b"chunked"] or lengths:
                return Whole(self._head_end, close_after=True)
            self._chunked = True
            self._chunk_position = self._head_end
            return None
        if not lengths:
            self._body_end = self._head_end
            return None
        (length,) = lengths if len(lengths) == 1 else (b"",)
        if not length.isdigit() or not length.isascii():
            return Whole(self._head_end, close_after=True)
        if int(length) > self.limits.body_limit:
            return Whole(self._head_end, close_after=True)
        self._body_end = self._head_end + int(length)
        return None

    def _whole_when_buffered(self, end: int) -> Outcome:
        if len(self.buffer) >= end:
            return Whole(end)
        return self._waiting_for_body()

    def _waiting_for_body(self) -> Incomplete:
        send = self._expects_continue and not self._continue_sent
        self._continue_sent = self._continue_sent or send
        return Incomplete(head_complete=True, send_continue=send)

    def _scan_chunks(self) -> Outcome:
        buffer = self.buffer
        while True:
            position = self._chunk_position
            line_end = buffer.find(CRLF, position)
            if line_end < 0:
                if len(buffer) - position > MAX_CHUNK_SIZE_LINE:
                    return self._hand_over_unframed()
                return self._waiting_for_body()
            size_text = bytes(buffer[position:line_end]).split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16) if size_text.isascii() and size_text.isalnum() else -1
            except ValueError:
                size = -1
            if size < 0:
                return self._hand_over_unframed()
            data_start = line_end + len(CRLF)
            if size == 0:
                return self._end_of_trailers(data_start)
            data_end = data_start + size
            available = self._decoded + min(size, len(buffer) - data_start)
            if available > self.limits.body_limit + READ_AHEAD:
                return Whole(len(buffer), close_after=True)
            if len(buffer) < data_end + len(CRLF):
                return self._waiting_for_body()
            if buffer[data_end : data_end + len(CRLF)] != CRLF:
                return self._hand_over_unframed()
            self._decoded += size
            self._chunk_position = data_end + len(CRLF)

    def _end_of_trailers(self, start: int) -> Outcome:
        if self.buffer[start : start + len(CRLF)] == CRLF:
            return Whole(start + len(CRLF))
        end = self.buffer.find(HEAD_END, start)
        if end >= 0:
            return Whole(end + len(HEAD_END))
        if len(self.buffer) - start > self.limits.max_head:
            return self._hand_over_unframed()
        return self._waiting_for_body()

    def _hand_over_unframed(self) -> Whole:
        """Gunicorn's chunked reader will find what is wrong and answer 400."""
        return Whole(len(self.buffer), close_after=True)
