"""Workers serve the catalogue from memory and pick up a new import without a restart."""

from __future__ import annotations

import attrs
from sqlalchemy import Engine

from handyman_service.catalogue_cache import CatalogueCache
from handyman_store.catalogue_import import import_catalogue
from handyman_store.course_folder import read_course_folder
from handyman_store.store import Store
from tests.conftest import EXAMPLE_COURSES


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def import_example(engine: Engine, title: str | None = None) -> None:
    catalogue = read_course_folder(EXAMPLE_COURSES).catalogue
    if title is not None:
        course = attrs.evolve(catalogue.courses[0], title=title)
        catalogue = attrs.evolve(catalogue, courses=(course,))
    import_catalogue(engine, catalogue, str(EXAMPLE_COURSES))


def test_a_new_import_is_served_once_the_refresh_interval_has_passed(engine: Engine) -> None:
    import_example(engine)
    clock = Clock()
    cache = CatalogueCache(Store(engine), refresh_seconds=1.0, monotonic=clock)
    assert cache.current().courses[0].title != "Renamed"
    import_example(engine, title="Renamed")
    clock.now = 1.5
    assert cache.current().courses[0].title == "Renamed"


def test_within_the_refresh_interval_the_database_is_not_asked_again(engine: Engine) -> None:
    import_example(engine)
    clock = Clock()
    cache = CatalogueCache(Store(engine), refresh_seconds=1.0, monotonic=clock)
    first = cache.current()
    import_example(engine, title="Renamed")
    clock.now = 0.5
    assert cache.current() is first


def test_an_unchanged_version_keeps_the_same_snapshot(engine: Engine) -> None:
    import_example(engine)
    clock = Clock()
    cache = CatalogueCache(Store(engine), refresh_seconds=1.0, monotonic=clock)
    first = cache.current()
    clock.now = 5.0
    assert cache.current() is first


def test_the_served_source_is_the_imported_folder(engine: Engine) -> None:
    import_example(engine)
    assert CatalogueCache(Store(engine)).source() == str(EXAMPLE_COURSES)
