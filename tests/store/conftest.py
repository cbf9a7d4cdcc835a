"""Fixtures the store's tests share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from handyman_store.database import DatabaseUrl, create_engine
from tests.postgres_server import DatabaseFactory
from tests.store.progress_catalogue import seed_catalogue


@pytest.fixture
def seeded_postgres(postgres_databases: DatabaseFactory) -> Iterator[Engine]:
    """A fresh PostgreSQL database holding the progress catalogue, for what only PostgreSQL
    does (prepared statements, concurrent writers under advisory locks)."""
    with postgres_databases.fresh_database() as url:
        engine = create_engine(DatabaseUrl.parse(url))
        try:
            yield seed_catalogue(engine)
        finally:
            engine.dispose()
