"""A Runner that sends each run to a host speaking the original runner's HTTP API (watchman, or
`handyman runner serve`), and that never mistakes a failure for a verdict.

The original posted with no timeout and read any reply without `status_code` as "solved". Here
every way of not getting a learner's verdict (refused connection, timeout, HTTP error, non-JSON,
oversized reply, a reply without an integer `status_code`) is `RunnerUnavailable`.

One `RemoteRunner` serves every thread of a gthread worker. `requests.Session` is not documented
as thread-safe; the state threads share here is urllib3's connection pool, which is, and a
cookie jar whose policy refuses every cookie, so it never changes. Headers and timeouts are
passed per request, never set on the session.

Connections are kept alive between runs: a reply is read to its end, which hands its connection
back to the pool, and the pool keeps up to `pool_size` per runner host (the registry sizes it to
the runs a worker admits at once, so a connection is never dropped for want of room). A
connection the runner closed while it sat idle is found closed when it is taken from the pool
and replaced before anything is sent, so a run is never lost to it.
"""

from __future__ import annotations

import http.cookiejar
import itertools
import json
import logging
import re
import threading
import time
import urllib.parse
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import attrs
import requests
import urllib3
from requests.adapters import HTTPAdapter

from handyman_core.errors import RunnerUnavailable
from handyman_core.run_protocol import RunRequest, RunResult
from handyman_core.watchman_protocol import WATCHMAN_RUN_KINDS, interpret_reply, watchman_call

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
        self._session = _pooled_session(len(self._urls), pool_size)

    @property
    def urls(self) -> tuple[str, ...]:
        return self._urls

    @property
    def pool_size(self) -> int:
        """Connections kept alive per runner host."""
        return self._pool_size

    def run(self, request: RunRequest) -> RunResult:
        call = watchman_call(request)
        payload = json.dumps(call.body).encode("ascii")
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
        self._session.close()

    def _rotation(self) -> Iterator[str]:
        """Every runner once, starting at the next one in turn."""
        with self._turn_lock:
            first = next(self._turn) % len(self._urls)
        for offset in range(len(self._urls)):
            yield self._urls[(first + offset) % len(self._urls)]

    def _exchange(self, base: str, path: str, payload: bytes, deadline: float) -> RunResult:
        remaining = _time_left(deadline, base)
        try:
            response = self._session.post(
                base + path,
                data=payload,
                headers=self._headers,
                timeout=(min(self._connect_timeout, remaining), remaining),
                stream=True,
                allow_redirects=False,
            )
        except requests.ConnectionError as error:
            if _never_reached(error):
                raise _NotConnected(_describe(error)) from error
            raise RunnerUnavailable(f"runner {base} failed: {_describe(error)}") from error
        except requests.Timeout as error:
            raise RunnerUnavailable(
                f"runner {base} did not answer within {self._total_timeout:g}s"
            ) from error
        except requests.RequestException as error:
            raise RunnerUnavailable(f"runner {base} failed: {_describe(error)}") from error
        with response:
            if response.status_code != 200:
                raise _refusal(base, response)
            body = self._read_body(base, response, deadline)
        return _verdict(base, body)

    def _read_body(self, base: str, response: requests.Response, deadline: float) -> bytes:
        """Reads the body a chunk at a time, each read bounded by the time left, and stops as
        soon as the body outgrows the limit."""
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self._reply_limit:
            raise RunnerUnavailable(f"runner {base} replied with {declared} bytes, over the limit")
        raw = response.raw
        body = bytearray()
        try:
            while True:
                _bound_next_read(raw, _time_left(deadline, base))
                chunk = raw.read1(_READ_CHUNK, decode_content=False)
                if not chunk:
                    return bytes(body)
                body += chunk
                if len(body) > self._reply_limit:
                    raise RunnerUnavailable(
                        f"runner {base} replied with more than {self._reply_limit} bytes"
                    )
        except (urllib3.exceptions.HTTPError, OSError) as error:
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


def _pooled_session(hosts: int, pool_size: int) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    adapter = HTTPAdapter(pool_connections=hosts, pool_maxsize=pool_size, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def _never_reached(error: requests.ConnectionError) -> bool:
    """A refused, unresolvable, unreachable or slow-to-accept runner, or a failed TLS handshake:
    the request was not sent."""
    if isinstance(error, requests.ConnectTimeout | requests.exceptions.SSLError):
        return True
    reason = error.args[0] if error.args else None
    if isinstance(reason, urllib3.exceptions.MaxRetryError):
        reason = reason.reason
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


def _time_left(deadline: float, base: str) -> float:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise RunnerUnavailable(f"runner {base} did not answer in time")
    return remaining


def _bound_next_read(raw: urllib3.BaseHTTPResponse, seconds: float) -> None:
    connection = raw.connection
    sock = getattr(connection, "sock", None) if connection is not None else None
    if sock is not None:
        sock.settimeout(seconds)


def _refusal(base: str, response: requests.Response) -> RunnerUnavailable:
    if response.status_code in _BUSY_STATUSES:
        retry_after = retry_after_seconds(response.headers.get("Retry-After"), datetime.now(tz=UTC))
        return RunnerUnavailable(
            f"runner {base} is busy (HTTP {response.status_code})", retry_after=retry_after
        )
    return RunnerUnavailable(f"runner {base} answered HTTP {response.status_code}")


def _verdict(base: str, body: bytes) -> RunResult:
    try:
        reply: object = json.loads(body)
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
