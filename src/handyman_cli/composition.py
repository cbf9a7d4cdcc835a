"""Wiring: the store facade behind every store port, the catalogue cache and the run tracker over
it, and the runner; one `Services` per worker (and per test app)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine

from handyman_core.ports import RunLog
from handyman_core.run_protocol import Runner
from handyman_http.services import Services
from handyman_http.settings import Settings
from handyman_service.catalogue_cache import CatalogueCache
from handyman_service.context import Clock, ServiceContext, utc_now
from handyman_service.run_tracking import RunTracker
from handyman_store.database import database_failure
from handyman_store.store import Store

TrackerFactory = Callable[[RunLog, Runner | None, Clock], RunTracker]


def build_services(
    engine: Engine,
    settings: Settings,
    runner: Runner | None,
    *,
    clock: Clock = utc_now,
    catalogue_refresh_seconds: float | None = None,
    run_tracker: TrackerFactory = RunTracker,
) -> Services:
    """`catalogue_refresh_seconds` overrides the settings' (tests serve each import at once);
    `run_tracker` builds the tracker (tests give one with its own pulse, staleness or host)."""
    store = Store(engine)
    refresh = (
        settings.catalogue_refresh_seconds
        if catalogue_refresh_seconds is None
        else catalogue_refresh_seconds
    )
    context = ServiceContext(
        progress=store,
        playgrounds=store,
        catalogue=CatalogueCache(store, refresh),
        runs=run_tracker(store, runner, clock),
        database=store,
        statistics=store,
        segments=store,
        clock=clock,
    )
    return Services(settings, context, database_failure)
