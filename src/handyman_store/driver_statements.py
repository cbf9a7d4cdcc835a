"""Statements on a DBAPI connection: SQL text in both drivers' parameter styles, and the
connection that runs it. No SQLAlchemy here, so that a command which talks to the driver alone
(`handyman import-courses`) never imports it; `driver_sql` builds the service's hot paths on
these, under SQLAlchemy's pool.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from attrs import frozen

DriverKind = Literal["postgresql", "sqlite"]
Row = tuple[Any, ...]
Parameters = Mapping[str, object]
NAMED_PARAMETER = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
"""A `:name` parameter of a statement's text (not a `::type` cast)."""
_SQLITE_TIMESTAMP = "%04d-%02d-%02d %02d:%02d:%02d.%06d"
"""SQLAlchemy's storage format for `DateTime` on SQLite (its `DATETIME._storage_format`)."""


@frozen
class Sql:
    """One statement's text with `:name` parameters, in both drivers' styles."""

    sqlite: str
    postgresql: str

    @classmethod
    def of(cls, text: str) -> Sql:
        return cls(sqlite=text, postgresql=NAMED_PARAMETER.sub(r"%(\1)s", text.replace("%", "%%")))

    def text_for(self, kind: DriverKind) -> str:
        return self.postgresql if kind == "postgresql" else self.sqlite


class Statements(Protocol):
    """What runs statements: a `Driver`, or a SQLAlchemy connection's driver under it (as
    `catalogue_import` does, so that engine events see them)."""

    @property
    def kind(self) -> DriverKind: ...

    def rows(self, statement: Sql, parameters: Parameters) -> list[Row]: ...

    def execute(self, statement: Sql, parameters: Parameters) -> int: ...

    def execute_many(self, statement: Sql, parameters: Sequence[Parameters]) -> None: ...


@frozen
class Driver:
    """A DBAPI connection and which driver it is; what hot-path functions run statements on."""

    dbapi: Any
    kind: DriverKind

    @property
    def errors(self) -> type[Exception]:
        """The base class of the driver's errors (PEP 249's `Connection.Error`, which both
        drivers provide), caught without importing the driver."""
        error: type[Exception] = self.dbapi.Error
        return error

    def rows(self, statement: Sql, parameters: Parameters) -> list[Row]:
        cursor = self.dbapi.cursor()
        try:
            cursor.execute(statement.text_for(self.kind), parameters)
            rows: list[Row] = cursor.fetchall()
            return rows
        finally:
            cursor.close()

    def first(self, statement: Sql, parameters: Parameters) -> Row | None:
        rows = self.rows(statement, parameters)
        return rows[0] if rows else None

    def execute(self, statement: Sql, parameters: Parameters) -> int:
        """Runs a statement that returns no rows; the number of rows it changed."""
        cursor = self.dbapi.cursor()
        try:
            cursor.execute(statement.text_for(self.kind), parameters)
            count: int = cursor.rowcount
            return count
        finally:
            cursor.close()

    def execute_many(self, statement: Sql, parameters: Sequence[Parameters]) -> None:
        """Runs a statement that returns no rows once per set of parameters (the driver's
        executemany: sqlite3 loops in C, psycopg pipelines)."""
        cursor = self.dbapi.cursor()
        try:
            cursor.executemany(statement.text_for(self.kind), parameters)
        finally:
            cursor.close()


def stored_timestamp(kind: DriverKind, moment: datetime | None) -> object:
    """A timestamp as the driver should be handed it: psycopg takes the aware datetime; on
    SQLite it is SQLAlchemy's text form for `DateTime`, so rows written here read back through
    SQLAlchemy like its own (`tests/store/test_driver_statements.py` holds the two together)."""
    if moment is None or kind == "postgresql":
        return moment
    return _SQLITE_TIMESTAMP % (
        moment.year,
        moment.month,
        moment.day,
        moment.hour,
        moment.minute,
        moment.second,
        moment.microsecond,
    )


def read_timestamp(value: object) -> datetime:
    """A timestamp as a driver hands it back, in UTC: psycopg's aware datetime, or on SQLite
    the naive UTC text `stored_timestamp` (SQLAlchemy's `DateTime`) wrote."""
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)
