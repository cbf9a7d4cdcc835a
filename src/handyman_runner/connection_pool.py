"""Kept-alive HTTP/1.1 connections to one runner host, for the remote runner client.

The standard library's `http.client` and a short list of idle connections, rather than
`requests` over urllib3: a session's per-call machinery (settings merged, a cookie jar asked,
the URL parsed again, an adapter, a retry policy, three wrappers around one response) cost
more server CPU per run than everything else on run_task's path (issue 12). What is kept of
theirs is what the runs need: a connection per run going at once, reused run after run, and
one the runner closed while it sat idle found closed before anything is sent on it.

Each connection is used by one thread at a time: it is taken from the idle list under the
lock and handed back when its reply has been read to the end.
"""

from __future__ import annotations

import http.client
import select
import socket
import ssl
import threading
import urllib.parse

import attrs


@attrs.frozen
class Origin:
    """Where a runner's base URL points: the connection's scheme, host and port, and the path
    its endpoints are under (no trailing slash)."""

    scheme: str
    host: str
    port: int
    prefix: str

    @classmethod
    def of(cls, base_url: str) -> Origin:
        parts = urllib.parse.urlsplit(base_url)
        if parts.hostname is None:
            raise ValueError(f"runner URL {base_url!r} names no host")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return cls(parts.scheme, parts.hostname, port, parts.path)


class ConnectionPool:
    """Connections to one origin; up to `keep` of them stay open between runs."""

    def __init__(self, origin: Origin, *, keep: int, tls: ssl.SSLContext | None = None) -> None:
        if keep <= 0:
            raise ValueError("the pool must keep at least one connection")
        self.origin = origin
        self._keep = keep
        self._tls = tls
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()
        self._closed = False

    def take(self, connect_timeout: float) -> tuple[http.client.HTTPConnection, socket.socket]:
        """An idle connection the runner has not closed, or a new one; its socket comes along
        so that reads can be bounded even once `http.client` has handed it to a response.
        Raises OSError (ssl.SSLError included) when a new connection cannot be made: nothing
        has been sent then."""
        while True:
            with self._lock:
                connection = self._idle.pop() if self._idle else None
            if connection is None:
                break
            sock = connection.sock
            if isinstance(sock, socket.socket) and not _closed_by_peer(sock):
                return connection, sock
            connection.close()
        connection = self._connection(connect_timeout)
        try:
            connection.connect()
        except BaseException:
            connection.close()
            raise
        sock = connection.sock
        if not isinstance(sock, socket.socket):  # pragma: no cover - connect() sets it or raises
            connection.close()
            raise ConnectionError("the connection has no socket")
        return connection, sock

    def give_back(self, connection: http.client.HTTPConnection) -> None:
        """Keeps a connection whose reply was read to its end for the next run, unless the
        runner said it would close it, the pool is closed or already keeps enough."""
        if connection.sock is not None:
            with self._lock:
                if not self._closed and len(self._idle) < self._keep:
                    self._idle.append(connection)
                    return
        connection.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    def _connection(self, timeout: float) -> http.client.HTTPConnection:
        origin = self.origin
        if origin.scheme == "https":
            return http.client.HTTPSConnection(
                origin.host, origin.port, timeout=timeout, context=self._tls
            )
        return http.client.HTTPConnection(origin.host, origin.port, timeout=timeout)


def _closed_by_peer(sock: socket.socket) -> bool:
    """An idle keep-alive connection has nothing to read: readable means the runner closed it
    (or sent what no request asked for), either way it cannot carry a run. poll, not select,
    which fails for descriptors above 1023 and a busy worker has many."""
    if isinstance(sock, ssl.SSLSocket) and sock.pending():
        return True
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))
