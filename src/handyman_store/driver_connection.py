"""A connection straight from the driver (psycopg, sqlite3), for a command that runs a few
statements and exits: no SQLAlchemy, no pool, nothing to dispose of.

`handyman import-courses` asks the database whether it already holds the folder before it
parses a file, and imports on the same connection when it does not; importing SQLAlchemy would
take longer than either. It connects as `database.create_engine` does for batch work
(`BATCH_TIMEOUTS`, the same SQLite pragmas and busy timeout), and every way of failing to
connect is `DatabaseUnavailable` with the sentence `database.check` would write.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any
from urllib.parse import quote

from handyman_store.database_location import DatabaseUnavailable, DriverLocation
from handyman_store.database_timeouts import BATCH_TIMEOUTS
from handyman_store.driver_statements import Driver

SQLITE_BUSY_TIMEOUT_MS = 30_000


def configure_sqlite(dbapi: sqlite3.Connection, *, in_memory: bool) -> None:
    """Every SQLite connection of ours: transactions begun by hand (BEGIN IMMEDIATE for
    writers), WAL for files, foreign keys enforced, and a writer waits for another instead of
    failing at once."""
    dbapi.isolation_level = None
    cursor = dbapi.cursor()
    try:
        if not in_memory:
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()


class DriverConnection:
    """An open connection in autocommit, whose `transaction()` begins one by hand."""

    def __init__(self, driver: Driver, location: DriverLocation) -> None:
        self.driver = driver
        self.location = location

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """BEGIN (IMMEDIATE on SQLite: one writer at a time, from the start); COMMIT when the
        block ends, unless it rolled back; ROLLBACK when it raises."""
        self.driver.dbapi.execute("BEGIN IMMEDIATE" if self.driver.kind == "sqlite" else "BEGIN")
        transaction = Transaction(self.driver)
        try:
            yield transaction
        except BaseException:
            transaction.end("ROLLBACK")
            raise
        transaction.end("COMMIT")

    def close(self) -> None:
        self.driver.dbapi.close()

    def __enter__(self) -> DriverConnection:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class Transaction:
    def __init__(self, driver: Driver) -> None:
        self._driver = driver
        self._open = True

    def rollback(self) -> None:
        self.end("ROLLBACK")

    def end(self, statement: str) -> None:
        if self._open:
            self._open = False
            if statement == "COMMIT" or not _closed(self._driver):
                self._driver.dbapi.execute(statement)


def connect(location: DriverLocation, *, existing_only: bool = False) -> DriverConnection | None:
    """A connection to `location`. With `existing_only`, a SQLite file that does not exist yet
    is left uncreated and the answer is None."""
    if location.kind == "postgresql":
        return DriverConnection(Driver(_postgresql(location), "postgresql"), location)
    assert location.sqlite_path is not None
    path = location.sqlite_path
    if existing_only and not os.path.isfile(path):
        return None
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        raise DatabaseUnavailable(
            f"cannot use the SQLite database {path!r}: directory {directory!r} does not exist"
        )
    try:
        dbapi = sqlite3.connect(
            f"file:{quote(path, safe='/')}?mode={'rw' if existing_only else 'rwc'}",
            uri=True,
            timeout=SQLITE_BUSY_TIMEOUT_MS / 1000,
            check_same_thread=False,
        )
        configure_sqlite(dbapi, in_memory=False)
    except sqlite3.Error as error:
        raise _unavailable(location, error) from error
    return DriverConnection(Driver(dbapi, "sqlite"), location)


def _postgresql(location: DriverLocation) -> Any:
    import psycopg  # noqa: PLC0415 (SQLite imports never load it)

    try:
        parameters: dict[str, Any] = {**location.parameters, **BATCH_TIMEOUTS.libpq_parameters()}
        return psycopg.connect(**parameters, autocommit=True)
    except psycopg.Error as error:
        raise _unavailable(location, error) from error


def _unavailable(location: DriverLocation, error: BaseException) -> DatabaseUnavailable:
    message = str(error).strip()
    first_line = message.splitlines()[0] if message else "unknown error"
    return DatabaseUnavailable(f"cannot use the database at {location.display}: {first_line}")


def _closed(driver: Driver) -> bool:
    return bool(getattr(driver.dbapi, "closed", False))
