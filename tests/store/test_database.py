"""Database selection: URL parsing, engine setup per database kind, one clear error for every way
the configured database can be unusable, and the per-user write lock."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import platformdirs
import pytest
from sqlalchemy import Connection, Engine, event, text

from handyman_store.database import (
    DatabaseUnavailable,
    DatabaseUrl,
    check,
    create_engine,
    default_database_url,
    user_write_lock,
)
from tests.loopback import free_port
from tests.postgres_server import DatabaseFactory


def test_a_postgresql_url_is_served_by_psycopg() -> None:
    url = DatabaseUrl.parse("postgresql://handyman:secret@db.example:6543/courses")

    assert url.kind == "postgresql"
    assert url.url.drivername == "postgresql+psycopg"
    assert (url.url.host, url.url.port, url.url.database) == ("db.example", 6543, "courses")


def test_the_password_never_shows_when_a_url_is_printed() -> None:
    url = DatabaseUrl.parse("postgresql://handyman:secret@db.example/courses")

    assert "secret" not in str(url)


def test_a_sqlite_url_may_name_an_absolute_path() -> None:
    assert DatabaseUrl.parse("sqlite:////var/lib/handyman/db.sqlite3").sqlite_path == Path(
        "/var/lib/handyman/db.sqlite3"
    )


def test_a_sqlite_url_may_name_a_relative_path() -> None:
    assert DatabaseUrl.parse("sqlite:///data/db.sqlite3").sqlite_path == Path("data/db.sqlite3")


def test_a_sqlite_url_without_a_path_is_an_in_memory_database() -> None:
    url = DatabaseUrl.parse("sqlite://")

    assert url.kind == "sqlite"
    assert url.is_in_memory


def test_the_default_database_is_a_sqlite_file_in_the_user_data_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))

    url = default_database_url()

    assert url.kind == "sqlite"
    assert url.sqlite_path == Path(platformdirs.user_data_dir("handyman")) / "handyman.sqlite3"


def test_the_default_database_is_usable_on_a_first_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "fresh-home"))

    engine = create_engine(default_database_url())
    engine.dispose()


@pytest.mark.parametrize(
    "value", ["mysql://user:pw@host/db", "oracle://host/db", "http://example.com/db"]
)
def test_an_unknown_scheme_is_refused_with_a_clear_message(value: str) -> None:
    with pytest.raises(DatabaseUnavailable, match="unsupported database scheme"):
        DatabaseUrl.parse(value)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "not a url",
        "postgresql://user:pw@host:notaport/db",
        "postgresql://user:pw@host:70000/db",
        "postgresql://user:pw@/db",
        "postgresql://user:pw@host",
        "sqlite://somehost/db.sqlite3",
    ],
)
def test_a_malformed_url_is_refused_without_revealing_its_password(value: str) -> None:
    with pytest.raises(DatabaseUnavailable) as raised:
        DatabaseUrl.parse(value)

    assert "pw" not in raised.value.message


def test_a_refused_connection_is_reported_as_unavailable() -> None:
    url = DatabaseUrl.parse(f"postgresql://handyman@127.0.0.1:{free_port()}/courses")

    with pytest.raises(DatabaseUnavailable, match=r"(?i)connection refused"):
        create_engine(url)


def test_a_sqlite_file_in_a_missing_directory_is_reported_as_unavailable(tmp_path: Path) -> None:
    url = DatabaseUrl.sqlite_file(tmp_path / "missing" / "handyman.sqlite3")

    with pytest.raises(DatabaseUnavailable, match="does not exist"):
        create_engine(url)


def test_check_passes_on_a_reachable_database(engine: Engine) -> None:
    check(engine)


def test_check_reports_a_database_that_went_away(tmp_path: Path) -> None:
    directory = tmp_path / "gone"
    directory.mkdir()
    engine = create_engine(DatabaseUrl.sqlite_file(directory / "handyman.sqlite3"))
    engine.dispose()
    directory.rename(tmp_path / "moved")
    try:
        with pytest.raises(DatabaseUnavailable, match="cannot use the database"):
            check(engine)
    finally:
        engine.dispose()


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine(DatabaseUrl.sqlite_file(tmp_path / "handyman.sqlite3"))
    yield engine
    engine.dispose()


def test_sqlite_runs_in_wal_mode_with_foreign_keys_enforced(sqlite_engine: Engine) -> None:
    with sqlite_engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000


def test_sqlite_transactions_take_the_write_lock_when_they_begin(sqlite_engine: Engine) -> None:
    statements: list[str] = []
    event.listen(sqlite_engine, "before_cursor_execute", _recorder(statements))

    with sqlite_engine.begin() as connection:
        connection.execute(text("SELECT 1"))

    assert statements[0] == "BEGIN IMMEDIATE"


def test_concurrent_read_then_write_transactions_on_sqlite_neither_fail_nor_lose_updates(
    sqlite_engine: Engine,
) -> None:
    with sqlite_engine.begin() as connection:
        connection.execute(text("CREATE TABLE counter (value INTEGER NOT NULL)"))
        connection.execute(text("INSERT INTO counter VALUES (0)"))
    failures: list[BaseException] = []

    def increment_repeatedly() -> None:
        try:
            for _ in range(25):
                with sqlite_engine.begin() as connection:
                    value = connection.execute(text("SELECT value FROM counter")).scalar_one()
                    connection.execute(text("UPDATE counter SET value = :v"), {"v": value + 1})
        except BaseException as error:
            failures.append(error)

    workers = [threading.Thread(target=increment_repeatedly) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert failures == []
    with sqlite_engine.connect() as connection:
        assert connection.execute(text("SELECT value FROM counter")).scalar_one() == 100


def _recorder(statements: list[str]) -> Callable[..., None]:
    def record(_connection: Connection, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    return record


def _holds_lock_elsewhere(engine: Engine, user_id: int) -> bool:
    """Whether another session can take `user_id`'s lock right now (without waiting)."""
    with engine.begin() as connection:
        return not connection.execute(
            text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": user_id}
        ).scalar_one()


