"""Whether a database's schema is already at the packaged head, answered without alembic.

Importing alembic and loading its revision scripts takes longer than a whole unchanged catalogue
import, and nearly every start of `handyman serve` or `import-courses` finds the schema up to
date. The head is read from the revision files themselves (each names its `revision` and its
`down_revision`; the head is the one no other names), the database's from `alembic_version`;
only when they differ, or either cannot be told, does alembic run (`migrate.upgrade`).
`tests/store/test_migrations.py` holds this reading to alembic's own. The module imports no
SQLAlchemy itself: `handyman import-courses` asks the driver (`driver_revision`) and loads
SQLAlchemy and alembic only for a database that needs upgrading.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import TYPE_CHECKING

from handyman_store.driver_statements import Driver, Sql

if TYPE_CHECKING:
    from sqlalchemy import Engine

VERSIONS_DIR = Path(__file__).resolve().parent / "migrations" / "versions"
_ASSIGNMENT = r"^{name}\s*(?::[^=\n]*)?=\s*(?:None|[\"']([^\"']+)[\"'])\s*$"
_REVISION = re.compile(_ASSIGNMENT.format(name="revision"), re.MULTILINE)
_DOWN_REVISION = re.compile(_ASSIGNMENT.format(name="down_revision"), re.MULTILINE)


def packaged_head() -> str | None:
    """The one revision no other revision builds on, or None when that cannot be told from
    the files (no revision, several heads, a merge revision)."""
    revisions: set[str] = set()
    built_on: set[str] = set()
    for script in VERSIONS_DIR.glob("*.py"):
        text = script.read_text(encoding="utf-8")
        revision, down = _REVISION.search(text), _DOWN_REVISION.search(text)
        if revision is None or revision[1] is None or down is None:
            return None
        revisions.add(revision[1])
        if down[1] is not None:
            built_on.add(down[1])
    heads = revisions - built_on
    return next(iter(heads)) if len(heads) == 1 else None


_REVISION_QUERY = "SELECT version_num FROM alembic_version"


def database_revision(engine: Engine) -> str | None:
    """What `alembic_version` says, or None (never migrated, or unreadable)."""
    from sqlalchemy.exc import DBAPIError  # noqa: PLC0415

    try:
        with engine.connect() as connection:
            rows = connection.exec_driver_sql(_REVISION_QUERY).all()
    except DBAPIError:
        return None
    return str(rows[0][0]) if len(rows) == 1 else None


def driver_revision(driver: Driver) -> str | None:
    """`database_revision` on a driver connection in autocommit (see `driver_connection`)."""
    try:
        rows = driver.rows(Sql.of(_REVISION_QUERY), {})
    except driver.errors:
        return None
    return str(rows[0][0]) if len(rows) == 1 else None


def at_head(revision: str | None) -> bool:
    """Whether a database at `revision` needs no upgrade."""
    head = packaged_head()
    return head is not None and revision == head


def upgrade_if_behind(engine: Engine) -> None:
    """`migrate.upgrade(engine)` unless the database is known to be at the packaged head."""
    if at_head(database_revision(engine)):
        return
    migrate = importlib.import_module("handyman_store.migrate")
    migrate.upgrade(engine)
