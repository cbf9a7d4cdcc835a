"""The store ports three ways: in memory (the fakes the use-case tests use), and the real store on
SQLite and on PostgreSQL. Suites that take `ports` run against each, so the fakes cannot drift."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import pytest
from attrs import define

from handyman_core.catalogue import Catalogue
from handyman_core.ids import ChapterId, CourseId, ProjectId, TaskId
from handyman_core.ports import (
    CatalogueStore,
    DatabaseProbe,
    PlaygroundStore,
    ProgressStore,
    RunLog,
    SegmentStore,
)
from handyman_store.catalogue_import import import_catalogue
from handyman_store.course_folder import read_course_folder
from handyman_store.database import DatabaseUrl, create_engine
from handyman_store.store import Store
from tests.conftest import EXAMPLE_COURSES
from tests.postgres_server import DatabaseFactory
from tests.service.fakes import InMemoryStore

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
EXAMPLE = read_course_folder(EXAMPLE_COURSES).catalogue
SOURCE = str(EXAMPLE_COURSES)

COURSE = CourseId("pythonstart")
CHAPTER_1 = ChapterId("pythonstart_chapter_0010")
CHAPTER_2 = ChapterId("pythonstart_chapter_0020")
CHAPTER_3 = ChapterId("pythonstart_chapter_0030")
TASKS_1 = tuple(TaskId(f"{CHAPTER_1}_task_{number:04}") for number in (10, 20, 30))
TASK = TASKS_1[0]
TASK_2 = TaskId(f"{CHAPTER_2}_task_0010")
PROJECT = ProjectId("pythonstart_word_count")


class AllPorts(
    ProgressStore, PlaygroundStore, CatalogueStore, RunLog, SegmentStore, DatabaseProbe, Protocol
):
    """What both the store facade and the in-memory fake implement."""


@define
class Ports:
    store: AllPorts
    kind: str

    def publish(self, catalogue: Catalogue = EXAMPLE, source: str = SOURCE) -> None:
        """An import: the real one for the store, its in-memory equivalent for the fake."""
        if isinstance(self.store, InMemoryStore):
            self.store.publish(catalogue, source)
        else:
            assert isinstance(self.store, Store)
            import_catalogue(self.store.engine, catalogue, source)


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_ports(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ports]:
    """The ports over nothing: no catalogue, no progress, no runs."""
    if request.param == "memory":
        yield Ports(InMemoryStore(), "memory")
        return
    if request.param == "sqlite":
        path = tmp_path / "handyman.sqlite3"
        shutil.copyfile(request.getfixturevalue("migrated_sqlite_file"), path)
        engine = create_engine(DatabaseUrl.sqlite_file(path))
        yield Ports(Store(engine), "sqlite")
        engine.dispose()
        return
    factory: DatabaseFactory = request.getfixturevalue("postgres_databases")
    with factory.fresh_database() as url:
        engine = create_engine(DatabaseUrl.parse(url))
        yield Ports(Store(engine), "postgresql")
        engine.dispose()


@pytest.fixture
def ports(empty_ports: Ports) -> Ports:
    """The ports with the example course published."""
    empty_ports.publish()
    return empty_ports
