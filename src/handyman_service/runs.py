"""Tracked runs as a client sees them: start a script, read a run, list runs, stop one.

A run belongs to the user it was made for; the runs of other users, and those made for nobody,
are the admin's (docs/behaviour.md, "Tracked runs").
"""

from __future__ import annotations

from attrs import frozen

from handyman_core.errors import Conflict, Forbidden, InvalidInput, NotFound
from handyman_core.run_lifecycle import RunFilter, RunPage, RunRecord, StopAnswer
from handyman_core.run_protocol import LEARNER_LIMIT_CEILING, RunRequest, limits_above
from handyman_service.context import ServiceContext

WAIT_MARGIN_SECONDS = 5.0
MAX_WAIT_SECONDS = 110.0
"""A waiting request stays below gunicorn's 120 s worker timeout."""


@frozen
class Caller:
    """Who asks: a user, the admin acting for a user, or the admin acting for nobody."""

    user_id: int | None
    admin: bool = False


@frozen
class StartRun:
    caller: Caller
    request: RunRequest
    wait: bool = False
    """Answer once the run has ended (or its wall limit and a margin have passed)."""


def start_run(context: ServiceContext, command: StartRun) -> RunRecord:
    """The run as recorded when the call returns; it goes on in the background unless waited
    for. Owned by the caller's user (nobody for the admin without one). A learner may lower a
    run's limits but not raise them above the defaults; only the admin may ask for more (the
    runner still holds every run to its configured maxima)."""
    if not command.caller.admin:
        above = limits_above(command.request.limits, LEARNER_LIMIT_CEILING)
        if above:
            raise InvalidInput(
                {
                    f"limits.{name}": f"must be at most "
                    f"{getattr(LEARNER_LIMIT_CEILING, name):g} without the admin token"
                    for name in above
                }
            )
    runs = context.runs
    run_id = runs.submit(command.request, owner=command.caller.user_id)
    if command.wait:
        wall = command.request.limits.wall_seconds
        runs.wait_for(run_id, min(wall + WAIT_MARGIN_SECONDS, MAX_WAIT_SECONDS))
    record = runs.get(run_id)
    if record is None:
        raise NotFound(f"Unknown run: {run_id}")
    return record


@frozen
class RunQuery:
    caller: Caller
    run_id: str


def visible_run(context: ServiceContext, query: RunQuery) -> RunRecord:
    record = context.runs.get(query.run_id)
    if record is None:
        raise NotFound(f"Unknown run: {query.run_id}")
    if not query.caller.admin and record.owner != query.caller.user_id:
        raise Forbidden("The admin token is required for runs of other users")
    return record


@frozen
class ListRuns:
    caller: Caller
    """Lists the caller's user's runs; the admin without a user lists everyone's."""
    where: RunFilter
    offset: int
    limit: int


def list_runs(context: ServiceContext, query: ListRuns) -> RunPage:
    where = RunFilter(
        owner=query.caller.user_id,
        status=query.where.status,
        language=query.where.language,
        kind=query.where.kind,
    )
    return context.runs.list_runs(where, offset=query.offset, limit=query.limit)


def stop_run(context: ServiceContext, query: RunQuery) -> RunRecord:
    """A queued run is stopped at once; a running one within about a second, by the worker
    running it. The run as recorded after the request; Conflict when it had already ended."""
    record = visible_run(context, query)
    answer = context.runs.stop(record.run_id)
    if answer is None:
        raise NotFound(f"Unknown run: {record.run_id}")
    current = context.runs.get(record.run_id) or record
    if answer is StopAnswer.ALREADY_ENDED:
        raise Conflict(f"The run has already ended: {current.status.value}")
    return current
