"""Whether this worker can serve: the database answers, whether a code runner is configured,
and which languages it can run."""

from __future__ import annotations

from attrs import frozen

from handyman_core.errors import DependencyUnavailable
from handyman_core.run_protocol import LanguageSupport
from handyman_service.context import ServiceContext


@frozen
class HealthReport:
    database_failure: DependencyUnavailable | None
    """Why the database does not answer; None when it does."""
    runner_configured: bool
    run_limits: str | None = None
    """How the runner bounds a run ("per run ..." or "per process only ..."), when it says."""
    languages: tuple[LanguageSupport, ...] = ()
    """Per language, whether the runner can run it (a local sandbox says; others do not)."""


def check_health(context: ServiceContext) -> HealthReport:
    runs = context.runs
    try:
        context.database.check_database()
    except DependencyUnavailable as error:
        return HealthReport(error, runs.has_runner, runs.run_limits)
    return HealthReport(None, runs.has_runner, runs.run_limits, runs.language_support())
