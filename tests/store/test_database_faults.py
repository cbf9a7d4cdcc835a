"""A database that stops, freezes or runs out of connections is reported as unavailable within
seconds, and used again as soon as it answers: on a private PostgreSQL server the tests stop,
start and freeze themselves."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

from handyman_store.database import (
    DatabaseTimeouts,
    DatabaseUnavailable,
    DatabaseUrl,
    create_engine,
    database_failure,
)
from handyman_store.driver_sql import Sql, read
from handyman_store.store import Store
from tests.postgres_server import FaultyServer

pytestmark = pytest.mark.postgres

QUICK = DatabaseTimeouts(connect_s=2.0, statement_s=0.5, answer_grace_s=0.5, pool_checkout_s=0.5)
SLACK_S = 1.0
"""What a loaded 2-core machine may add to a timeout before the test calls it a hang."""


@contextlib.contextmanager
def serving_engine(server: FaultyServer, timeouts: DatabaseTimeouts = QUICK) -> Iterator[Engine]:
    engine = create_engine(DatabaseUrl.parse(server.database_url), verify=False, timeouts=timeouts)
    try:
        yield engine
    finally:
        engine.dispose()


def select_one(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT 1")).scalar_one())


def failure_of(engine: Engine, statement: str = "SELECT 1") -> tuple[DatabaseUnavailable, float]:
    """The failure a statement ends with, as the HTTP layer sees it, and how long it took."""
    started = time.monotonic()
    try:
        with engine.connect() as connection:
            connection.execute(text(statement))
    except SQLAlchemyError as error:
        elapsed = time.monotonic() - started
        failure = database_failure(error)
        assert failure is not None, f"not recognised as the database being unavailable: {error!r}"
        return failure, elapsed
    raise AssertionError(f"{statement!r} succeeded")


def test_a_stopped_database_is_unavailable_not_an_unexpected_error(
    faulty_postgres: FaultyServer,
) -> None:
    with serving_engine(faulty_postgres) as engine:
        select_one(engine)
        faulty_postgres.halt()

        failure, _ = failure_of(engine)

    assert failure.dependency == "database"
    assert "SELECT" not in failure.message


def test_a_database_that_comes_back_is_used_again_at_once(faulty_postgres: FaultyServer) -> None:
    with serving_engine(faulty_postgres) as engine:
        select_one(engine)
        faulty_postgres.halt()
        failure_of(engine)
        faulty_postgres.resume()

        assert select_one(engine) == 1


def test_a_frozen_database_ends_a_statement_on_a_pooled_connection_within_its_limit(
    faulty_postgres: FaultyServer,
) -> None:
    with serving_engine(faulty_postgres) as engine, engine.connect() as connection:
        connection.execute(text("SELECT 1"))
        faulty_postgres.freeze()
        started = time.monotonic()
        with pytest.raises(SQLAlchemyError) as raised:
            connection.execute(text("SELECT 2"))
        elapsed = time.monotonic() - started

    assert database_failure(raised.value) is not None
    assert QUICK.answer_limit_s is not None
    assert elapsed < QUICK.answer_limit_s + SLACK_S


def test_a_frozen_database_ends_a_new_connection_within_the_connect_timeout(
    faulty_postgres: FaultyServer,
) -> None:
    with serving_engine(faulty_postgres) as engine:
        faulty_postgres.freeze()

        _, elapsed = failure_of(engine)

    assert elapsed < QUICK.connect_s + SLACK_S


def test_a_frozen_database_answers_a_checkout_with_default_timeouts_in_under_five_seconds(
    faulty_postgres: FaultyServer,
) -> None:
    """The worst case of a request: a pooled connection that no longer answers (closed after the
    answer limit), then a new connection that is not answered either."""
    with serving_engine(faulty_postgres, DatabaseTimeouts()) as engine:
        select_one(engine)
        faulty_postgres.freeze()

        _, elapsed = failure_of(engine)

    assert elapsed < 5.0


def test_a_thawed_database_is_used_again_within_a_fraction_of_a_second(
    faulty_postgres: FaultyServer,
) -> None:
    with serving_engine(faulty_postgres) as engine:
        select_one(engine)
        faulty_postgres.freeze()
        failure_of(engine)
        faulty_postgres.thaw()
        started = time.monotonic()

        assert select_one(engine) == 1
        assert time.monotonic() - started < 0.3 + SLACK_S


def test_a_statement_over_the_statement_timeout_is_cancelled_by_the_server(
    faulty_postgres: FaultyServer,
) -> None:
    with serving_engine(faulty_postgres) as engine:
        failure, elapsed = failure_of(engine, "SELECT pg_sleep(10)")

        assert "statement timeout" in failure.message
        assert QUICK.statement_s is not None
        assert elapsed < QUICK.statement_s + SLACK_S
        assert select_one(engine) == 1


def test_no_free_pooled_connection_within_the_checkout_timeout_is_unavailable(
    faulty_postgres: FaultyServer,
) -> None:
    with serving_engine(faulty_postgres) as engine, contextlib.ExitStack() as held:
        pool_capacity = engine.pool.size() + engine.pool._max_overflow  # type: ignore[attr-defined]
        connections: list[Connection] = [
            held.enter_context(engine.connect()) for _ in range(pool_capacity)
        ]
        for connection in connections:
            connection.execute(text("SELECT 1"))

        failure, elapsed = failure_of(engine)

    assert "no database connection" in failure.message
    assert elapsed < QUICK.pool_checkout_s + SLACK_S


def test_a_hot_path_read_on_a_frozen_database_is_not_retried_into_a_second_wait(
    faulty_postgres: FaultyServer,
) -> None:
    """A read on a broken connection is tried once more; one the server did not answer is not:
    the new connection would not be answered either."""
    select = Sql.of("SELECT 1")
    with serving_engine(faulty_postgres) as engine:
        assert read(engine, lambda driver: driver.rows(select, {})) == [(1,)]
        faulty_postgres.freeze()
        started = time.monotonic()
        with pytest.raises(DatabaseUnavailable):
            read(engine, lambda driver: driver.rows(select, {}))
        elapsed = time.monotonic() - started

    assert QUICK.answer_limit_s is not None
    assert elapsed < QUICK.answer_limit_s + SLACK_S


def test_a_hot_path_read_after_a_restart_succeeds_on_a_connection_that_sat_in_the_pool(
    faulty_postgres: FaultyServer,
) -> None:
    """A restart ends every pooled session ("terminating connection due to administrator
    command"); the first read of each worker afterwards must not be a 503."""
    select = Sql.of("SELECT 1")
    with serving_engine(faulty_postgres) as engine:
        assert read(engine, lambda driver: driver.rows(select, {})) == [(1,)]
        faulty_postgres.halt()
        faulty_postgres.resume()

        assert read(engine, lambda driver: driver.rows(select, {})) == [(1,)]


def test_the_catalogue_version_is_read_after_a_restart_on_a_connection_that_sat_in_the_pool(
    faulty_postgres: FaultyServer,
) -> None:
    """The catalogue check is each worker's first read after a restart; it must not be a 503."""
    with serving_engine(faulty_postgres) as engine:
        store = Store(engine)
        version = store.catalogue_version()
        faulty_postgres.halt()
        faulty_postgres.resume()

        assert store.catalogue_version() == version


def test_a_driver_error_raised_unwrapped_is_recognised_too(faulty_postgres: FaultyServer) -> None:
    """`Engine.raw_connection()` raises the driver's own exceptions, not SQLAlchemy's."""
    with serving_engine(faulty_postgres) as engine:
        faulty_postgres.freeze()
        with pytest.raises(psycopg.OperationalError) as raised:
            engine.raw_connection()

    assert database_failure(raised.value) is not None


def test_an_error_in_the_statement_itself_is_not_unavailability(
    faulty_postgres: FaultyServer,
) -> None:
    with (
        serving_engine(faulty_postgres) as engine,
        engine.connect() as connection,
        pytest.raises(SQLAlchemyError) as raised,
    ):
        connection.execute(text("SELECT * FROM no_such_table"))

    assert database_failure(raised.value) is None


def test_serving_timeouts_are_read_from_the_environment() -> None:
    timeouts = DatabaseTimeouts.from_environment(
        {
            "HANDYMAN_DB_CONNECT_TIMEOUT": "3",
            "HANDYMAN_DB_STATEMENT_TIMEOUT": "0",
            "HANDYMAN_DB_POOL_TIMEOUT": "1.5",
        }
    )

    assert (timeouts.connect_s, timeouts.statement_s, timeouts.pool_checkout_s) == (3, None, 1.5)
    assert timeouts.answer_limit_s is None


@pytest.mark.parametrize("value", ["soon", "-1", "inf", "nan"])
def test_a_timeout_that_is_not_a_number_of_seconds_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="HANDYMAN_DB_STATEMENT_TIMEOUT"):
        DatabaseTimeouts.from_environment({"HANDYMAN_DB_STATEMENT_TIMEOUT": value})
