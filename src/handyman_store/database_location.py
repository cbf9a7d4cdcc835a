"""Where the database is, read from a database URL without SQLAlchemy, for commands that talk
to the driver alone (`handyman import-courses`, see `driver_connection`).

Importing SQLAlchemy takes longer than a whole unchanged catalogue import, so the import reads
the common forms of a URL itself: `postgresql://user:password@host:port/database?option=value`
(also `postgres://` and `postgresql+psycopg://`) and `sqlite:///relative` or
`sqlite:////absolute/path`. It reads them by SQLAlchemy's own grammar (`make_url`) and hands
psycopg the parameters SQLAlchemy's psycopg dialect would; `tests/store/test_database_location.py`
holds both to SQLAlchemy's on random URLs. Anything else (several hosts, `host`/`port` in the
query, a repeated option, an in-memory or URI-style SQLite database, anything SQLAlchemy would
refuse) is not read here: `driver_location` answers None and the caller goes through
`database.DatabaseUrl`, which knows every form and words every complaint.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qsl, quote, quote_plus, unquote

from attrs import frozen

from handyman_core.errors import DependencyUnavailable

DatabaseKind = Literal["sqlite", "postgresql"]

POSTGRESQL_SCHEMES = frozenset({"postgresql", "postgres", "postgresql+psycopg"})
SQLITE_SCHEMES = frozenset({"sqlite", "sqlite+pysqlite"})
_URL = re.compile(
    r"(?P<scheme>[\w+]+)://"
    r"(?:(?P<username>[^:/]*)(?::(?P<password>[^@]*))?@)?"
    r"(?:(?:\[(?P<ipv6host>[^/?]+)\]|(?P<host>[^/:?]+))?(?::(?P<port>[^/?]*))?)?"
    r"(?:/(?P<database>[^?]*))?"
    r"(?:\?(?P<query>.*))?"
)
_MULTIHOST_OPTIONS = frozenset({"host", "port"})


class DatabaseUnavailable(DependencyUnavailable):
    """The configured database cannot be used; the message says why, without a traceback or SQL."""

    dependency = "database"


@frozen
class DriverLocation:
    """A database the driver can be pointed at directly."""

    kind: DatabaseKind
    display: str
    """The URL as `str(DatabaseUrl)` shows it: normalised scheme, no password."""
    parameters: Mapping[str, str | int]
    """psycopg.connect's keyword arguments (PostgreSQL); empty for SQLite."""
    sqlite_path: str | None = None
    """The SQLite file, absolute (SQLite); None for PostgreSQL."""


def driver_location(value: str) -> DriverLocation | None:
    """The location `value` names, when it is one of the forms read here; else None."""
    match = _URL.fullmatch(value.strip())
    if match is None:
        return None
    scheme = match["scheme"].lower()
    username = _unquoted(match["username"])
    password = _unquoted(match["password"])
    host = match["ipv6host"] or match["host"]
    database = _unquoted(match["database"])
    port: int | None = None
    if match["port"] is not None:
        if not (match["port"].isascii() and match["port"].isdigit()):
            return None
        port = int(match["port"])
    query = _query(match["query"])
    if query is None:
        return None
    if scheme in POSTGRESQL_SCHEMES:
        if not host or not database or _MULTIHOST_OPTIONS & query.keys():
            return None
        if port is not None and not 0 < port < 65536:
            return None
        parameters: dict[str, str | int] = {"host": host, "dbname": database}
        if username:
            parameters["user"] = username
        if password:
            parameters["password"] = password
        if port:
            parameters["port"] = port
        parameters.update(query)
        display = _display(
            "postgresql+psycopg",
            username=username,
            password=password,
            host=host,
            port=port,
            database=database,
            query=query,
        )
        return DriverLocation("postgresql", display, parameters)
    if scheme in SQLITE_SCHEMES:
        if username is not None or host or port is not None or query:
            return None
        if not database or database == ":memory:":
            return None
        display = _sqlite_display(database)
        return DriverLocation("sqlite", display, {}, os.path.abspath(database))
    return None


def sqlite_location(path: Path) -> DriverLocation:
    """The SQLite file at `path`, as `DatabaseUrl.sqlite_file` names it."""
    database = str(path)
    display = _sqlite_display(database)
    return DriverLocation("sqlite", display, {}, os.path.abspath(database))


def default_sqlite_path() -> Path:
    """The per-user SQLite file a command uses when no database is configured; its directory
    is created if missing."""
    import platformdirs  # noqa: PLC0415 (only commands without a configured database need it)

    return Path(platformdirs.user_data_dir("handyman", ensure_exists=True)) / "handyman.sqlite3"


def _sqlite_display(database: str) -> str:
    return _display(
        "sqlite+pysqlite", username=None, password=None, host=None, port=None, database=database
    )


def _unquoted(component: str | None) -> str | None:
    return None if component is None else unquote(component)


def _query(text: str | None) -> dict[str, str] | None:
    """The options of the query string; None when one is repeated (SQLAlchemy makes a list)."""
    if text is None:
        return {}
    options: dict[str, str] = {}
    for key, value in parse_qsl(text):
        if key in options:
            return None
        options[key] = value
    return options


def _display(
    scheme: str,
    *,
    username: str | None,
    password: str | None,
    host: str | None,
    port: int | None,
    database: str | None,
    query: Mapping[str, str] | None = None,
) -> str:
    shown = scheme + "://"
    if username is not None:
        shown += quote(username, safe=" +")
        if password is not None:
            shown += ":***"
        shown += "@"
    if host is not None:
        shown += f"[{host}]" if ":" in host else host
    if port is not None:
        shown += f":{port}"
    if database is not None:
        shown += "/" + quote(database, safe=" +/")
    if query:
        shown += "?" + "&".join(
            f"{quote_plus(key)}={quote_plus(query[key])}" for key in sorted(query)
        )
    return shown
