"""Without a pre-ping per checkout, a pooled connection the server has dropped (a restart, an
idle timeout, a failover) is found out when it is used: a read or an idempotent write is tried
once more on a new connection, anything else is DatabaseUnavailable (the API's 503), and the
rest of the pool, broken alike, is replaced at once. PostgreSQL only: SQLite has no server."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import Engine

from handyman_core.ids import TaskId
from handyman_core.progress import ItemProgress
from handyman_core.run_protocol import RunResult, Verdict
from handyman_core.status import Status
from handyman_store.database import DatabaseUnavailable, DatabaseUrl, create_engine
from handyman_store.store import Store
from tests.postgres_server import DatabaseFactory
from tests.store.progress_catalogue import NOW, seed_catalogue

pytestmark = pytest.mark.postgres

USER = 7
TASK = TaskId("python_chapter_0010_task_0010")


@pytest.fixture
def postgres_store(postgres_databases: DatabaseFactory) -> Iterator[tuple[Store, str]]:
    with postgres_databases.fresh_database() as url:
        engine = create_engine(DatabaseUrl.parse(url))
        try:
            yield Store(seed_catalogue(engine)), url
        finally:
            engine.dispose()


def _drop_every_connection(url: str) -> None:
    """What a server restart does to a pool: every connection of the database is closed."""
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


def _fill_pool(engine: Engine, size: int) -> None:
    held = [engine.raw_connection() for _ in range(size)]
    for connection in held:
        connection.close()


def test_a_read_on_a_dropped_connection_is_answered_from_a_new_one(
    postgres_store: tuple[Store, str],
) -> None:
    store, url = postgres_store
    store.save_task(USER, TASK, "draft")
    _fill_pool(store.engine, 3)
    _drop_every_connection(url)
    assert store.task_item(USER, TASK) == ItemProgress(Status.IN_PROGRESS, 0, "draft")


def test_a_save_on_a_dropped_connection_is_written_on_a_new_one(
    postgres_store: tuple[Store, str],
) -> None:
    store, url = postgres_store
    _fill_pool(store.engine, 3)
    _drop_every_connection(url)
    store.save_task(USER, TASK, "after the restart")
    assert store.task_item(USER, TASK) == ItemProgress(Status.IN_PROGRESS, 0, "after the restart")


def test_a_run_on_a_dropped_connection_is_unavailable_and_the_next_one_is_recorded(
    postgres_store: tuple[Store, str],
) -> None:
    store, url = postgres_store
    _fill_pool(store.engine, 3)
    _drop_every_connection(url)
    with pytest.raises(DatabaseUnavailable):
        store.record_task_run(USER, TASK, "lost?", RunResult(Verdict.PASSED), now=NOW)
    store.record_task_run(USER, TASK, "recorded", RunResult(Verdict.PASSED), now=NOW)
    assert store.task_item(USER, TASK) == ItemProgress(Status.COMPLETED, 1, "recorded")
