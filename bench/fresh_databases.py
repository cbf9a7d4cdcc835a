"""Empty, migrated databases on demand, one per measurement that must start from scratch.

Migrating takes longer than most measurements, so each kind migrates one template and copies
it: `CREATE DATABASE ... TEMPLATE` on PostgreSQL, a file copy on SQLite.
"""

from __future__ import annotations

import contextlib
import itertools
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Literal, Protocol

from attrs import define, field
from tests.postgres_server import DatabaseFactory

from handyman_store.database import DatabaseUrl, create_engine
from handyman_store.migrate import upgrade

Kind = Literal["postgresql", "sqlite"]


class FreshDatabases(Protocol):
    kind: Kind
    description: str

    def fresh(self) -> contextlib.AbstractContextManager[DatabaseUrl]:
        """A new migrated, empty database, removed when the block ends. Engines opened on it
        must be disposed of inside the block."""
        ...


@define
class PostgresDatabases:
    factory: DatabaseFactory
    description: str
    kind: Kind = "postgresql"

    @contextlib.contextmanager
    def fresh(self) -> Iterator[DatabaseUrl]:
        with self.factory.fresh_database() as url:
            yield DatabaseUrl.parse(url)


@define
class SqliteDatabases:
    directory: Path
    template: Path
    description: str
    kind: Kind = "sqlite"
    _counter: Iterator[int] = field(factory=itertools.count)

    @contextlib.contextmanager
    def fresh(self) -> Iterator[DatabaseUrl]:
        path = self.directory / f"fresh-{next(self._counter)}.sqlite3"
        shutil.copyfile(self.template, path)
        try:
            yield DatabaseUrl.sqlite_file(path)
        finally:
            for suffix in ("", "-wal", "-shm"):
                path.with_name(path.name + suffix).unlink(missing_ok=True)


@contextlib.contextmanager
def postgres_databases(server_url: str, description: str) -> Iterator[PostgresDatabases]:
    factory = DatabaseFactory(server_url)
    factory.create_template(lambda url: migrate(DatabaseUrl.parse(url)))
    try:
        yield PostgresDatabases(factory, description)
    finally:
        factory.drop_template()


@contextlib.contextmanager
def sqlite_databases() -> Iterator[SqliteDatabases]:
    directory = Path(tempfile.mkdtemp(prefix="handyman-bench-sqlite-"))
    try:
        template = directory / "template.sqlite3"
        migrate(DatabaseUrl.sqlite_file(template))
        description = (
            f"SQLite {sqlite3.sqlite_version} (file in {directory}; WAL, synchronous=NORMAL)"
        )
        yield SqliteDatabases(directory, template, description)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def migrate(url: DatabaseUrl) -> None:
    engine = create_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
