"""Hot-path statements: SQL written once, run straight on the driver's connection.

Building a SQLAlchemy construct per request, generating its cache key and going through the
execution context cost several times what PostgreSQL spends answering (issue 12's profiles:
a third or more of a worker's CPU). The statements a request makes are few and fixed, so they
are written here as SQL text once, rendered at import time into each driver's parameter style
(`:name` for sqlite3, `%(name)s` for psycopg), and executed on the DBAPI connection under a
SQLAlchemy connection or pool checkout. psycopg prepares a statement on the server after a few
executions on a connection, so PostgreSQL plans each one once per connection too.

`read` is how the store's facade reads: one pooled connection in autocommit on PostgreSQL (a
statement is its own snapshot at READ COMMITTED, so BEGIN/ROLLBACK would only add round trips),
a deferred transaction on SQLite (readers share the WAL snapshot). The pool does not ping a
connection before handing it out; a connection found broken is dropped with the rest of the
pool (a restarted server broke them all) and the read is tried once more on a new one, else
DatabaseUnavailable.
"""

from __future__ import annotations

import sqlite3
import weakref
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol, TypeVar

import psycopg
from attrs import frozen
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from handyman_store.database import DatabaseDidNotAnswer, DatabaseUnavailable
from handyman_store.driver_statements import (
    NAMED_PARAMETER,
    Driver,
    DriverKind,
    Parameters,
    Row,
    Sql,
    read_timestamp,
    stored_timestamp,
)

__all__ = [
    "Driver",
    "DriverKind",
    "Parameters",
    "Prepared",
    "Row",
    "Sql",
    "autocommit",
    "driver_kind",
    "driver_of",
    "one_round_trip",
    "read",
    "read_timestamp",
    "stored_timestamp",
    "stream",
]

_T = TypeVar("_T")


def driver_of(connection: Connection | Driver) -> Driver:
    """The driver connection under a SQLAlchemy connection (inside whatever transaction it
    has begun), so that functions serve both the facade's reads and transactional writers."""
    if isinstance(connection, Driver):
        return connection
    kind: DriverKind = "postgresql" if connection.dialect.name == "postgresql" else "sqlite"
    return Driver(connection.connection.dbapi_connection, kind)


def driver_kind(engine: Engine) -> DriverKind:
    return "postgresql" if engine.dialect.name == "postgresql" else "sqlite"


def read(engine: Engine, work: Callable[[Driver], _T]) -> _T:
    """`work` on a pooled connection set up for reading (see the module's docstring)."""
    return _retrying(
        engine, lambda: _with_connection(engine, work, sqlite_begin="BEGIN"), retry=True
    )


def autocommit(engine: Engine, work: Callable[[Driver], _T], *, idempotent: bool) -> _T:
    """`work` on a pooled connection in autocommit: each statement is its own transaction, for
    writes that are one statement. On a broken connection an idempotent write is tried once
    more on a new connection; any other is DatabaseUnavailable, since whether it reached the
    database cannot be known."""
    return _retrying(engine, lambda: _with_connection(engine, work), retry=idempotent)


@frozen
class Prepared:
    """A statement that `one_round_trip` PREPAREs by name (SQL-level `PREPARE`) on each
    connection the first time it runs there, then EXECUTEs: the simple protocol cannot bind
    parameters, and without this the server would parse and plan the statement on every call
    (in the benchmark that doubled PostgreSQL's CPU for update_chapter_progress)."""

    name: str
    prepare: str
    """`PREPARE name(types) AS statement`, parameters as `$n`."""
    execute: str
    """`EXECUTE name(%(parameter)s, ...)`, bound on the client."""

    @classmethod
    def of(cls, name: str, statement: str, parameter_types: Sequence[tuple[str, str]]) -> Prepared:
        """`statement` with `:name` parameters, each typed in `parameter_types` (name, SQL
        type); a parameter it uses without a type is a KeyError at import time."""
        positions = {parameter: index for index, (parameter, _) in enumerate(parameter_types, 1)}
        body = NAMED_PARAMETER.sub(lambda match: f"${positions[match.group(1)]}", statement)
        types = ", ".join(sql_type for _, sql_type in parameter_types)
        arguments = ", ".join(f"%({parameter})s" for parameter, _ in parameter_types)
        return cls(
            name=name,
            prepare=f"PREPARE {name}({types}) AS {body.replace('%', '%%')}",
            execute=f"EXECUTE {name}({arguments})",
        )


_PREPARED_ON: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()
"""The names `one_round_trip` has prepared on each driver connection (a prepared statement
lives as long as its session; a replaced connection starts empty)."""


