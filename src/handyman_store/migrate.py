"""Bring a database's schema up to date with the alembic revisions shipped in this package.

The alembic configuration is built in code (no alembic.ini), so an installed wheel can migrate
whatever database it is pointed at. To write a new revision during development:
`command.revision(alembic_config(connection), message=..., autogenerate=True)` against a database
at head, then edit the generated file by hand.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

from handyman_store.database import migration_lock

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic settings pointing at the packaged revisions; `connection` is what env.py uses."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply every pending revision up to `revision`, in one transaction."""
    with engine.begin() as connection:
        migration_lock(connection)
        command.upgrade(alembic_config(connection), revision)


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
