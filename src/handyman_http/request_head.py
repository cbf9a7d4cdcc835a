"""A plain HTTP/1.x request head read in one pass, or declined so that gunicorn's parser reads it.

Nearly every request the service gets is plain: an origin-form target, HTTP/1.1 or 1.0, a few
token-named headers with visible-ASCII values, a Content-Length body. `HeadReader` reads such a
head with a handful of byte operations and a cache of the header names it has seen, and builds
the WSGI variables the head gives, exactly as gunicorn's parser and `gunicorn.http.wsgi.create`
would; `tests/http/test_request_head.py` holds it to that on random heads. Whatever it is not
sure of (another method or version, an absolute or `//` target, a fragment, a name with `_`, a
byte outside visible ASCII, a repeated singleton field, `Expect`, `Transfer-Encoding`, a scheme
header, a field over gunicorn's limits, an obsolete line folding...) it declines with `None`,
and the worker hands the request to gunicorn's parser, which accepts or refuses it as always.
So the fast reading changes how much a request costs, never what is accepted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from attrs import frozen
from gunicorn.http.message import RFC9110_5_3_SINGLETON_FIELDS

METHODS = {method.encode(): method for method in ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH")}
"""Request methods read here (bytes on the wire -> the WSGI string); others go to gunicorn."""
VERSIONS = {b"HTTP/1.1": ("HTTP/1.1", (1, 1)), b"HTTP/1.0": ("HTTP/1.0", (1, 0))}
_TARGET = re.compile(rb"/(?!/)[\x21\x22\x24-\x7e]*")
"""origin-form: a slash not followed by another, then printable ASCII without `#`."""
_TOKEN = re.compile(rb"[!#$%&'*+\-.^`|~0-9A-Za-z]+")
"""RFC 9110 token, less `_`: gunicorn refuses (or drops) such names by its header_map."""
_VALUE = re.compile(rb"[\t\x20-\x7e]*")
_NAME_CACHE_SIZE = 512
ALWAYS_DECLINED = frozenset({"EXPECT", "TRANSFER-ENCODING"})
"""Framing and expectations stay with gunicorn's parser and the framer's close_after."""
_SINGLETONS = RFC9110_5_3_SINGLETON_FIELDS | {"CONTENT-LENGTH"}


@frozen
class HeadLimits:
    field_size: int = 8190
    """gunicorn's limit_request_field_size: one header line with its CRLF."""
    fields: int = 100
    """gunicorn's limit_request_fields."""
    declined_names: frozenset[str] = ALWAYS_DECLINED
    """Upper-case field names that send the request to gunicorn: `ALWAYS_DECLINED` and the
    configured secure-scheme headers (gunicorn reads those by the peer's address)."""


@frozen
class PlainHead:
    """A head as gunicorn would have read it, with the WSGI variables it gives."""

    method: str
    raw_uri: str
    path: str
    """Undecoded: PATH_INFO is its percent-decoding."""
    query: str
    protocol: str
    version: tuple[int, int]
    headers: list[tuple[str, str]]
    """(UPPER-CASE NAME, value) in order, as gunicorn's `Request.headers`."""
    variables: dict[str, str]
    """CONTENT_TYPE, CONTENT_LENGTH and HTTP_* as `gunicorn.http.wsgi.create` sets them."""
    content_length: int
    keep_alive: bool
    """What the client asked of the connection: not gunicorn's `Request.should_close()`."""


@frozen
class _Name:
    upper: str
    key: str
    singleton: bool
    declined: bool


class HeadReader:
    """Reads heads under one set of limits; keeps the names it has seen (bounded)."""

    def __init__(self, limits: HeadLimits) -> None:
        self._limits = limits
        self._names: dict[bytes, _Name] = {}

    def read(self, head: bytes) -> PlainHead | None:
        """`head` is the request line and header lines, without the blank line that ends them."""
        lines = head.split(b"\r\n")
        parts = lines[0].split(b" ")
        if len(parts) != 3:
            return None
        method = METHODS.get(parts[0])
        version = VERSIONS.get(parts[2])
        target = parts[1]
        if method is None or version is None or _TARGET.fullmatch(target) is None:
            return None
        limits = self._limits
        if len(lines) - 1 > limits.fields:
            return None
        headers: list[tuple[str, str]] = []
        variables: dict[str, str] = {}
        seen: set[str] = set()
        connection: str | None = None
        for line in lines[1:]:
            if len(line) + 2 > limits.field_size:
                return None
            raw_name, colon, raw_value = line.partition(b":")
            name = self._names.get(raw_name) or self._learn(raw_name)
            if name is None or name.declined or not colon:
                return None
            raw_value = raw_value.strip(b" \t")
            if _VALUE.fullmatch(raw_value) is None:
                return None
            value = raw_value.decode("ascii")
            if name.singleton:
                if name.upper in seen:
                    return None
                seen.add(name.upper)
            elif connection is None and name.upper == "CONNECTION":
                connection = value.lower()
            headers.append((name.upper, value))
            key = name.key
            previous = variables.get(key)
            variables[key] = value if previous is None else f"{previous},{value}"
        length_text = variables.get("CONTENT_LENGTH")
        if length_text is None:
            content_length = 0
        elif length_text.isdigit():
            content_length = int(length_text)
        else:
            return None
        target_text = target.decode("ascii")
        path, _, query = target_text.partition("?")
        protocol, version_tuple = version
        return PlainHead(
            method=method,
            raw_uri=target_text,
            path=path,
            query=query,
            protocol=protocol,
            version=version_tuple,
            headers=headers,
            variables=variables,
            content_length=content_length,
            keep_alive=_keeps_alive(connection, version_tuple),
        )

    def _learn(self, raw: bytes) -> _Name | None:
        if _TOKEN.fullmatch(raw) is None:
            return None
        upper = raw.decode("ascii").upper()
        if upper in ("CONTENT-TYPE", "CONTENT-LENGTH"):
            key = upper.replace("-", "_")
        else:
            key = "HTTP_" + upper.replace("-", "_")
        name = _Name(
            upper=upper,
            key=key,
            singleton=upper in _SINGLETONS,
            declined=upper in self._limits.declined_names,
        )
        if len(self._names) < _NAME_CACHE_SIZE:
            self._names[raw] = name
        return name


def declined_names(secure_scheme_headers: Iterable[str]) -> frozenset[str]:
    return ALWAYS_DECLINED | {name.upper() for name in secure_scheme_headers}


def _keeps_alive(connection: str | None, version: tuple[int, int]) -> bool:
    """gunicorn's `Message.should_close`, negated: the first Connection field decides when it
    says close or keep-alive; otherwise HTTP/1.1 keeps the connection and 1.0 does not."""
    if connection is not None:
        option = connection.strip(" \t")
        if option == "close":
            return False
        if option == "keep-alive":
            return True
    return version > (1, 0)
