"""Which database to use and how to connect to it, for the two we support: a SQLite file (the
single-machine default) and PostgreSQL (`postgresql+psycopg`).

Every way the configured database can be wrong or out of reach (unknown scheme, malformed URL,
refused connection, missing directory) surfaces as `DatabaseUnavailable`, so the CLI and /health
can report one clear sentence instead of a driver traceback.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

import platformdirs
import sqlalchemy
from attrs import frozen
from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool

from handyman_core.errors import HandymanError

DatabaseKind = Literal["sqlite", "postgresql"]

_POSTGRESQL_SCHEMES = frozenset({"postgresql", "postgres", "postgresql+psycopg"})
_SQLITE_SCHEMES = frozenset({"sqlite", "sqlite+pysqlite"})
SQLITE_BUSY_TIMEOUT_MS = 30_000
POSTGRESQL_CONNECT_TIMEOUT_S = 5
CATALOGUE_IMPORT_LOCK_KEY = -1
MIGRATION_LOCK_KEY = -2
"""PostgreSQL advisory-lock keys: negative for process-wide jobs, positive user ids for users."""
_CREDENTIALS = re.compile(r"(//[^:/@]*:)[^@/]*@")


class DatabaseUnavailable(HandymanError):
    """The configured database cannot be used; the message says why, without a traceback."""


@frozen
class DatabaseUrl:
    """A validated database location. `str()` never shows the password."""

    kind: DatabaseKind
    url: URL

    @classmethod
    def parse(cls, value: str) -> DatabaseUrl:
        try:
            url = make_url(value.strip())
        except (ArgumentError, ValueError) as error:
            raise DatabaseUnavailable(f"malformed database URL {_redact(value)!r}") from error
        scheme = url.drivername.lower()
        if scheme in _POSTGRESQL_SCHEMES:
            if not url.host and not url.query.get("host"):
                raise DatabaseUnavailable(f"database URL {_redact(value)!r} names no host")
            if not url.database:
                raise DatabaseUnavailable(f"database URL {_redact(value)!r} names no database")
            if url.port is not None and not 0 < url.port < 65536:
                raise DatabaseUnavailable(f"database URL {_redact(value)!r} has an invalid port")
            return cls("postgresql", url.set(drivername="postgresql+psycopg"))
        if scheme in _SQLITE_SCHEMES:
            if url.host or url.username or url.port:
                raise DatabaseUnavailable(
                    f"malformed SQLite URL {_redact(value)!r}: expected sqlite:///relative/path or "
                    "sqlite:////absolute/path"
                )
            return cls("sqlite", url.set(drivername="sqlite+pysqlite"))
        raise DatabaseUnavailable(
            f"unsupported database scheme {url.drivername!r} in {_redact(value)!r}: "
            "expected postgresql://user:password@host:port/database or sqlite:///path"
        )

    @classmethod
    def sqlite_file(cls, path: Path) -> DatabaseUrl:
        return cls("sqlite", URL.create("sqlite+pysqlite", database=str(path)))

    @property
    def sqlite_path(self) -> Path | None:
        """The SQLite file, or None for an in-memory database (and for PostgreSQL)."""
        if self.kind != "sqlite" or self.url.database in (None, "", ":memory:"):
            return None
        return Path(self.url.database)

    @property
    def is_in_memory(self) -> bool:
        return self.kind == "sqlite" and self.sqlite_path is None

    def __str__(self) -> str:
        return self.url.render_as_string(hide_password=True)


def default_database_url() -> DatabaseUrl:
    """A SQLite file in the per-user data directory (created if missing), so a first run needs
    no configuration."""
    data_dir = Path(platformdirs.user_data_dir("handyman", ensure_exists=True))
    return DatabaseUrl.sqlite_file(data_dir / "handyman.sqlite3")


def create_engine(url: DatabaseUrl, *, verify: bool = True) -> Engine:
    """An engine tuned for the database kind; with `verify`, one connection is opened at once so a
    bad location fails here rather than on the first request."""
    if url.kind == "sqlite":
        engine = _sqlite_engine(url)
    else:
        engine = sqlalchemy.create_engine(
            url.url,
            pool_pre_ping=True,
            pool_size=5,
            max_overflow=10,
            pool_recycle=3600,
            connect_args={"connect_timeout": POSTGRESQL_CONNECT_TIMEOUT_S},
        )
    if verify:
        try:
            check(engine)
        except DatabaseUnavailable:
            engine.dispose()
            raise
    return engine


def check(engine: Engine) -> None:
    """Round-trip `SELECT 1`; what /health asks the database."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1")).scalar_one()
    except SQLAlchemyError as error:
        cause = error.orig if isinstance(error, DBAPIError) else error
        raise DatabaseUnavailable(
            f"cannot use the database at {_describe(engine)}: {_first_line(cause)}"
        ) from error


def user_write_lock(connection: Connection, user_ids: Iterable[int]) -> None:
    """Serialise, until the end of the current transaction, writers touching any of these users.

    On PostgreSQL this takes one transaction-scoped advisory lock per user id, in ascending order,
    so two transactions locking {a, b} in any argument order cannot deadlock. On SQLite every
    transaction already starts with BEGIN IMMEDIATE, which admits one writer at a time.
    """
    for user_id in sorted(set(user_ids)):
        _advisory_lock(connection, user_id)


def catalogue_write_lock(connection: Connection) -> None:
    """Serialise catalogue imports until the end of the transaction (as user_write_lock does)."""
    _advisory_lock(connection, CATALOGUE_IMPORT_LOCK_KEY)


def migration_lock(connection: Connection) -> None:
    """Keep processes that start at the same time from racing each other's schema upgrade."""
    _advisory_lock(connection, MIGRATION_LOCK_KEY)


READ_ONLY_OPTION = "handyman_read_only"


def read_connection(engine: Engine) -> Connection:
    """A connection for reads only. On SQLite its transactions begin deferred, so readers share
    the WAL snapshot instead of queueing behind writers as `BEGIN IMMEDIATE` would make them.
    On PostgreSQL it runs in autocommit: at READ COMMITTED every statement takes its own
    snapshot anyway, so a BEGIN/ROLLBACK pair around reads would only add round trips."""
    connection = engine.connect()
    if engine.dialect.name == "postgresql":
        return connection.execution_options(isolation_level="AUTOCOMMIT")
    return connection.execution_options(**{READ_ONLY_OPTION: True})


def _advisory_lock(connection: Connection, key: int) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def _sqlite_engine(url: DatabaseUrl) -> Engine:
    path = url.sqlite_path
    options: dict[str, Any] = {
        "connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
    }
    if path is None:
        options["poolclass"] = StaticPool
    elif not path.parent.is_dir():
        raise DatabaseUnavailable(
            f"cannot use the SQLite database {str(path)!r}: directory {str(path.parent)!r} "
            "does not exist"
        )
    engine = sqlalchemy.create_engine(url.url, **options)
    in_memory = path is None

    @event.listens_for(engine, "connect")
    def configure(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            if not in_memory:
                cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def begin_immediately(connection: Connection) -> None:
        if connection.get_execution_options().get(READ_ONLY_OPTION):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _describe(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def _first_line(error: BaseException | None) -> str:
    message = str(error).strip() if error is not None else ""
    return message.splitlines()[0] if message else "unknown error"


def _redact(value: str) -> str:
    return _CREDENTIALS.sub(r"\1***@", value.strip())
