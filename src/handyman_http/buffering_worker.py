"""A gunicorn worker that reads requests in its event loop and gives threads only whole requests.

gunicorn's gthread worker hands a connection to a thread as soon as it is readable, and the thread
then reads the head and body with blocking calls: a client sending a byte a second (slowloris), or
connecting and sending nothing, holds one of the worker's few threads for minutes. Here the worker's
event loop (gthread's own selector loop) reads every connection without blocking into a buffer,
with deadlines for the head and for the body; only once `RequestFramer` says the buffer holds a
whole request, within the size limits, does a thread get it, parsed by gunicorn's own parser from
memory. A slow or silent connection therefore costs a socket and a buffer, never a thread, and the
threads stay free for requests that are ready. Responses are written by the thread with a send
timeout, so a client that does not read cannot hold a thread either.

Errors gunicorn answers itself (a malformed request line, headers over its limits, a bad chunk)
are JSON with an X-Request-Id, like every other answer of the service, instead of its HTML pages.

TLS and HTTP/2 are not spoken: terminate them in front of the service.
"""

from __future__ import annotations

import contextlib
import errno
import http
import json
import logging
import os
import resource
import selectors
import socket
import time
import uuid
from collections.abc import Mapping
from concurrent.futures import Future
from functools import partial
from typing import Any

from attrs import frozen
from gunicorn.http import RequestParser
from gunicorn.http.errors import NoMoreData
from gunicorn.workers.gthread import STOP_KEEPALIVE_LINGER, TConn, ThreadWorker

from handyman_http.request_framing import FramingLimits, Incomplete, Refused, RequestFramer, Whole
from handyman_http.request_id import HEADER as REQUEST_ID_HEADER
from handyman_http.settings import Settings

log = logging.getLogger("handyman.http.worker")

RECEIVE_SIZE = 64 * 1024
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


@frozen
class ConnectionDeadlines:
    """How long a client may take; each can be set in seconds through the environment."""

    head_s: float = 10.0
    """HANDYMAN_HEAD_TIMEOUT: from a request's first byte (or the connection) to its last header."""
    body_s: float = 30.0
    """HANDYMAN_BODY_TIMEOUT: from the end of the head to the end of the body, however it trickles
    (a whole deadline, not one per read, so a byte a second does not keep it open)."""
    send_s: float = 30.0
    """HANDYMAN_SEND_TIMEOUT: how long writing a response may block on a client not reading."""

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> ConnectionDeadlines:
        defaults = cls()
        return cls(
            head_s=_seconds(environ, "HANDYMAN_HEAD_TIMEOUT", defaults.head_s),
            body_s=_seconds(environ, "HANDYMAN_BODY_TIMEOUT", defaults.body_s),
            send_s=_seconds(environ, "HANDYMAN_SEND_TIMEOUT", defaults.send_s),
        )


def _seconds(environ: Mapping[str, str], name: str, default: float) -> float:
    value = environ.get(name, "").strip()
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds < float("inf"):
        raise ValueError(f"{name} must be a positive number of seconds, not {value!r}")
    return seconds


def json_error(status: int, message: str) -> bytes:
    """A complete HTTP/1.1 response closing the connection, shaped like the application's."""
    body = json.dumps({"error": message}).encode()
    head = (
        f"HTTP/1.1 {status} {http.HTTPStatus(status).phrase}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"{REQUEST_ID_HEADER}: {uuid.uuid4().hex}\r\n\r\n"
    )
    return head.encode("latin-1") + body


PROTOCOL_ERROR_MESSAGES = {
    400: "The request is not valid HTTP/1.1",
    403: "The request is forbidden",
    408: "The request did not arrive in time",
    414: "The request line is too long",
    417: "Only the expectation 100-continue is supported",
    431: "The request header fields are too large",
    501: "The transfer coding is not supported",
}


class _Connection(TConn):  # type: ignore[misc]
    """gthread's connection, plus what the event loop knows about the request it is reading."""

    def __init__(self, *args: Any, framer: RequestFramer) -> None:
        super().__init__(*args)
        self.framer = framer
        self.deadline = 0.0
        self.head_complete = False
        self.close_after = False
        self.lingering = False
        self.served = 0


