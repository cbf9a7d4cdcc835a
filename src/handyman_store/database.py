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
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar

import platformdirs
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

from handyman_core.errors import DependencyUnavailable

DatabaseKind = Literal["sqlite", "postgresql"]

_POSTGRESQL_SCHEMES = frozenset({"postgresql", "postgres", "postgresql+psycopg"})
_SQLITE_SCHEMES = frozenset({"sqlite", "sqlite+pysqlite"})
SQLITE_BUSY_TIMEOUT_MS = 30_000
CATALOGUE_IMPORT_LOCK_KEY = -1
MIGRATION_LOCK_KEY = -2
"""PostgreSQL advisory-lock keys: negative for process-wide jobs, positive user ids for users.
Run admissions lock in the two-key space, apart from these (migration 0006)."""
_CREDENTIALS = re.compile(r"(//[^:/@]*:)[^@/]*@")


class DatabaseUnavailable(DependencyUnavailable):
    """The configured database cannot be used; the message says why, without a traceback or SQL."""

    dependency = "database"


@frozen
class DatabaseTimeouts:
    """How long PostgreSQL may take before the caller gives up on it.

    The defaults suit request handling: a request answers 503 within a few seconds whatever state
    the server is in, and a database that comes back is used again at the next connection.
    Maintenance commands (migrations, catalogue imports) use `BATCH_TIMEOUTS`, whose statements
    may run as long as they need.
    """

    connect_s: float = 2.0
    """libpq's connect_timeout (it counts whole seconds, at least 2)."""
    statement_s: float | None = 1.5
    """The server's statement_timeout (lock waits included); None: no limit."""
    answer_grace_s: float = 0.5
    """How much longer than statement_s the client waits for any answer before it closes the
    connection: the server normally cancels first, keeping the connection usable."""
    pool_checkout_s: float = 2.0
    """How long a request waits for a free pooled connection."""
    keepalive_idle_s: int = 10
    keepalive_interval_s: int = 5
    keepalive_count: int = 3
    """TCP keepalives, so a pooled connection to a host that vanished is noticed while idle."""

    @property
    def answer_limit_s(self) -> float | None:
        return None if self.statement_s is None else self.statement_s + self.answer_grace_s

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> DatabaseTimeouts:
        """HANDYMAN_DB_CONNECT_TIMEOUT, HANDYMAN_DB_STATEMENT_TIMEOUT (0: no limit) and
        HANDYMAN_DB_POOL_TIMEOUT, in seconds; unset ones keep their defaults."""
        defaults = cls()
        statement = _seconds(environ, "HANDYMAN_DB_STATEMENT_TIMEOUT", defaults.statement_s or 0)
        return cls(
            connect_s=_seconds(environ, "HANDYMAN_DB_CONNECT_TIMEOUT", defaults.connect_s),
            statement_s=statement or None,
            pool_checkout_s=_seconds(environ, "HANDYMAN_DB_POOL_TIMEOUT", defaults.pool_checkout_s),
        )

    def libpq_parameters(self) -> dict[str, Any]:
        return {
            "connect_timeout": max(2, round(self.connect_s)),
            "keepalives": 1,
            "keepalives_idle": self.keepalive_idle_s,
            "keepalives_interval": self.keepalive_interval_s,
            "keepalives_count": self.keepalive_count,
        }


BATCH_TIMEOUTS = DatabaseTimeouts(connect_s=5.0, statement_s=None, pool_checkout_s=30.0)


def _seconds(environ: Mapping[str, str], name: str, default: float) -> float:
    value = environ.get(name, "").strip()
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):
        raise ValueError(f"{name} must be a number of seconds, not {value!r}")
    return seconds


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
