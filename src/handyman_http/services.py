"""What the endpoints are given: the HTTP settings, the use cases' context, and how to tell an
adapter's failure that means "a dependency is unavailable" (answered 503) from a bug (500)."""

from __future__ import annotations

from collections.abc import Callable

from attrs import frozen

from handyman_core.errors import DependencyUnavailable
from handyman_http.settings import Settings
from handyman_service.context import ServiceContext

FailureReading = Callable[[BaseException], DependencyUnavailable | None]


def no_dependency_failures(error: BaseException) -> DependencyUnavailable | None:
    return None


@frozen
class Services:
    settings: Settings
    context: ServiceContext
    dependency_failure: FailureReading = no_dependency_failures
    """The composition root gives the store's (`database.database_failure`)."""
