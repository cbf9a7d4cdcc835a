"""The PostgreSQL server a benchmark run uses: the one HANDYMAN_BENCH_DATABASE_URL names, else a
private server started for the run and removed after it.

The private server is the test suite's (tests/postgres_server.py), started with production-like
settings instead of the suite's: the suite turns fsync and synchronous commit off for speed, but
commit latency belongs in what a write benchmark measures, and a production server keeps both
on. shared_buffers is raised so the benchmark's tables fit, as they would on a real server, and
pg_stat_statements is loaded so that reports can count the statements each request costs.
Benchmarks only create and drop databases of their own on an external server.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from unittest import mock

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from tests.postgres_server import SERVER_SETTINGS, find_postgres_binaries, running_postgres_server

from bench.errors import BenchmarkError

BENCH_DATABASE_VARIABLE = "HANDYMAN_BENCH_DATABASE_URL"
PRODUCTION_LIKE_SETTINGS = {
    "fsync": "on",
    "synchronous_commit": "on",
    "full_page_writes": "on",
    "shared_buffers": "256MB",
    "shared_preload_libraries": "pg_stat_statements",
    "pg_stat_statements.track_utility": "on",
    "pg_stat_statements.max": "10000",
}
REPORTED_SETTINGS = ("fsync", "synchronous_commit", "shared_buffers")


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """A server URL (superuser or CREATEDB rights); a private server lives as long as the block."""
    external = os.environ.get(BENCH_DATABASE_VARIABLE)
    if external:
        yield external
        return
    binaries = find_postgres_binaries()
    if binaries is None:
        raise BenchmarkError(
            "no PostgreSQL server binaries (initdb, postgres) on this machine: install the "
            f"postgresql package, or set {BENCH_DATABASE_VARIABLE} to a server where the "
            "benchmark may create databases"
        )
    with (
        mock.patch.dict(SERVER_SETTINGS, PRODUCTION_LIKE_SETTINGS),
        running_postgres_server(binaries) as url,
    ):
        yield url


def describe_server(url: str) -> str:
    """Version and the settings that move the numbers, e.g. for a report header."""
    engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            version = connection.execute(text("SHOW server_version")).scalar_one()
            settings = [
                f"{name}={connection.execute(text(f'SHOW {name}')).scalar_one()}"
                for name in REPORTED_SETTINGS
            ]
    finally:
        engine.dispose()
    origin = "external" if os.environ.get(BENCH_DATABASE_VARIABLE) else "private"
    return f"PostgreSQL {version} ({origin} server; {', '.join(settings)})"
