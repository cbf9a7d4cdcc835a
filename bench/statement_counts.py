"""Statements the database executed for a load, from pg_stat_statements.

The private benchmark server preloads the extension (see bench.postgres); it counts every
statement a backend executes, BEGIN and COMMIT included (`track_utility`), per database. Each
side of a benchmark has a database of its own, so the difference between two snapshots of that
database's counters is exactly what the server under load asked for.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator

import psycopg
from attrs import frozen
from sqlalchemy.engine import make_url

from bench.errors import BenchmarkError
from bench.processes import process_stat


@frozen
class StatementSnapshot:
    calls: Counter[str]
    """Executions per normalised statement text."""

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def since(self, earlier: StatementSnapshot) -> Counter[str]:
        difference = Counter(self.calls)
        difference.subtract(earlier.calls)
        return +difference


class StatementCounter:
    """Snapshots of one server's pg_stat_statements, from a connection to its maintenance
    database (so the counting itself is never counted in the databases under test)."""

    def __init__(self, server_url: str) -> None:
        url = make_url(server_url).set(drivername="postgresql", database="postgres")
        self._connection = psycopg.connect(
            url.render_as_string(hide_password=False), autocommit=True
        )
        try:
            self._connection.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            self._connection.execute("SELECT count(*) FROM pg_stat_statements").fetchone()
        except psycopg.Error as error:
            self._connection.close()
            raise BenchmarkError(
                "pg_stat_statements is not usable on the benchmark server (it must be in "
                f"shared_preload_libraries): {error}"
            ) from error

    def snapshot(self, database: str) -> StatementSnapshot:
        rows = self._connection.execute(
            "SELECT query, sum(calls)::bigint FROM pg_stat_statements s "
            "JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = %s GROUP BY query",
            (database,),
        ).fetchall()
        return StatementSnapshot(Counter({query: int(calls) for query, calls in rows}))

    def close(self) -> None:
        self._connection.close()


@contextlib.contextmanager
def statement_counter(server_url: str) -> Iterator[StatementCounter]:
    counter = StatementCounter(server_url)
    try:
        yield counter
    finally:
        counter.close()


def postmaster_pid(server_url: str) -> int | None:
    """The server's postmaster, when it runs on this machine: a backend's parent."""
    url = make_url(server_url).set(drivername="postgresql", database="postgres")
    with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as conn:
        row = conn.execute("SELECT pg_backend_pid()").fetchone()
    assert row is not None
    backend = process_stat(int(row[0]))
    if backend is None:
        return None
    return backend.parent
