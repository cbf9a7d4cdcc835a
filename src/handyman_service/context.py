"""What the use cases are given: the store's ports, the catalogue, the run lifecycle and a clock.

The composition root (`handyman_cli`) builds one per worker; the service tests build one over
in-memory fakes of the ports. The clock is injected so that the core stays free of ambient time
and tests can pin it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from attrs import field, frozen

from handyman_core.ports import DatabaseProbe, PlaygroundStore, ProgressStore, StatisticsStore
from handyman_service.catalogue_cache import CatalogueCache
from handyman_service.run_tracking import RunTracker

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@frozen
class ServiceContext:
    progress: ProgressStore
    playgrounds: PlaygroundStore
    catalogue: CatalogueCache
    runs: RunTracker
    """Every execution goes through it, so every execution is a run on record."""
    database: DatabaseProbe
    statistics: StatisticsStore
    clock: Clock = field(default=utc_now)
