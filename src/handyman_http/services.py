"""What the endpoints are given: settings, the store, the catalogue, the runner, the clock, and
the run tracker every execution goes through.

The clock is injected so that the core stays free of ambient time and tests can pin it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from attrs import Factory, field, frozen

from handyman_core.errors import RunnerUnavailable
from handyman_core.run_protocol import Runner
from handyman_http.catalogue_cache import CatalogueCache
from handyman_http.run_tracking import RunTracker
from handyman_http.settings import Settings
from handyman_store.store import Store


def utc_now() -> datetime:
    return datetime.now(UTC)


@frozen
class Services:
    settings: Settings
    store: Store
    catalogue: CatalogueCache
    runner: Runner | None = None
    clock: Callable[[], datetime] = field(default=utc_now)
    run_tracker: RunTracker = field(
        default=Factory(
            lambda services: RunTracker(services.store.engine, services.runner, services.clock),
            takes_self=True,
        )
    )
    """Built from the fields above unless one is given (tests give one with its own pulse,
    staleness or host id)."""

    def require_runner(self) -> Runner:
        if self.runner is None:
            raise RunnerUnavailable("no code runner is configured")
        return self.runner