@pytest.mark.postgres
def test_user_write_lock_holds_every_named_user_until_the_transaction_ends(
    postgres_engine: Engine,
) -> None:
    with postgres_engine.begin() as connection:
        user_write_lock(connection, [7, 3])

        assert _holds_lock_elsewhere(postgres_engine, 3)
        assert _holds_lock_elsewhere(postgres_engine, 7)
        assert not _holds_lock_elsewhere(postgres_engine, 5)

    assert not _holds_lock_elsewhere(postgres_engine, 3)
    assert not _holds_lock_elsewhere(postgres_engine, 7)


@pytest.mark.postgres
def test_user_write_lock_takes_the_locks_in_ascending_order_once_each(
    postgres_engine: Engine,
) -> None:
    keys: list[int] = []

    def record(
        _c: Connection, _cur: object, _s: str, parameters: dict[str, int], *_a: object
    ) -> None:
        keys.append(parameters["key"])

    event.listen(postgres_engine, "before_cursor_execute", record)
    with postgres_engine.begin() as connection:
        user_write_lock(connection, (9, 3, 5, 3))

    assert keys == [3, 5, 9]


@pytest.mark.postgres
def test_writers_locking_the_same_users_in_opposite_orders_do_not_deadlock(
    postgres_engine: Engine,
) -> None:
    failures: list[BaseException] = []

    def lock_repeatedly(user_ids: tuple[int, int]) -> None:
        try:
            for _ in range(30):
                with postgres_engine.begin() as connection:
                    user_write_lock(connection, user_ids)
                    connection.execute(text("SELECT pg_sleep(0.001)"))
        except BaseException as error:
            failures.append(error)

    workers = [
        threading.Thread(target=lock_repeatedly, args=(users,)) for users in [(1, 2), (2, 1)]
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert failures == []


def test_user_write_lock_on_sqlite_issues_no_statement(sqlite_engine: Engine) -> None:
    statements: list[str] = []
    with sqlite_engine.begin() as connection:
        event.listen(sqlite_engine, "before_cursor_execute", _recorder(statements))
        user_write_lock(connection, [1, 2])

    assert statements == []


@pytest.fixture
def postgres_engine(postgres_databases: DatabaseFactory) -> Iterator[Engine]:
    with postgres_databases.fresh_database() as url:
        engine = create_engine(DatabaseUrl.parse(url))
        yield engine
        engine.dispose()
