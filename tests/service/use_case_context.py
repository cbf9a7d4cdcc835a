"""A use-case context over the in-memory ports: the example course, a scripted runner, a pinned
clock. No database, no threads beyond the run tracker's own."""

from __future__ import annotations

from attrs import define

from handyman_service.catalogue_cache import CatalogueCache
from handyman_service.context import ServiceContext
from handyman_service.run_tracking import RunTracker
from tests.http.conftest import ScriptedRunner
from tests.service.conftest import EXAMPLE, NOW, SOURCE
from tests.service.fakes import InMemoryStore


@define
class World:
    context: ServiceContext
    store: InMemoryStore
    runner: ScriptedRunner


def world(*, with_runner: bool = True) -> World:
    store = InMemoryStore()
    store.publish(EXAMPLE, SOURCE)
    runner = ScriptedRunner()
    tracker = RunTracker(store, runner if with_runner else None, lambda: NOW, host_id="test-host:1")
    context = ServiceContext(
        progress=store,
        playgrounds=store,
        catalogue=CatalogueCache(store, refresh_seconds=0.0),
        runs=tracker,
        database=store,
        statistics=store,
        segments=store,
        clock=lambda: NOW,
        new_salt=lambda: "test-salt",
    )
    return World(context, store, runner)