def _sent_once(
    dbapi: psycopg.Connection[Any],
    to_prepare: Sequence[Prepared],
    prepared: set[str],
    texts: Sequence[str],
    parameters: Parameters,
) -> list[Row]:
    """One round trip of `one_round_trip`: the PREPAREs this connection lacks, BEGIN, the
    statements and COMMIT; a failed transaction is rolled back."""
    preparing = [statement for statement in to_prepare if statement.name not in prepared]
    cursor = psycopg.ClientCursor(dbapi)
    try:
        script = "; ".join((*(s.prepare for s in preparing), "BEGIN", *texts, "COMMIT"))
        cursor.execute(script, parameters)
        prepared.update(statement.name for statement in preparing)
        for _ in range(len(preparing) + len(texts)):  # on to the last statement's result
            cursor.nextset()
        rows: list[Row] = cursor.fetchall()
        return rows
    except BaseException:
        if not dbapi.closed:
            dbapi.rollback()
            if preparing:  # a PREPARE that ran outlives the failed transaction
                cursor.execute("SELECT name FROM pg_prepared_statements")
                prepared.update(name for (name,) in cursor.fetchall())
        raise
    finally:
        cursor.close()


def one_round_trip(
    engine: Engine, statements: Sequence[Sql | Prepared], parameters: Parameters
) -> list[Row]:
    """PostgreSQL only: `BEGIN; <statements>; COMMIT` sent as one simple-query string, so the
    transaction costs one round trip; the rows of the last statement. Each statement still
    takes its own snapshot when it starts (READ COMMITTED), so one may wait for a lock taken by
    the one before. Parameters are bound on the client (`psycopg.ClientCursor`, quoted with
    libpq's escaping for the connection's encoding), since the simple protocol has none; a
    `Prepared` statement keeps its plan on the server. Not retried on a broken connection
    (DatabaseUnavailable): the commit may have happened.

    Why not psycopg's pipeline mode, which binds on the server and prepares by itself: its
    exchange costs the worker about twice the CPU (issue 12's profile: half of
    update_chapter_progress's worker CPU in `BasePipeline._communicate_gen`; a lock, a statement
    and COMMIT measured alone: about 0.23 ms pipelined, 0.125 ms as one string)."""

    texts = [
        statement.execute if isinstance(statement, Prepared) else statement.postgresql
        for statement in statements
    ]
    to_prepare = [statement for statement in statements if isinstance(statement, Prepared)]

    def transaction(driver: Driver) -> list[Row]:
        dbapi: psycopg.Connection[Any] = driver.dbapi
        prepared = _PREPARED_ON.setdefault(dbapi, set())
        try:
            return _sent_once(dbapi, to_prepare, prepared, texts, parameters)
        except psycopg.errors.InvalidSqlStatementName:
            # psycopg sends DEALLOCATE ALL when it clears its own prepared statements (after
            # a ROLLBACK or a DROP), which drops ours as well. The EXECUTE failed, so the
            # transaction wrote nothing: prepare again and send it once more.
            prepared.clear()
            return _sent_once(dbapi, to_prepare, prepared, texts, parameters)

    return _retrying(engine, lambda: _with_connection(engine, transaction), retry=False)


def stream(
    engine: Engine, statement: Sql, parameters: Parameters, *, batch: int
) -> Iterator[list[Row]]:
    """The statement's rows, `batch` at a time, fetched as they are consumed: memory stays that
    of one batch however many rows the statement has. On PostgreSQL through a server-side cursor
    inside a read transaction (the only place one can be declared), so each fetch is a statement
    of its own and the statement timeout bounds a fetch, not the whole stream; on SQLite by
    stepping a cursor in a deferred transaction. Nothing happens until the first batch is asked
    for; the connection is held until the iterator is exhausted or closed. Opening the stream on
    a broken pooled connection is tried once more on a new one, as `read` does; a failure once
    rows have been handed out is DatabaseUnavailable."""
    cursor, rows = _retrying(
        engine, lambda: _open_stream(engine, statement, parameters, batch), retry=True
    )
    try:
        while rows:
            yield rows
            try:
                rows = cursor.fetchmany(batch)
            except _Broken as broken:
                raise DatabaseUnavailable(
                    f"the database connection broke: {broken.reason}"
                ) from None
    finally:
        cursor.end()


class _StreamCursor(Protocol):
    def execute(self, sql: str, parameters: Parameters) -> None: ...

    def fetchmany(self, size: int) -> list[Row]: ...

    def end(self) -> None:
        """Ends the read transaction and gives the connection back to the pool."""
        ...


def _open_stream(
    engine: Engine, statement: Sql, parameters: Parameters, batch: int
) -> tuple[_StreamCursor, list[Row]]:
    kind = driver_kind(engine)
    try:
        proxied = engine.raw_connection()
    except DBAPIError as error:
        raise DatabaseUnavailable(f"cannot connect to the database: {_first_line(error)}") from None
    cursor: _StreamCursor | None = None
    try:
        cursor = _PostgresStream(proxied) if kind == "postgresql" else _SqliteStream(proxied)
        cursor.execute(statement.text_for(kind), parameters)
        return cursor, cursor.fetchmany(batch)
    except BaseException:
        if cursor is not None:
            cursor.end()
        else:
            proxied.close()
        raise


