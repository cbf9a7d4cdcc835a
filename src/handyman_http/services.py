"""What the endpoints are given: settings, the store, the catalogue, the runner and the clock.

The clock is injected so that the core stays free of ambient time and tests can pin it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from attrs import field, frozen

from handyman_core.errors import RunnerUnavailable
from handyman_core.run_protocol import Runner
from handyman_http.catalogue_cache import CatalogueCache
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

    def require_runner(self) -> Runner:
        if self.runner is None:
            raise RunnerUnavailable("no code runner is configured")
        return self.runner
