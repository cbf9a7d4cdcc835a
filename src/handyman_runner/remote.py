"""A Runner that sends each run to a host speaking the original runner's HTTP API (watchman, or
`handyman runner serve`), and that never mistakes a failure for a verdict.

The original posted with no timeout and read any reply without `status_code` as "solved". Here
every way of not getting a learner's verdict (refused connection, timeout, HTTP error, non-JSON,
oversized reply, a reply without an integer `status_code`) is `RunnerUnavailable`.

One `RemoteRunner` serves every thread of a gthread worker. It speaks HTTP/1.1 through the
standard library's `http.client` (`connection_pool`): `requests` cost more server CPU per run
than the rest of run_task's path together (issue 12). Nothing is taken from the environment (no
proxy, no CA bundle variable): HTTPS is checked against the system's certificate authorities.

Connections are kept alive between runs: a reply is read to its end, which hands its connection
back to the pool, and the pool keeps up to `pool_size` per runner host (the registry sizes it to
the runs a worker admits at once, so a connection is never dropped for want of room). A
connection the runner closed while it sat idle is found closed when it is taken from the pool
and replaced before anything is sent, so a run is never lost to it.
"""

from __future__ import annotations

import http.client
import itertools
import json
import logging
import re
import socket
import ssl
import threading
import time
import urllib.parse
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import attrs
import orjson

from handyman_core.errors import RunnerUnavailable
from handyman_core.run_protocol import RunRequest, RunResult
from handyman_core.watchman_protocol import WATCHMAN_RUN_KINDS, interpret_reply, watchman_call
from handyman_runner.connection_pool import ConnectionPool, Origin

log = logging.getLogger("handyman.runner")

DEFAULT_CONNECT_TIMEOUT = 3.0
DEFAULT_TOTAL_TIMEOUT = 60.0
DEFAULT_REPLY_LIMIT = 8 * 1024 * 1024
DEFAULT_POOL_SIZE = 16
"""Connections kept per runner host, at least; as many as a worker's runs in flight, so that
runs going at once never reconnect."""

_READ_CHUNK = 64 * 1024
_BUSY_STATUSES = frozenset({429, 503})
_HEADER_SAFE = re.compile(r"[\x21-\x7e]+")


class RemoteRunner:
    """Runs requests on the runners at `urls`, taken in turn; a runner that refuses the
    connection (or cannot be reached within `connect_timeout`) is skipped for the next one,
    each tried at most once per run. A run that reached a runner is never sent again.

    `total_timeout` bounds a run from the first connection attempt to the last byte of the
    reply. Waiting for the reply and every read of its body are bounded by the time left, so
    only the time spent establishing the connection that got through (at most
    `connect_timeout`) can come on top of it.
    """

    run_kinds = WATCHMAN_RUN_KINDS
    """The original runner's API has no endpoint for scripts (POST /api/v1/runs)."""

    def __init__(
        self,
        urls: Sequence[str],
        *,
        token: str | None = None,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        total_timeout: float = DEFAULT_TOTAL_TIMEOUT,
        reply_limit: int = DEFAULT_REPLY_LIMIT,
        pool_size: int = DEFAULT_POOL_SIZE,
    ) -> None:
        if isinstance(urls, str):
            raise TypeError("urls must be a sequence of URLs, not one string")
        if not urls:
            raise ValueError(
                "no runner URL given: name at least one, e.g. http://127.0.0.1:8000 "
                "(HANDYMAN_WATCHMAN_URLS or --watchman-url)"
            )
        if connect_timeout <= 0 or total_timeout <= 0:
            raise ValueError("runner timeouts must be positive")
        if reply_limit <= 0 or pool_size <= 0:
            raise ValueError("the reply limit and the pool size must be positive")
        self._urls = tuple(runner_base_url(url) for url in urls)
        self._headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Accept-Encoding": "identity",
        }
        if token:
            if not _HEADER_SAFE.fullmatch(token):
                raise ValueError("the runner token must be printable ASCII without spaces")
            self._headers["Authorization"] = f"Bearer {token}"
        self._connect_timeout = connect_timeout
        self._total_timeout = total_timeout
        self._reply_limit = reply_limit
        self._turn = itertools.count()
        self._turn_lock = threading.Lock()
        self._pool_size = pool_size
        tls = (
            ssl.create_default_context()
            if any(u.startswith("https:") for u in self._urls)
            else None
        )
        self._pools = {
            url: ConnectionPool(Origin.of(url), keep=pool_size, tls=tls) for url in self._urls
        }

    @property
    def urls(self) -> tuple[str, ...]:
        return self._urls

    @property
    def pool_size(self) -> int:
        """Connections kept alive per runner host."""
        return self._pool_size

    def run(self, request: RunRequest) -> RunResult:
        call = watchman_call(request)
        payload = _json_bytes(call.body)
        started = time.monotonic()
        deadline = started + self._total_timeout
        refusals: list[str] = []
        for base in self._rotation():
            try:
                result = self._exchange(base, call.path, payload, deadline)
            except _NotConnected as refusal:
                log.warning("runner %s could not be reached: %s", base, refusal)
                refusals.append(f"{base}: {refusal}")
                continue
            return attrs.evolve(result, duration_ms=int((time.monotonic() - started) * 1000))
        raise RunnerUnavailable("no runner could be reached (" + "; ".join(refusals) + ")")

    def close(self) -> None:
        for pool in self._pools.values():
            pool.close()

    def _rotation(self) -> Iterator[str]:
        """Every runner once, starting at the next one in turn."""
        with self._turn_lock:
            first = next(self._turn) % len(self._urls)
        for offset in range(len(self._urls)):
            yield self._urls[(first + offset) % len(self._urls)]

    def _exchange(self, base: str, path: str, payload: bytes, deadline: float) -> RunResult:
        pool = self._pools[base]
        try:
            connection, sock = pool.take(min(self._connect_timeout, _time_left(deadline, base)))
        except OSError as error:
            raise _NotConnected(_describe(error)) from error
        try:
            target = pool.origin.prefix + path
            response = self._send(
                base, connection, sock, target=target, payload=payload, deadline=deadline
            )
            if response.status != 200:
                raise _refusal(base, response)
            body = self._read_body(base, response, sock, deadline)
        except BaseException:
            connection.close()
            raise
        pool.give_back(connection)
        return _verdict(base, body)

    def _send(
        self,
        base: str,
        connection: http.client.HTTPConnection,
        sock: socket.socket,
        *,
        target: str,
        payload: bytes,
        deadline: float,
    ) -> http.client.HTTPResponse:
        """Sends the run and waits for the reply's head, both bounded by the time left."""
        try:
            sock.settimeout(_time_left(deadline, base))
            connection.request("POST", target, body=payload, headers=self._headers)
            return connection.getresponse()
        except TimeoutError as error:
            raise RunnerUnavailable(
                f"runner {base} did not answer within {self._total_timeout:g}s"
            ) from error
        except (OSError, http.client.HTTPException) as error:
            raise RunnerUnavailable(f"runner {base} failed: {_describe(error)}") from error

    def _read_body(
        self, base: str, response: http.client.HTTPResponse, sock: socket.socket, deadline: float
    ) -> bytes:
        """Reads the body a chunk at a time, each read bounded by the time left, and stops as
        soon as the body outgrows the limit."""
        declared = response.getheader("Content-Length", "")
        if declared.isdigit() and int(declared) > self._reply_limit:
            raise RunnerUnavailable(f"runner {base} replied with {declared} bytes, over the limit")
        body = bytearray()
        try:
            while True:
                sock.settimeout(_time_left(deadline, base))
                chunk = response.read1(_READ_CHUNK)
                if not chunk:
                    # read1 leaves a reply read to its end open, and its connection busy.
                    response.close()
                    return bytes(body)
                body += chunk
                if len(body) > self._reply_limit:
                    raise RunnerUnavailable(
                        f"runner {base} replied with more than {self._reply_limit} bytes"
                    )
        except (OSError, http.client.HTTPException) as error:
            raise RunnerUnavailable(
                f"runner {base} failed while replying: {_describe(error)}"
            ) from error


