"""Whether this worker can serve: the database answers, and whether a code runner is configured."""

from __future__ import annotations

from attrs import frozen

from handyman_core.errors import DependencyUnavailable
from handyman_service.context import ServiceContext


@frozen
class HealthReport:
    database_failure: DependencyUnavailable | None
    """Why the database does not answer; None when it does."""
    runner_configured: bool


def check_health(context: ServiceContext) -> HealthReport:
    try:
        context.database.check_database()
    except DependencyUnavailable as error:
        return HealthReport(error, context.runs.has_runner)
    return HealthReport(None, context.runs.has_runner)
