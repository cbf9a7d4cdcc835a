"""Which database to use and how to connect to it, for the two we support: a SQLite file (the
single-machine default) and PostgreSQL (`postgresql+psycopg`).

Every way the configured database can be wrong or out of reach (unknown scheme, malformed URL,
refused connection, missing directory, a server that stopped or froze) surfaces as
`DatabaseUnavailable`, so the CLI and /health can report one clear sentence instead of a driver
traceback and the HTTP layer can answer 503 instead of 500.

A PostgreSQL server that is frozen (SIGSTOP, a hung host, a partition behind an ACKing proxy)
answers nothing while its kernel keeps acknowledging our packets, so neither TCP keepalives nor
the server's own `statement_timeout` can end the wait. Serving engines therefore bound every wait
for the server on the client side as well (`DatabaseTimeouts.answer_limit_s`), through psycopg's
own waiting loop; a connection that overruns it is closed and discarded by the pool.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import psycopg
import sqlalchemy
from attrs import frozen
from psycopg.abc import PQGen
from psycopg.errors import _WaitTimeout
from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.engine import URL, Dialect, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool

from handyman_store.advisory_locks import CATALOGUE_IMPORT_LOCK_KEY, MIGRATION_LOCK_KEY
from handyman_store.database_location import (
    POSTGRESQL_SCHEMES,
    SQLITE_SCHEMES,
    DatabaseKind,
    DatabaseUnavailable,
    default_sqlite_path,
)
from handyman_store.database_timeouts import BATCH_TIMEOUTS, DatabaseTimeouts
from handyman_store.driver_connection import SQLITE_BUSY_TIMEOUT_MS, configure_sqlite

__all__ = [
    "BATCH_TIMEOUTS",
    "CATALOGUE_IMPORT_LOCK_KEY",
    "MIGRATION_LOCK_KEY",
    "SQLITE_BUSY_TIMEOUT_MS",
    "DatabaseDidNotAnswer",
    "DatabaseKind",
    "DatabaseTimeouts",
    "DatabaseUnavailable",
    "DatabaseUrl",
    "catalogue_write_lock",
    "check",
    "create_engine",
    "database_failure",
    "default_database_url",
    "migration_lock",
    "read_connection",
    "read_once_more_after_a_restart",
    "user_write_lock",
]

_CREDENTIALS = re.compile(r"(//[^:/@]*:)[^@/]*@")


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
        if scheme in POSTGRESQL_SCHEMES:
            if not url.host and not url.query.get("host"):
                raise DatabaseUnavailable(f"database URL {_redact(value)!r} names no host")
            if not url.database:
                raise DatabaseUnavailable(f"database URL {_redact(value)!r} names no database")
            if url.port is not None and not 0 < url.port < 65536:
                raise DatabaseUnavailable(f"database URL {_redact(value)!r} has an invalid port")
            return cls("postgresql", url.set(drivername="postgresql+psycopg"))
        if scheme in SQLITE_SCHEMES:
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
    return DatabaseUrl.sqlite_file(default_sqlite_path())


def create_engine(
    url: DatabaseUrl, *, verify: bool = True, timeouts: DatabaseTimeouts = BATCH_TIMEOUTS
) -> Engine:
    """An engine tuned for the database kind; with `verify`, one connection is opened at once so a
    bad location fails here rather than on the first request. `timeouts` apply to PostgreSQL."""
    engine = _sqlite_engine(url) if url.kind == "sqlite" else _postgresql_engine(url, timeouts)
    if verify:
        try:
            check(engine)
        except DatabaseUnavailable:
            engine.dispose()
            raise
    return engine


def database_failure(error: BaseException) -> DatabaseUnavailable | None:
    """The error as `DatabaseUnavailable` when it means the database cannot be used right now
    (refused or lost connection, server shutting down or frozen, statement cancelled by a
    timeout, no pooled connection free), else None: such errors are worth a retry, not a 500."""
    if isinstance(error, DatabaseUnavailable):
        return error
    if isinstance(error, PoolTimeout):
        return DatabaseUnavailable("no database connection became free in time")
    if isinstance(error, DBAPIError) and (
        error.connection_invalidated or isinstance(error, OperationalError | InterfaceError)
    ):
        return DatabaseUnavailable(_first_line(error.orig))
    if isinstance(error, _DRIVER_UNAVAILABLE):
        # Raised unwrapped where the driver is used directly (`Engine.raw_connection()`).
        return DatabaseUnavailable(_first_line(error))
    return None


_DRIVER_UNAVAILABLE = (
    psycopg.OperationalError,
    psycopg.InterfaceError,
    sqlite3.OperationalError,
    sqlite3.InterfaceError,
)


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


_T = TypeVar("_T")


def read_once_more_after_a_restart(engine: Engine, work: Callable[[Connection], _T]) -> _T:
    """`work` on a read connection, tried once more on a new one when the pooled connection it
    got was broken (a restarted server ended every pooled session), so the first read after a
    restart is not a 503; a server that did not answer at all is not asked twice."""
    try:
        with read_connection(engine) as connection:
            return work(connection)
    except DBAPIError as error:
        if not error.connection_invalidated or isinstance(error.orig, DatabaseDidNotAnswer):
            raise
    with read_connection(engine) as connection:
        return work(connection)


def _advisory_lock(connection: Connection, key: int) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


RV = TypeVar("RV")


class DatabaseDidNotAnswer(psycopg.OperationalError):
    """The server did not answer within the answer limit; the connection was closed. Unlike a
    connection a restarted server broke, trying again on a new connection cannot help: a frozen
    server does not answer that one either, it only doubles the wait."""


class _AnswerBoundConnection(psycopg.Connection[Any]):
    """A psycopg connection that waits for the server at most `answer_limit_s` per operation
    (statement, commit, rollback, ping), then closes itself and raises OperationalError."""

    answer_limit_s: float | None = None

    def wait(self, gen: PQGen[RV], interval: float = 0.1, timeout: float | None = None) -> RV:
        limit = self.answer_limit_s
        if limit is not None and (timeout is None or timeout > limit):
            timeout = limit
        try:
            return super().wait(gen, interval, timeout)
        except _WaitTimeout as error:
            self.close()
            raise DatabaseDidNotAnswer(
                f"the database did not answer within {timeout:g} s; connection closed"
            ) from error


def _postgresql_engine(url: DatabaseUrl, timeouts: DatabaseTimeouts) -> Engine:
    # No pre-ping (a round trip per checkout): the hot paths (driver_sql) try a read or an
    # idempotent write once more on a broken connection and answer DatabaseUnavailable
    # otherwise; SQLAlchemy's own paths invalidate the pool on a disconnect (a 503, see
    # database_failure).
    engine = sqlalchemy.create_engine(
        url.url,
        pool_size=5,
        max_overflow=10,
        pool_recycle=3600,
        pool_timeout=timeouts.pool_checkout_s,
        connect_args=timeouts.libpq_parameters(),
    )

    @event.listens_for(engine, "do_connect")
    def connect(
        _dialect: Dialect, _record: ConnectionPoolEntry, cargs: list[Any], cparams: dict[str, Any]
    ) -> psycopg.Connection[Any]:
        if timeouts.statement_s is not None:
            setting = f"-c statement_timeout={round(timeouts.statement_s * 1000)}"
            cparams["options"] = f"{cparams.get('options', '')} {setting}".strip()
        connection = _AnswerBoundConnection.connect(*cargs, **cparams)
        connection.answer_limit_s = timeouts.answer_limit_s
        return connection

    return engine


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
        configure_sqlite(dbapi_connection, in_memory=in_memory)

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