class _PostgresStream:
    """A server-side cursor whose driver errors say what they mean for the connection, as
    `_on_postgresql` does for a read: broken (worth a new connection) or unavailable."""

    def __init__(self, proxied: Any) -> None:
        self.proxied = proxied
        dbapi: psycopg.Connection[Any] = proxied.driver_connection
        if dbapi.closed:
            proxied.invalidate()
            raise _Broken("the connection was closed")
        dbapi.autocommit = False
        self.dbapi = dbapi
        self.cursor = dbapi.cursor(name="handyman_stream")

    def execute(self, sql: str, parameters: Parameters) -> None:
        self._guarded(lambda: self.cursor.execute(sql, parameters))

    def fetchmany(self, size: int) -> list[Row]:
        return self._guarded(lambda: self.cursor.fetchmany(size))

    def end(self) -> None:
        """Rolls back first: ending the transaction drops the server-side cursor with it, so
        closing the cursor afterwards costs no round trip."""
        try:
            if not self.dbapi.closed:
                self.dbapi.rollback()
            self.cursor.close()
        finally:
            self.proxied.close()

    def _guarded(self, work: Callable[[], _T]) -> _T:
        try:
            return work()
        except DatabaseDidNotAnswer as error:
            self.proxied.invalidate()
            raise DatabaseUnavailable(_first_line(error)) from error
        except psycopg.OperationalError as error:
            if self.dbapi.closed or self.dbapi.broken:
                self.proxied.invalidate()
                raise _Broken(_first_line(error)) from error
            raise DatabaseUnavailable(_first_line(error)) from error


class _SqliteStream:
    def __init__(self, proxied: Any) -> None:
        self.proxied = proxied
        self.dbapi: sqlite3.Connection = proxied.driver_connection
        self.dbapi.execute("BEGIN")
        self.cursor = self.dbapi.cursor()

    def execute(self, sql: str, parameters: Parameters) -> None:
        self.cursor.execute(sql, parameters)

    def fetchmany(self, size: int) -> list[Row]:
        rows: list[Row] = self.cursor.fetchmany(size)
        return rows

    def end(self) -> None:
        try:
            self.cursor.close()
            self.dbapi.execute("ROLLBACK")
        finally:
            self.proxied.close()


def _retrying(engine: Engine, attempt: Callable[[], _T], *, retry: bool) -> _T:
    try:
        return attempt()
    except _Broken as broken:
        engine.dispose(close=False)
        if not retry:
            raise DatabaseUnavailable(f"the database connection broke: {broken.reason}") from None
    try:
        return attempt()
    except _Broken as broken:
        raise DatabaseUnavailable(f"the database connection broke: {broken.reason}") from None


class _Broken(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _with_connection(
    engine: Engine,
    work: Callable[[Driver], _T],
    *,
    sqlite_begin: str | None = None,
    autocommit: bool = True,
) -> _T:
    kind = driver_kind(engine)
    try:
        proxied = engine.raw_connection()
    except DBAPIError as error:
        raise DatabaseUnavailable(f"cannot connect to the database: {_first_line(error)}") from None
    try:
        dbapi: Any = proxied.driver_connection
        if kind == "postgresql":
            return _on_postgresql(dbapi, work, proxied, autocommit)
        return _on_sqlite(dbapi, work, sqlite_begin)
    finally:
        proxied.close()


def _on_postgresql(
    dbapi: psycopg.Connection[Any], work: Callable[[Driver], _T], proxied: Any, autocommit: bool
) -> _T:
    if dbapi.closed:
        proxied.invalidate()
        raise _Broken("the connection was closed")
    dbapi.autocommit = autocommit
    try:
        return work(Driver(dbapi, "postgresql"))
    except DatabaseDidNotAnswer as error:
        proxied.invalidate()
        raise DatabaseUnavailable(_first_line(error)) from error
    except psycopg.OperationalError as error:
        if dbapi.closed or dbapi.broken:
            proxied.invalidate()
            raise _Broken(_first_line(error)) from error
        raise DatabaseUnavailable(_first_line(error)) from error
    finally:
        if not dbapi.closed and autocommit:
            dbapi.autocommit = False


def _on_sqlite(dbapi: sqlite3.Connection, work: Callable[[Driver], _T], begin: str | None) -> _T:
    if begin is None:
        return work(Driver(dbapi, "sqlite"))
    dbapi.execute(begin)
    try:
        return work(Driver(dbapi, "sqlite"))
    finally:
        dbapi.execute("ROLLBACK")


def _first_line(error: BaseException) -> str:
    cause = getattr(error, "orig", None) or error
    text = str(cause).strip()
    return text.splitlines()[0] if text else type(cause).__name__
