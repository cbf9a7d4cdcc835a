"""What the use cases are given: the store's ports, the catalogue, the run lifecycle, a clock and
a source of salts for new segments.

The composition root (`handyman_cli`) builds one per worker; the service tests build one over
in-memory fakes of the ports. The clock and the salts are injected so that the core stays free of
ambient time and randomness and tests can pin them.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime

from attrs import field, frozen

from handyman_core.ports import (
    DatabaseProbe,
    PlaygroundStore,
    ProgressStore,
    SegmentStore,
    StatisticsStore,
)
from handyman_service.catalogue_cache import CatalogueCache
from handyman_service.run_tracking import RunTracker

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def random_salt() -> str:
    """64 random bits: a new segment's rollout shares nothing with any other's."""
    return secrets.token_hex(8)


@frozen
class ServiceContext:
    progress: ProgressStore
    playgrounds: PlaygroundStore
    catalogue: CatalogueCache
    runs: RunTracker
    """Every execution goes through it, so every execution is a run on record."""
    database: DatabaseProbe
    statistics: StatisticsStore
    segments: SegmentStore
    clock: Clock = field(default=utc_now)
    new_salt: Callable[[], str] = field(default=random_salt)