def runner_base_url(url: str) -> str:
    """A runner's base URL without its trailing slash, or ValueError saying what is wrong.
    Credentials are refused so that they can never reach a log line: use a token."""
    try:
        parts = urllib.parse.urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise ValueError(f"runner URL {url!r} is not a valid URL") from None
    if parts.username is not None or parts.password is not None:
        raise ValueError(
            "a runner URL carries a user name or password; send a token "
            "(HANDYMAN_RUNNER_TOKEN) instead"
        )
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"runner URL {url!r} must start with http:// or https://")
    if not parts.hostname:
        raise ValueError(f"runner URL {url!r} names no host")
    if port == 0:
        raise ValueError(f"runner URL {url!r} names port 0")
    if parts.query or parts.fragment:
        raise ValueError(f"runner URL {url!r} must not have a query or a fragment")
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def retry_after_seconds(value: str | None, now: datetime) -> int | None:
    """A Retry-After header (delay in seconds or HTTP date) as whole seconds from `now`."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return int(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0, int((when - now).total_seconds() + 0.999))


class _NotConnected(Exception):
    """The run never reached this runner, so another one may take it."""


def _time_left(deadline: float, base: str) -> float:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise RunnerUnavailable(f"runner {base} did not answer in time")
    return remaining


def _refusal(base: str, response: http.client.HTTPResponse) -> RunnerUnavailable:
    if response.status in _BUSY_STATUSES:
        retry_after = retry_after_seconds(response.getheader("Retry-After"), datetime.now(tz=UTC))
        return RunnerUnavailable(
            f"runner {base} is busy (HTTP {response.status})", retry_after=retry_after
        )
    return RunnerUnavailable(f"runner {base} answered HTTP {response.status}")


def _json_bytes(body: object) -> bytes:
    """orjson's UTF-8, or the standard library's ASCII escapes for what orjson refuses (a lone
    surrogate, which a learner's source read from a request may hold)."""
    try:
        return orjson.dumps(body)
    except orjson.JSONEncodeError:
        return json.dumps(body).encode("ascii")


def _read_json(body: bytes) -> object:
    """orjson, and the standard library for what orjson refuses but is still JSON (a lone
    surrogate escape, nesting deeper than orjson's limit), so no verdict is lost to it."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return json.loads(body)


def _verdict(base: str, body: bytes) -> RunResult:
    try:
        reply: object = _read_json(body)
    except (ValueError, RecursionError):
        raise RunnerUnavailable(f"runner {base} replied with something other than JSON") from None
    try:
        return interpret_reply(reply)
    except RunnerUnavailable as error:
        reasons = "; ".join(getattr(error, "__notes__", ())) or "no verdict"
        raise RunnerUnavailable(f"runner {base} answered without a verdict: {reasons}") from error


def _describe(error: BaseException) -> str:
    """The innermost cause, e.g. `ConnectionRefusedError: Connection refused`: the wrappers'
    messages are long and repeat the URL."""
    cause = error
    for _ in range(8):
        inner = getattr(cause, "reason", None) or cause.__cause__
        if inner is None and cause.args and isinstance(cause.args[0], BaseException):
            inner = cause.args[0]
        if not isinstance(inner, BaseException):
            break
        cause = inner
    if isinstance(cause, OSError) and cause.strerror:
        return f"{type(cause).__name__}: {cause.strerror}"
    return type(cause).__name__
