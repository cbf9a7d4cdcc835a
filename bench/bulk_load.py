"""Loading generated progress rows fast: COPY on PostgreSQL, big executemany batches on SQLite.

Half a million rows one INSERT at a time would take minutes and measure nothing we care about.
"""

from __future__ import annotations

from typing import cast

import psycopg
from sqlalchemy import Engine

from bench.datasets import COLUMNS, ProgressRows

SQLITE_BATCH = 50_000


def load_rows(engine: Engine, rows: ProgressRows) -> None:
    """Insert every row in one transaction."""
    if engine.dialect.name == "postgresql":
        _copy(engine, rows)
    else:
        _insert_batches(engine, rows)


def settle(engine: Engine) -> None:
    """Bring PostgreSQL's statistics and visibility map to where autovacuum would have them a
    minute after a bulk load, so the planner sees the tables a long-running service has.
    SQLite gathers no statistics unless asked, and a deployment does not ask, so neither do we."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in COLUMNS:
            connection.exec_driver_sql(f"VACUUM ANALYZE {table}")


def _copy(engine: Engine, rows: ProgressRows) -> None:
    proxied = engine.raw_connection()
    try:
        connection = cast("psycopg.Connection[tuple[object, ...]]", proxied.driver_connection)
        with connection.cursor() as cursor:
            for table, table_rows in rows.by_table():
                columns = ", ".join(COLUMNS[table.name])
                with cursor.copy(f"COPY {table.name} ({columns}) FROM STDIN") as copy:
                    for row in table_rows:
                        copy.write_row(row)
        connection.commit()
    finally:
        proxied.close()


def _insert_batches(engine: Engine, rows: ProgressRows) -> None:
    with engine.begin() as connection:
        for table, table_rows in rows.by_table():
            columns = COLUMNS[table.name]
            statement = (
                f"INSERT INTO {table.name} ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' for _ in columns)})"
            )
            for start in range(0, len(table_rows), SQLITE_BATCH):
                connection.exec_driver_sql(statement, table_rows[start : start + SQLITE_BATCH])
