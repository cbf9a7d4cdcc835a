"""A gunicorn worker whose threads read whole requests without blocking and answer them in place.

gunicorn's gthread worker hands a connection to a thread as soon as it is readable, and the thread
then reads the head and body with blocking calls: a client sending a byte a second (slowloris), or
connecting and sending nothing, holds one of the worker's few threads for minutes. Here no read
ever blocks: each connection's bytes are collected into a buffer, with deadlines for the head and
for the body, and a request is handled only once `RequestFramer` says the buffer holds all of it
within the size limits. A slow or silent connection therefore costs a socket and a buffer, never
a thread. Responses are written with a send deadline, so a client that does not read cannot hold
a thread either.

The threads share one epoll set and take turns at it (leader/followers): every connection is
registered one-shot, so the thread that gets its event owns it until it hands it back to the set.
That thread reads, frames and, when a request is whole, answers it itself: no hand-off to another
thread, no wake-up pipe, nothing re-registered per request. The main thread only keeps house: the
heartbeat gunicorn's arbiter watches, the deadlines, signals and the graceful stop. A plain request
(`request_head.HeadReader`) becomes a WSGI environ directly and its answer leaves in one `send`
(`response_writer.WsgiResponse`); anything else goes through gunicorn's own parser and response as
before. Ownership is a claim on `_waiting`: a connection is either there (waiting for bytes or
its deadline, touched by nobody) or owned by the one thread that popped it.

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
import select
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from attrs import frozen
from gunicorn.http import RequestParser
from gunicorn.http import wsgi as gunicorn_wsgi
from gunicorn.http.errors import NoMoreData
from gunicorn.workers.base import Worker
from gunicorn.workers.gthread import STOP_KEEPALIVE_LINGER

from handyman_http.request_framing import FramingLimits, Incomplete, Refused, RequestFramer, Whole
from handyman_http.request_head import HeadLimits, HeadReader, PlainHead, declined_names
from handyman_http.request_id import HEADER as REQUEST_ID_HEADER
from handyman_http.response_writer import WsgiResponse
from handyman_http.settings import Settings
from handyman_http.wsgi_environ import connection_environ, request_environ, worker_environ

log = logging.getLogger("handyman.http.worker")

RECEIVE_SIZE = 64 * 1024
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
HEAD_END = b"\r\n\r\n"
ONE_SHOT = select.EPOLLIN | select.EPOLLONESHOT
HOUSEKEEPING_S = 1.0
"""The longest the main thread sleeps between heartbeats and deadline checks."""
ACCEPT_BATCH = 64
_ABSENT = object()


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
    500: "Internal server error",
    501: "The transfer coding is not supported",
}


class _Connection:
    """One client connection and the request being read from it."""

    __slots__ = (
        "deadline",
        "environ",
        "fd",
        "framer",
        "head_complete",
        "lingering",
        "peer",
        "served",
        "server",
        "sock",
    )

    def __init__(
        self,
        sock: socket.socket,
        peer: Any,
        server: Any,
        framer: RequestFramer,
        environ: dict[str, Any] | None,
    ) -> None:
        self.sock = sock
        self.fd = sock.fileno()
        self.peer = peer
        self.server = server
        self.framer = framer
        self.environ = environ
        """The WSGI variables every request of this connection shares (None: gunicorn builds
        them, as for a UNIX socket)."""
        self.deadline = 0.0
        self.head_complete = False
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


class BufferingThreadWorker(Worker):  # type: ignore[misc]
    alive: bool
    nr: int
    max_requests: int

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.deadlines = ConnectionDeadlines.from_environment(os.environ)
        self.limits = FramingLimits(
            max_request_line=self.cfg.limit_request_line or FramingLimits().max_request_line,
            body_limit=Settings.from_environment(os.environ).body_limit,
        )
        self.worker_connections: int = self.cfg.worker_connections
        self.max_keepalived: int = self.cfg.worker_connections - self.cfg.threads
        self.connections: dict[int, _Connection] = {}
        self._waiting: dict[_Connection, None] = {}
        self._listeners: dict[int, tuple[socket.socket, Any]] = {}
        self._accepting = False
        self._serving = True
        self._poller: Any = None
        self._head_reader: HeadReader | None = None
        self._base_environ: dict[str, Any] = {}
        self._hooks = False

    # --- start, housekeeping, stop (the main thread) ------------------------------------------

    def init_process(self) -> None:
        if self.cfg.is_ssl:
            raise RuntimeError("the buffering worker does not speak TLS; terminate it in front")
        _allow_open_files(self.worker_connections + 256)
        self._poller = select.epoll()
        for listener in self.sockets:
            listener.setblocking(False)
            self._listeners[listener.fileno()] = (listener, listener.getsockname())
        self._head_reader = self._plain_head_reader()
        self._base_environ = worker_environ(self.cfg)
        defaults = type(self.cfg)()
        self._hooks = (
            self.cfg.pre_request is not defaults.pre_request
            or self.cfg.post_request is not defaults.post_request
        )
        super().init_process()

    def _plain_head_reader(self) -> HeadReader | None:
        """The fast reading, where the settings leave gunicorn nothing to add to a plain head."""
        cfg = self.cfg
        if cfg.proxy_protocol != "off" or os.environ.get("SCRIPT_NAME"):
            return None
        return HeadReader(
            HeadLimits(
                field_size=cfg.limit_request_field_size or 8190,
                fields=min(cfg.limit_request_fields or 32768, 32768),
                declined_names=declined_names(cfg.secure_scheme_headers),
            )
        )

    def run(self) -> None:
        self._set_accepting(True)
        threads = [
            threading.Thread(target=self._serve_events, name=f"handyman-http-{number}", daemon=True)
            for number in range(self.cfg.threads)
        ]
        for thread in threads:
            thread.start()
        while self.alive:
            self.notify()
            if self.ppid != os.getppid():
                self.log.info("Parent changed, shutting down: %s", self)
                break
            self._sleep(self._keep_house())
        self._stop()

    def _keep_house(self) -> float:
        """Ends what is past its deadline; the seconds until the next deadline (at most one)."""
        now = time.monotonic()
        nearest = now + HOUSEKEEPING_S
        for connection in list(self._waiting):
            if connection.deadline > now:
                nearest = min(nearest, connection.deadline)
                continue
            if self._waiting.pop(connection, _ABSENT) is _ABSENT:
                continue
            if connection.framer.started and not connection.lingering:
                self._answer_and_close(connection, 408, PROTOCOL_ERROR_MESSAGES[408])
            else:
                self._close(connection)
        if self.alive and not self._accepting and len(self.connections) < self.worker_connections:
            self._set_accepting(True)
        return max(0.01, nearest - time.monotonic())

    def _sleep(self, seconds: float) -> None:
        """Until `seconds` pass or a signal arrives (its handler writes to gunicorn's pipe)."""
        try:
            ready, _, _ = select.select([self.PIPE[0]], [], [], seconds)
            if ready:
                while os.read(self.PIPE[0], 4096):
                    pass
        except (BlockingIOError, InterruptedError):
            pass
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.EINTR):
                raise

    def _stop(self) -> None:
        """Graceful: accept nothing more, let requests in progress finish and idle kept-alive
        connections linger briefly (a request on one is answered with Connection: close), then
        close whatever is left when gunicorn's graceful_timeout is up."""
        self._set_accepting(False)
        cap = time.monotonic() + STOP_KEEPALIVE_LINGER
        for connection in list(self._waiting):
            if not connection.framer.started or connection.lingering:
                connection.deadline = min(connection.deadline, cap)
        give_up = time.monotonic() + self.cfg.graceful_timeout
        while self.connections and time.monotonic() < give_up:
            self.notify()
            self._sleep(min(0.1, self._keep_house()))
        self._serving = False
        for connection in list(self.connections.values()):
            with contextlib.suppress(OSError):
                connection.sock.close()
        for listener in self.sockets:
            with contextlib.suppress(OSError):
                listener.close()

    def _set_accepting(self, enabled: bool) -> None:
        if enabled == self._accepting:
            return
        self._accepting = enabled
        for fd in self._listeners:
            with contextlib.suppress(OSError):
                if enabled:
                    self._poller.register(fd, ONE_SHOT)
                else:
                    self._poller.unregister(fd)

    # --- the threads: wait for an event, own the connection, read, answer ------------------------

    def _serve_events(self) -> None:
        poll = self._poller.poll
        listeners = self._listeners
        connections = self.connections
        waiting = self._waiting
        while self._serving:
            try:
                events = poll(HOUSEKEEPING_S, 1)
            except OSError:
                if not self._serving:
                    return
                raise
            for fd, _mask in events:
                listener = listeners.get(fd)
                if listener is not None:
                    self._accept(fd, *listener)
                    continue
                connection = connections.get(fd)
                if connection is None or waiting.pop(connection, _ABSENT) is _ABSENT:
                    continue
                try:
                    self._on_readable(connection)
                except Exception:
                    log.exception("could not go on with a connection")
                    self._close(connection)

    def _accept(self, fd: int, listener: socket.socket, address: Any) -> None:
        try:
            for _ in range(ACCEPT_BATCH):
                try:
                    client, peer = listener.accept()
                except (BlockingIOError, InterruptedError):
                    return
                except OSError as error:
                    if error.errno in (errno.ECONNABORTED, errno.EPROTO):
                        continue
                    raise
                client.setblocking(False)
                connection = _Connection(
                    client,
                    peer,
                    address,
                    RequestFramer.empty(self.limits),
                    self._connection_environ(client, peer, address),
                )
                connection.deadline = time.monotonic() + self.deadlines.head_s
                self.connections[connection.fd] = connection
                self._waiting[connection] = None
                self._poller.register(connection.fd, ONE_SHOT)
                if len(self.connections) >= self.worker_connections:
                    self._accepting = False
                    with contextlib.suppress(OSError):
                        self._poller.unregister(fd)
                    return
        finally:
            if self._accepting and self.alive:
                with contextlib.suppress(OSError):
                    self._poller.modify(fd, ONE_SHOT)

    def _connection_environ(self, sock: socket.socket, peer: Any, server: Any) -> Any:
        """None where gunicorn must build the environ (a UNIX socket, no fast reading)."""
        if self._head_reader is None or not isinstance(peer, tuple):
            return None
        if not isinstance(server, tuple):
            return None
        return connection_environ(self._base_environ, sock, peer, server)

    def _wait(self, connection: _Connection) -> None:
        """Hand the connection back: the next event or its deadline, whichever comes first."""
        self._waiting[connection] = None
        with contextlib.suppress(OSError):
            self._poller.modify(connection.fd, ONE_SHOT)

    def _on_readable(self, connection: _Connection) -> None:
        sock = connection.sock
        try:
            data = sock.recv(RECEIVE_SIZE)
        except (BlockingIOError, InterruptedError):
            self._wait(connection)
            return
        except OSError:
            self._close(connection)
            return
        if connection.lingering:
            if data:
                self._wait(connection)
            else:
                self._close(connection)
            return
        if not data:
            self._close(connection)
            return
        framer = connection.framer
        if not framer.started:
            connection.deadline = time.monotonic() + self.deadlines.head_s
        self._advance(connection, framer.feed(data))

    def _advance(self, connection: _Connection, outcome: Incomplete | Whole | Refused) -> None:
        """Act on what the buffer holds: wait for more, refuse, or answer (then go on with a
        pipelined request already buffered)."""
        framer = connection.framer
        while True:
            if isinstance(outcome, Incomplete):
                if outcome.head_complete and not connection.head_complete:
                    connection.head_complete = True
                    connection.deadline = time.monotonic() + self.deadlines.body_s
                if outcome.send_continue:
                    self._send_quietly(connection, CONTINUE)
                self._wait(connection)
                return
            if isinstance(outcome, Refused):
                self._answer_and_close(connection, outcome.status, outcome.message)
                return
            request = framer.take(outcome.length)
            if not self._answer(connection, request, outcome.close_after):
                self._linger(connection)
                return
            connection.served += 1
            connection.head_complete = False
            if framer.started:
                connection.deadline = time.monotonic() + self.deadlines.head_s
                outcome = framer.outcome()
                continue
            keepalive = self.cfg.keepalive if self.alive else STOP_KEEPALIVE_LINGER
            connection.deadline = time.monotonic() + keepalive
            self._wait(connection)
            return

    # --- answering one request ---------------------------------------------------------------

    def _answer(self, connection: _Connection, request: bytes, close_after: bool) -> bool:
        """Whether the connection stays open for another request."""
        head = None
        head_end = request.find(HEAD_END)
        if connection.environ is not None and not close_after and self._head_reader is not None:
            head = self._head_reader.read(request[:head_end])
        if head is None or len(request) - head_end - 4 != head.content_length:
            return self._answer_through_gunicorn(connection, request, close_after)
        return self._answer_plain(connection, head, request[head_end + 4 :])

    def _answer_plain(self, connection: _Connection, head: PlainHead, body: bytes) -> bool:
        assert connection.environ is not None
        environ = request_environ(connection.environ, head, body)
        response = WsgiResponse(
            lambda data: self._send_all(connection, data),
            method=head.method,
            version=head.version,
            keep_alive=head.keep_alive,
        )
        self._count_request(response.force_close)
        started = datetime.now() if self._logs_access() else None
        try:
            if self._hooks:
                self.cfg.pre_request(self, head)
            result = self.wsgi(environ, response.start_response)
            try:
                for data in result:
                    response.write(data)
                response.close()
            finally:
                if started is not None:
                    self.log.access(response, head, environ, datetime.now() - started)
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        except OSError as error:
            log.debug("connection lost while answering: %s", error)
            return False
        except Exception:
            log.exception("Error handling request %s %s", head.method, head.raw_uri)
            if not response.headers_sent:
                self._send_quietly(connection, json_error(500, PROTOCOL_ERROR_MESSAGES[500]))
            return False
        finally:
            if self._hooks:
                try:
                    self.cfg.post_request(self, head, environ, response)
                except Exception:
                    self.log.exception("Exception in post_request hook")
        return not response.should_close()

    def _count_request(self, force_close: Callable[[], None]) -> None:
        self.nr += 1
        if self.nr >= self.max_requests:
            if self.alive:
                self.log.info("Autorestarting worker after current request.")
                self.alive = False
            force_close()
        if not self.alive or not self.cfg.keepalive or len(self.connections) >= self.max_keepalived:
            force_close()

    def _logs_access(self) -> bool:
        return bool(getattr(self.log, "access_log_enabled", True))

    def _answer_through_gunicorn(
        self, connection: _Connection, request: bytes, close_after: bool
    ) -> bool:
        """gunicorn's parser, environ and response, on the buffered bytes: what the fast
        reading declined is accepted or refused here exactly as gunicorn does."""
        sock = connection.sock
        parser = None
        message = None
        try:
            sock.settimeout(self.deadlines.send_s)
            parser = RequestParser(self.cfg, [request], connection.peer)
            parser.req_count = connection.served
            message = next(parser)
            # The body is in memory already (or refused unread): never invite it with a 100.
            message._expected_100_continue = False
            if not self._handle_with_gunicorn(connection, message):
                return False
            if close_after:
                return False
            return bool(parser.finish_body() and not parser.unreader.buf.getvalue())
        except (StopIteration, NoMoreData):
            return False
        except OSError as error:
            log.debug("connection lost while answering: %s", error)
            return False
        except Exception as error:
            self.handle_error(message, sock, connection.peer, error)
            return False
        finally:
            with contextlib.suppress(OSError):
                sock.setblocking(False)

    def _handle_with_gunicorn(self, connection: _Connection, message: Any) -> bool:
        """gthread's handle_request, for gunicorn's own request and response objects."""
        environ: dict[str, Any] = {}
        response = None
        try:
            self.cfg.pre_request(self, message)
            started = datetime.now()
            response, environ = gunicorn_wsgi.create(
                message, connection.sock, connection.peer, connection.server, self.cfg
            )
            environ["wsgi.multithread"] = True
            self._count_request(response.force_close)
            result = self.wsgi(environ, response.start_response)
            try:
                if isinstance(result, environ["wsgi.file_wrapper"]):
                    response.write_file(result)
                else:
                    for data in result:
                        response.write(data)
                response.close()
            finally:
                self.log.access(response, message, environ, datetime.now() - started)
                close = getattr(result, "close", None)
                if close is not None:
                    close()
            return not response.should_close()
        except OSError:
            raise
        except Exception:
            if response is not None and response.headers_sent:
                self.log.exception("Error handling request")
                return False
            raise
        finally:
            try:
                self.cfg.post_request(self, message, environ, response)
            except Exception:
                self.log.exception("Exception in post_request hook")

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        """gunicorn's classification and access log, answered in JSON."""
        captured = _CapturedError()
        super().handle_error(req, captured, addr, exc)
        status = captured.status()
        message = PROTOCOL_ERROR_MESSAGES.get(status, PROTOCOL_ERROR_MESSAGES[500])
        try:
            client.sendall(json_error(status, message))
        except OSError:
            log.debug("could not send the error response")

    # --- writing and closing ---------------------------------------------------------------

    def _send_all(self, connection: _Connection, data: bytes) -> None:
        """Send everything, waiting for the client to read at most the send deadline in all."""
        sock = connection.sock
        try:
            sent = sock.send(data)
        except (BlockingIOError, InterruptedError):
            sent = 0
        if sent == len(data):
            return
        remaining = memoryview(data)[sent:]
        give_up = time.monotonic() + self.deadlines.send_s
        writable = select.poll()
        writable.register(connection.fd, select.POLLOUT)
        while remaining:
            left = give_up - time.monotonic()
            if left <= 0:
                raise TimeoutError("the client did not read the response in time")
            if not writable.poll(left * 1000):
                continue
            try:
                remaining = remaining[sock.send(remaining) :]
            except (BlockingIOError, InterruptedError):
                continue

    def _send_quietly(self, connection: _Connection, data: bytes) -> None:
        """Best effort, without waiting: a few hundred bytes fit any socket buffer."""
        with contextlib.suppress(OSError):
            connection.sock.send(data)

    def _answer_and_close(self, connection: _Connection, status: int, message: str) -> None:
        self._send_quietly(connection, json_error(status, message))
        self._linger(connection)

    def _linger(self, connection: _Connection) -> None:
        """Close after the response without losing it: half-close, then read and discard what the
        client still sends until it closes too (or briefly), so the kernel does not answer unread
        bytes with a reset that could destroy the response in flight (RFC 9112 section 9.6).
        No thread waits meanwhile: the connection waits in the set like any other."""
        try:
            connection.sock.shutdown(socket.SHUT_WR)
        except OSError:
            self._close(connection)
            return
        connection.lingering = True
        connection.deadline = time.monotonic() + STOP_KEEPALIVE_LINGER
        self._wait(connection)

    def _close(self, connection: _Connection) -> None:
        """By the connection's owner only (a thread, or the main thread past a deadline)."""
        if self.connections.get(connection.fd) is connection:
            del self.connections[connection.fd]
        with contextlib.suppress(OSError, ValueError):
            self._poller.unregister(connection.fd)
        with contextlib.suppress(OSError):
            connection.sock.close()


def _allow_open_files(wanted: int) -> None:
    """Each held connection is a file descriptor: raise the soft limit toward what the worker
    may hold (never past the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
