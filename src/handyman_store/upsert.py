"""`INSERT ... ON CONFLICT` for the two databases we support.

SQLAlchemy offers the clause only on the dialect-specific insert constructs, which differ by
class but not by the keyword arguments we use (`index_elements`, `set_`), so writers pick the
construct for their connection here and stay dialect-agnostic otherwise.
"""

from __future__ import annotations

from sqlalchemy import Column, Connection, Table
from sqlalchemy.dialects import postgresql, sqlite

ConflictInsert = postgresql.Insert | sqlite.Insert


def conflict_insert(connection: Connection, table: Table) -> ConflictInsert:
    """An INSERT into `table` that supports `on_conflict_do_update` / `on_conflict_do_nothing`."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"no INSERT ... ON CONFLICT support for the {dialect} dialect")


def primary_key(table: Table) -> list[Column[object]]:
    """The conflict target of an upsert: the row's primary key."""
    return list(table.primary_key.columns)
