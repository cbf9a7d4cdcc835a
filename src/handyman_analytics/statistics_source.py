"""A client of any statistics API of the seed's shape: Handyman's own and the seed vendor's.

`GET <url>?client=&client_key=&start=&end=[&limit=]` answers a JSON array of records. When
there are more, Handyman's API says where the next page is in a `Link: <...>; rel="next"`
header (RFC 8288), carrying every parameter except the key, which the client adds again; a
source without paging (the vendor) answers the whole window at once and no link.

Timeouts, dropped connections and 5xx answers are retried with exponential backoff (urllib3's
`Retry`, honouring `Retry-After`), each retry logged; a 4xx, or a 5xx that outlasts the
retries, is a `SourceError` with the status code, which the job reports and exits on.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import orjson
import requests
from attrs import frozen
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import ConnectionPool
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from handyman_core.instants import format_seed_instant
from handyman_core.statistics_query import TimeWindow

log = logging.getLogger("handyman.stats")

RETRIED_STATUSES = frozenset({500, 502, 503, 504})
USER_AGENT = "handyman-stats/1"


class SourceError(Exception):
    """The source refused or failed; `status_code` is None when no answer came at all."""

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


@frozen
class SourcePage:
    number: int
    records: list[Any]
    seconds: float


@frozen
class SourceSettings:
    url: str
    client: str
    client_key: str
    page_size: int | None = 10_000
    """Sent as `limit`; None asks for the whole window in one answer."""
    timeout_seconds: float = 60.0
    retries: int = 5
    backoff_seconds: float = 0.5


class _LoggedRetry(Retry):
    """Retry that says in the job's log what failed and that it will try again."""

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> Self:
        retry = super().increment(method, url, response, error, _pool, _stacktrace)
        reason = f"status {response.status}" if response is not None else type(error).__name__
        log.warning(
            "the source failed (%s); retrying after %.1f s", reason, retry.get_backoff_time()
        )
        return retry


def open_session(settings: SourceSettings) -> requests.Session:
    retry = _LoggedRetry(
        total=settings.retries,
        connect=settings.retries,
        read=settings.retries,
        status=settings.retries,
        other=0,
        backoff_factor=settings.backoff_seconds,
        status_forcelist=RETRIED_STATUSES,
        allowed_methods=frozenset({"GET"}),
        raise_on_status=False,
        respect_retry_after_header=True,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    return session


def fetch_pages(
    session: requests.Session, settings: SourceSettings, window: TimeWindow
) -> Iterator[SourcePage]:
    """Every page of the window in order; raises SourceError on the first failure. The next page
    downloads while the caller loads this one (the source and the analytics database work at
    the same time): one request at a time, in order, and at most two pages held."""
    params: dict[str, str] = {
        "start": format_seed_instant(window.start),
        "end": format_seed_instant(window.end),
    }
    if settings.page_size is not None:
        params["limit"] = str(settings.page_size)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="stats-download") as downloads:
        pending: Future[_Fetched] | None = downloads.submit(
            _fetch, session, settings, settings.url, params, 1
        )
        while pending is not None:
            fetched = pending.result()
            pending = None
            if fetched.next_url is not None:
                pending = downloads.submit(
                    _fetch,
                    session,
                    settings,
                    fetched.next_url,
                    fetched.next_params,
                    fetched.page.number + 1,
                )
            yield fetched.page


@frozen
class _Fetched:
    page: SourcePage
    next_url: str | None
    next_params: dict[str, str]


def _fetch(
    session: requests.Session,
    settings: SourceSettings,
    url: str,
    params: dict[str, str],
    number: int,
) -> _Fetched:
    began = time.monotonic()
    response = _get(session, settings, url, params)
    records = _records(response, number)
    page = SourcePage(number, records, time.monotonic() - began)
    next_url, next_params = _next_page(response, settings.url)
    return _Fetched(page, next_url, next_params)


def _get(
    session: requests.Session, settings: SourceSettings, url: str, params: dict[str, str]
) -> requests.Response:
    credentials = {"client": settings.client, "client_key": settings.client_key}
    try:
        response = session.get(
            url, params={**params, **credentials}, timeout=settings.timeout_seconds
        )
    except requests.RequestException as error:
        raise SourceError(
            f"no answer from the source after {settings.retries + 1} tries: {type(error).__name__}"
        ) from None
    if response.status_code != 200:
        raise SourceError(
            f"the source answered {response.status_code}: {_error_text(response)}",
            response.status_code,
        )
    return response


def _records(response: requests.Response, number: int) -> list[Any]:
    try:
        document = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        document = _lenient_json(response.content, number, response.status_code)
    if not isinstance(document, list):
        raise SourceError(f"page {number} is not a JSON array of records", response.status_code)
    return document


def _lenient_json(content: bytes, number: int, status: int) -> Any:
    """The standard library reads what orjson refuses but is still JSON (a lone surrogate
    escape in one record), so that record is skipped later instead of failing the page."""
    try:
        return json.loads(content)
    except (ValueError, RecursionError):
        raise SourceError(f"page {number} is not JSON", status) from None


def _next_page(response: requests.Response, base: str) -> tuple[str | None, dict[str, str]]:
    """The `rel="next"` link, split into its address and its parameters (without the
    credentials, which every request adds itself). Only links to the source's own host are
    followed, so a misbehaving source cannot send the key elsewhere."""
    link = response.links.get("next", {}).get("url")
    if not link:
        return None, {}
    target = urlsplit(requests.compat.urljoin(response.url, link))
    origin = urlsplit(base)
    if (target.scheme, target.netloc) != (origin.scheme, origin.netloc):
        raise SourceError(f"the source's next link leaves its host: {target.netloc}")
    params = {
        key: value
        for key, value in parse_qsl(target.query, keep_blank_values=True)
        if key not in ("client", "client_key")
    }
    return urlunsplit((target.scheme, target.netloc, target.path, "", "")), params


def _error_text(response: requests.Response) -> str:
    try:
        document = response.json()
    except ValueError:
        return response.text[:300].strip() or response.reason
    if isinstance(document, dict):
        detail = document.get("error") or document.get("detail") or document
        fields = document.get("fields")
        return f"{detail} {fields}" if fields else str(detail)
    return str(document)[:300]
