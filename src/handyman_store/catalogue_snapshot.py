"""Read the live catalogue back from the database, for the service's in-memory snapshot.

One query per kind of item, whatever the catalogue's size; `catalogue_version` is the cheap
question a worker asks to notice that an import happened since it loaded its snapshot.
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from handyman_core.catalogue import Catalogue
from handyman_store import schema
from handyman_store.catalogue_rows import (
    CHAPTERS,
    COURSES,
    EXAMPLES,
    PROJECTS,
    TASKS,
    Item,
    ItemKind,
)


def load_catalogue(connection: Connection) -> Catalogue:
    """Every live (non-retired) item; retired ones stay in the database for their progress rows."""
    return Catalogue(
        courses=_live(connection, COURSES),
        chapters=_live(connection, CHAPTERS),
        tasks=_live(connection, TASKS),
        examples=_live(connection, EXAMPLES),
        projects=_live(connection, PROJECTS),
    )


def catalogue_version(connection: Connection) -> int:
    """Grows with every import that changed something; 0 before the first one."""
    state = schema.catalogue_state
    version: int | None = connection.execute(
        select(state.c.version).where(state.c.id == 1)
    ).scalar_one_or_none()
    return version or 0


def _live(connection: Connection, kind: ItemKind[Item]) -> tuple[Item, ...]:
    table = kind.table
    rows = connection.execute(select(table).where(table.c.retired.is_(False))).mappings()
    return tuple(kind.from_row(row) for row in rows)
