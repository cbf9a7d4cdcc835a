"""Alembic environment: runs on the connection handed in by handyman_store.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from handyman_store.schema import metadata


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_server_default=True,
    )
    with context.begin_transaction():
        context.run_migrations()


_connection = context.config.attributes.get("connection")
if context.is_offline_mode() or not isinstance(_connection, Connection):
    raise RuntimeError(
        "handyman migrations run on a live connection: use handyman_store.migrate.upgrade(engine)"
    )
run_migrations(_connection)
