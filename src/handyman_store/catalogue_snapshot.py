"""Read the live catalogue back from the database, for the service's in-memory snapshot.

One query per kind of item, whatever the catalogue's size; `catalogue_version` is the cheap
question a worker asks to notice that an import happened since it loaded its snapshot.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from handyman_core.catalogue import Catalogue
from handyman_core.ports import CatalogueVersion
from handyman_store import schema
from handyman_store.catalogue_rows import KINDS, Item, ItemKind


def load_catalogue(connection: Connection) -> Catalogue:
    """Every live (non-retired) item; retired ones stay in the database for their progress rows."""
    # Kind names are Catalogue's field names: each kind's live rows fill one field.
    live: dict[str, Any] = {kind.name: _live(connection, kind) for kind in KINDS}
    return Catalogue(**live)


def catalogue_version(connection: Connection) -> CatalogueVersion:
    """Grows with every import that changed something; 0 (and no source) before the first one."""
    state = schema.catalogue_state
    row = connection.execute(
        select(state.c.version, state.c.source).where(state.c.id == 1)
    ).one_or_none()
    return CatalogueVersion(0, "") if row is None else CatalogueVersion(row.version, row.source)


def _live(connection: Connection, kind: ItemKind[Item]) -> tuple[Item, ...]:
    table = schema.metadata.tables[kind.table.name]
    rows = connection.execute(select(table).where(table.c.retired.is_(False))).mappings()
    # Sorted here, not by ORDER BY: PostgreSQL's collation need not be bytewise.
    return tuple(kind.from_row(row) for row in sorted(rows, key=kind.key_of))
