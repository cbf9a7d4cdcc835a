"""Shared fixtures. Tests that need something the machine lacks skip with a reason, except
under CI=true, where a missing prerequisite is a failure: nothing may silently skip in CI."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import Engine

from handyman_store.database import DatabaseUrl, create_engine
from handyman_store.migrate import upgrade
from tests.postgres_server import (
    DatabaseFactory,
    FaultyServer,
    faulty_postgres_server,
    find_postgres_binaries,
    running_postgres_server,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
REAL_CATALOGUE = Path(
    os.environ.get("HANDYMAN_TEST_REAL_CATALOGUE")
    or PROJECT_ROOT.parent / "shared" / "courses" / "senjun"
)
"""Beside the development checkout; HANDYMAN_TEST_REAL_CATALOGUE names it from elsewhere
(a second worktree, a CI cache)."""
EXAMPLE_COURSES = PROJECT_ROOT / "examples" / "courses"

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

settings.register_profile(
    "ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile("ci" if IN_CI else "dev")


def require(condition: bool, reason: str) -> None:
    """Skip when a prerequisite is missing on a developer's machine; fail in CI."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"prerequisite missing in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def real_catalogue_path() -> Path:
    require(
        REAL_CATALOGUE.is_dir(),
        f"the real course catalogue is not at {REAL_CATALOGUE} (it exists only beside the "
        "project's development checkout; HANDYMAN_TEST_REAL_CATALOGUE names another place)",
    )
    return REAL_CATALOGUE


@pytest.fixture(scope="session")
def example_courses_path() -> Path:
    return EXAMPLE_COURSES


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A run that collected no test is a broken run, not a green one."""
    if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL database for this run: HANDYMAN_TEST_DATABASE_URL when set, else a server
    started from the machine's PostgreSQL binaries and removed at the end of the run."""
    external = os.environ.get("HANDYMAN_TEST_DATABASE_URL")
    if external:
        yield external
        return
    binaries = find_postgres_binaries()
    require(
        binaries is not None,
        "no PostgreSQL server binaries (initdb, postgres) on this machine: install postgresql "
        "or set HANDYMAN_TEST_DATABASE_URL",
    )
    assert binaries is not None
    with running_postgres_server(binaries) as url:
        yield url


@pytest.fixture(scope="session")
def faulty_postgres_session() -> Iterator[FaultyServer]:
    binaries = find_postgres_binaries()
    require(
        binaries is not None,
        "the database fault tests start, stop and freeze a PostgreSQL server of their own: "
        "install postgresql (its server binaries)",
    )
    assert binaries is not None
    with faulty_postgres_server(binaries) as server:
        _migrate(DatabaseUrl.parse(server.database_url))
        yield server


@pytest.fixture
def faulty_postgres(faulty_postgres_session: FaultyServer) -> Iterator[FaultyServer]:
    """A migrated PostgreSQL database on a server of its own that the test may stop, start and
    freeze; it is running and thawed again after the test."""
    yield faulty_postgres_session
    faulty_postgres_session.thaw()
    faulty_postgres_session.ensure_running()


@pytest.fixture(scope="session")
def postgres_databases(postgres_url: str) -> Iterator[DatabaseFactory]:
    factory = DatabaseFactory(postgres_url)
    factory.create_template(lambda url: _migrate(DatabaseUrl.parse(url)))
    yield factory
    factory.drop_template()


@pytest.fixture(scope="session")
def migrated_sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "handyman.sqlite3"
    _migrate(DatabaseUrl.sqlite_file(path))
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DatabaseUrl]:
    """The location of a freshly migrated, empty database of each kind, one per test."""
    if request.param == "sqlite":
        path = tmp_path / "handyman.sqlite3"
        shutil.copyfile(request.getfixturevalue("migrated_sqlite_file"), path)
        yield DatabaseUrl.sqlite_file(path)
        return
    factory: DatabaseFactory = request.getfixturevalue("postgres_databases")
    with factory.fresh_database() as url:
        yield DatabaseUrl.parse(url)


@pytest.fixture
def engine(database_url: DatabaseUrl) -> Iterator[Engine]:
    """An engine on a freshly migrated, empty database; runs once on SQLite, once on PostgreSQL."""
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


def _migrate(url: DatabaseUrl) -> None:
    engine = create_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