class _CapturedError:
    """Stands in for the client socket while gunicorn writes its HTML error page, so that the
    worker learns the status gunicorn chose and sends JSON instead."""

    def __init__(self) -> None:
        self.data = b""

    def gettimeout(self) -> float:
        return 0.0

    def setblocking(self, _flag: bool) -> None:
        """Nothing to switch: the page is only kept."""

    def sendall(self, data: bytes) -> None:
        self.data += data

    def status(self) -> int:
        try:
            return int(self.data.split(b" ", 2)[1])
        except (IndexError, ValueError):
            return 500


class BufferingThreadWorker(ThreadWorker):  # type: ignore[misc]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.deadlines = ConnectionDeadlines.from_environment(os.environ)
        self.limits = FramingLimits(
            max_request_line=self.cfg.limit_request_line or FramingLimits().max_request_line,
            body_limit=Settings.from_environment(os.environ).body_limit,
        )
        self.reading: dict[_Connection, None] = {}

    def init_process(self) -> None:
        if self.cfg.is_ssl:
            raise RuntimeError("the buffering worker does not speak TLS; terminate it in front")
        _allow_open_files(self.worker_connections + 256)
        super().init_process()

    # --- the event loop: accept, read, frame ------------------------------------------------

    def accept(self, listener: socket.socket) -> None:
        try:
            client, address = listener.accept()
        except OSError as error:
            if error.errno in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                return
            raise
        self.nr_conns += 1
        connection = _Connection(
            self.cfg,
            client,
            address,
            listener.getsockname(),
            framer=RequestFramer.empty(self.limits),
        )
        self._read(connection, idle_s=self.deadlines.head_s)

    def _read(self, connection: _Connection, idle_s: float) -> None:
        """Wait in the loop for (the rest of) a request on this connection."""
        connection.sock.setblocking(False)
        connection.deadline = time.monotonic() + idle_s
        connection.head_complete = False
        self.reading[connection] = None
        self.poller.register(
            connection.sock, selectors.EVENT_READ, partial(self._on_readable, connection)
        )

    def _on_readable(self, connection: _Connection, _sock: socket.socket) -> None:
        try:
            data = connection.sock.recv(RECEIVE_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._close(connection)
            return
        if not data:
            self._close(connection)
            return
        if not connection.framer.started:
            connection.deadline = time.monotonic() + self.deadlines.head_s
        try:
            outcome = connection.framer.feed(data)
        except Exception:
            log.exception("could not frame a request")
            self._close(connection)
            return
        self._act(connection, outcome)

    def _act(self, connection: _Connection, outcome: Incomplete | Whole | Refused) -> None:
        if isinstance(outcome, Incomplete):
            if outcome.head_complete and not connection.head_complete:
                connection.head_complete = True
                connection.deadline = time.monotonic() + self.deadlines.body_s
            if outcome.send_continue:
                self._send_quietly(connection, CONTINUE)
            return
        if isinstance(outcome, Refused):
            self._answer_and_close(connection, outcome.status, outcome.message)
            return
        self._stop_reading(connection)
        request = connection.framer.take(outcome.length)
        connection.close_after = outcome.close_after
        connection.parser = RequestParser(self.cfg, [request], connection.client)
        connection.parser.req_count = connection.served
        connection.initialized = True
        self.enqueue_req(connection)

    def _stop_reading(self, connection: _Connection) -> None:
        self.reading.pop(connection, None)
        with contextlib.suppress(KeyError, ValueError, OSError):
            self.poller.unregister(connection.sock)

    def _close(self, connection: _Connection) -> None:
        self._stop_reading(connection)
        self.nr_conns -= 1
        connection.close()

    def _answer_and_close(self, connection: _Connection, status: int, message: str) -> None:
        self._stop_reading(connection)
        self._send_quietly(connection, json_error(status, message))
        self._linger(connection)

    def _linger(self, connection: _Connection) -> None:
        """Close after the response without losing it: half-close, then read and discard what the
        client still sends until it closes too (or briefly), so the kernel does not answer unread
        bytes with a reset that could destroy the response in flight (RFC 9112 section 9.6).
        Done in the loop: a client that keeps sending holds no thread and does not stall it."""
        try:
            connection.sock.shutdown(socket.SHUT_WR)
        except OSError:
            self.nr_conns -= 1
            connection.close()
            return
        connection.lingering = True
        connection.sock.setblocking(False)
        connection.deadline = time.monotonic() + STOP_KEEPALIVE_LINGER
        self.reading[connection] = None
        self.poller.register(
            connection.sock, selectors.EVENT_READ, partial(self._on_lingering_readable, connection)
        )

    def _on_lingering_readable(self, connection: _Connection, _sock: socket.socket) -> None:
        try:
            if connection.sock.recv(RECEIVE_SIZE):
                return
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            pass
        self._close(connection)

    def _send_quietly(self, connection: _Connection, data: bytes) -> None:
        """Best effort, without blocking the loop: a few hundred bytes fit any socket buffer."""
        with contextlib.suppress(OSError):
            connection.sock.send(data)

    def murder_pending(self) -> None:
        """Called by gthread's loop about once a second: end the connections past a deadline."""
        now = time.monotonic()
        for connection in [c for c in self.reading if c.deadline <= now]:
            if connection.lingering:
                self._close(connection)
            elif connection.framer.started:
                self._answer_and_close(connection, 408, PROTOCOL_ERROR_MESSAGES[408])
            else:
                self._close(connection)

    def murder_keepalived(self, force: bool = False) -> None:
        super().murder_keepalived(force)
        if force:
            for connection in list(self.reading):
                self._close(connection)

    def _cap_keepalive(self, deadline: float) -> None:
        """Stopping: idle connections get a short linger, not their whole head timeout."""
        super()._cap_keepalive(deadline)
        for connection in self.reading:
            if not connection.framer.started or connection.lingering:
                connection.deadline = min(connection.deadline, deadline)

    # --- the threads: one whole request each -------------------------------------------------

    def handle(self, connection: _Connection) -> bool:
        request = None
        try:
            connection.sock.settimeout(self.deadlines.send_s)
            request = next(connection.parser)
            # The body is in memory already (or refused unread): never invite it with a 100.
            request._expected_100_continue = False
            keepalive = self.handle_request(request, connection)
            if not keepalive or connection.close_after:
                return False
            return bool(
                connection.parser.finish_body() and not connection.parser.unreader.buf.getvalue()
            )
        except (StopIteration, NoMoreData):
            return False
        except OSError as error:
            log.debug("connection lost while answering: %s", error)
            return False
        except Exception as error:
            self.handle_error(request, connection.sock, connection.client, error)
            return False

    def finish_request(self, connection: _Connection, future: Future[bool]) -> None:
        """Back in the loop after a response: read the next request, or close."""
        try:
            keepalive = not future.cancelled() and future.exception() is None and future.result()
            if not keepalive:
                self._linger(connection)
                return
            connection.served += 1
            idle_s = self.cfg.keepalive if self.alive else STOP_KEEPALIVE_LINGER
            self._read(connection, idle_s=idle_s)
            if connection.framer.started:
                # A pipelined request may already be buffered, whole or in part.
                connection.deadline = time.monotonic() + self.deadlines.head_s
                self._act(connection, connection.framer.outcome())
        except Exception:
            log.exception("could not go on with a connection")
            self._close(connection)

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        """gunicorn's classification and access log, answered in JSON."""
        captured = _CapturedError()
        super().handle_error(req, captured, addr, exc)
        status = captured.status()
        message = PROTOCOL_ERROR_MESSAGES.get(status, "Internal server error")
        try:
            client.sendall(json_error(status, message))
        except OSError:
            log.debug("could not send the error response")


def _allow_open_files(wanted: int) -> None:
    """Each held connection is a file descriptor: raise the soft limit toward what the worker
    may hold (never past the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
