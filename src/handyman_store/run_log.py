"""The run log: every execution's status, output and owner, in the database where every worker
of every host sees it.

Each status change is one conditional UPDATE whose condition comes from the core's allowed
moves (`run_lifecycle.sources_of`), so two writers racing (a stop through one worker, the end
of the run in another) cannot both win: the loser's UPDATE matches no row.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from attrs import evolve
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Row,
    and_,
    delete,
    func,
    or_,
    select,
    true,
    update,
)

from handyman_core.run_lifecycle import (
    ACTIVE_STATUSES,
    PREVIEW_CHARS,
    NewRun,
    OutputWrite,
    PulseAnswer,
    RunAllowance,
    RunEnding,
    RunFilter,
    RunPage,
    RunRecord,
    RunStatus,
    StopAnswer,
    sources_of,
    stop_answer,
    stopped_before_start,
)
from handyman_core.run_protocol import Language, RunKind, Verdict
from handyman_store.driver_sql import Sql, autocommit, driver_kind, stored_timestamp
from handyman_store.schema import runs

NUL_REPLACEMENT = "\ufffd"


def storable_text(text: str) -> str:
    """PostgreSQL text cannot hold NUL, which a program may well print: it is kept as U+FFFD."""
    return text.replace("\x00", NUL_REPLACEMENT)


def _sources(target: RunStatus) -> str:
    return ", ".join(
        f"'{value}'" for value in sorted(status.value for status in sources_of(target))
    )


_NEW_RUN_COLUMNS = (
    "run_id, owner, language, kind, item_id, status, user_code_output, tests_output, "
    "output_truncated, stop_requested, host_id, created_at, started_at, heartbeat_at"
)


def _new_run_values(status: RunStatus) -> str:
    started_at = ":moment" if status is RunStatus.RUNNING else "NULL"
    return (
        f":run_id, :owner, :language, :kind, :item_id, '{status.value}', '', '', FALSE, FALSE, "
        f":host_id, :moment, {started_at}, :moment"
    )


def _going() -> str:
    return ", ".join(f"'{value}'" for value in sorted(status.value for status in ACTIVE_STATUSES))


RUNS_GOING_FUNCTION = "handyman_runs_going"
"""PostgreSQL only (migration 0006): takes the owner's admission lock, then counts the owner's
runs of the given statuses heard of since a moment, in a snapshot taken after the lock."""


def _create_within_allowance(status: RunStatus) -> Sql:
    """The run is inserted only if its owner has fewer than `:allowance` runs going.

    On SQLite the statement is a write from its first step, so it holds the database's one
    write lock while it counts: two admissions are one after the other by construction. On
    PostgreSQL two statements at READ COMMITTED each count in the snapshot taken when they
    start, so both could see a place left and both insert; the count is therefore made by
    `handyman_runs_going`, a volatile function that first takes a transaction-scoped advisory
    lock of the owner (held until this statement commits) and only then counts, in a snapshot
    of its own that sees every admission committed before it got the lock."""
    insert = f"INSERT INTO runs ({_NEW_RUN_COLUMNS}) SELECT {_new_run_values(status)} WHERE "
    sqlite = Sql.of(
        insert + "(SELECT count(*) FROM runs WHERE owner = :owner "
        f"AND status IN ({_going()}) AND heartbeat_at >= :heard_since) < :allowance"
    )
    postgresql = Sql.of(
        insert + f"{RUNS_GOING_FUNCTION}(:owner, :heard_since, ARRAY[{_going()}]) < :allowance"
    )
    return Sql(sqlite=sqlite.sqlite, postgresql=postgresql.postgresql)


_CREATE = {
    status: Sql.of(f"INSERT INTO runs ({_NEW_RUN_COLUMNS}) VALUES ({_new_run_values(status)})")
    for status in ACTIVE_STATUSES
}
_CREATE_WITHIN_ALLOWANCE = {status: _create_within_allowance(status) for status in ACTIVE_STATUSES}
_MARK_RUNNING = Sql.of(
    f"UPDATE runs SET status = '{RunStatus.RUNNING.value}', started_at = :moment, "
    f"heartbeat_at = :moment WHERE run_id = :run_id AND status IN "
    f"({_sources(RunStatus.RUNNING)})"
)


def _finish(target: RunStatus) -> Sql:
    return Sql.of(
        "UPDATE runs SET status = :status, verdict = :verdict, status_code = :status_code, "
        "user_code_output = :user_code_output, tests_output = :tests_output, "
        "output_truncated = :output_truncated, detail = :detail, finished_at = :finished_at, "
        "heartbeat_at = :heartbeat_at "
        f"WHERE run_id = :run_id AND status IN ({_sources(target)})"
    )


_FINISH = {status: _finish(status) for status in RunStatus if sources_of(status)}
"""The end of a run as one conditional UPDATE per target status, written once: the condition
is the core's allowed moves, as in `_move`."""


def create_run(
    engine: Engine, run: NewRun, *, now: datetime, allowance: RunAllowance | None = None
) -> bool:
    """One statement in autocommit: the run, queued or running since `now`; with an allowance
    and an owner, only if the owner has a place left (`_create_within_allowance`). False when
    it had none, and nothing was written."""
    kind = driver_kind(engine)
    moment = stored_timestamp(kind, _utc(now))
    parameters: dict[str, object] = {
        "run_id": run.run_id,
        "owner": run.owner,
        "language": run.language.value,
        "kind": run.kind.value,
        "item_id": run.item_id,
        "host_id": run.host_id,
        "moment": moment,
    }
    statement = _CREATE[run.status]
    if allowance is not None and run.owner is not None:
        statement = _CREATE_WITHIN_ALLOWANCE[run.status]
        parameters["allowance"] = allowance.runs
        parameters["heard_since"] = stored_timestamp(kind, _utc(allowance.heard_since))
    created = autocommit(
        engine, lambda driver: driver.execute(statement, parameters), idempotent=False
    )
    return created == 1


def mark_running(engine: Engine, run_id: str, *, now: datetime) -> bool:
    """False when the run is no longer queued (stopped while it waited): then it must not run.
    One conditional UPDATE in autocommit."""
    moment = stored_timestamp(driver_kind(engine), _utc(now))
    parameters = {"run_id": run_id, "moment": moment}
    changed = autocommit(
        engine, lambda driver: driver.execute(_MARK_RUNNING, parameters), idempotent=False
    )
    return changed == 1


def finish_run(engine: Engine, run_id: str, ending: RunEnding, *, now: datetime) -> bool:
    """Record the end; False when the run had already ended (stopped, or failed as orphaned),
    in which case nothing is written. One conditional UPDATE in autocommit."""
    moment = _utc(now)
    stored = stored_timestamp(driver_kind(engine), moment)
    parameters = {
        **_ending_values(ending, moment),
        "run_id": run_id,
        "status": ending.status.value,
        "finished_at": stored,
        "heartbeat_at": stored,
    }
    statement = _FINISH[ending.status]
    changed = autocommit(
        engine, lambda driver: driver.execute(statement, parameters), idempotent=False
    )
    return changed == 1


def record_pulse(
    engine: Engine,
    run_ids: Collection[str],
    outputs: Mapping[str, OutputWrite],
    *,
    now: datetime,
) -> dict[str, PulseAnswer]:
    """One supervision round of a worker, in one transaction: the new output of the runs in
    `outputs` (appended with SQL's `||`, so an 8 MiB output is written once, not once per
    pulse), a heartbeat for every run in `run_ids`, and what the database says of each (a run
    missing from the answer no longer exists)."""
    moment = _utc(now)
    if not run_ids:
        return {}
    with engine.begin() as connection:
        for run_id, write in outputs.items():
            text = storable_text(write.text)
            connection.execute(
                update(runs)
                .where(runs.c.run_id == run_id, runs.c.status == RunStatus.RUNNING.value)
                .values(user_code_output=text if write.replaces else runs.c.user_code_output + text)
            )
        connection.execute(
            update(runs).where(runs.c.run_id.in_(run_ids), _active()).values(heartbeat_at=moment)
        )
        rows = connection.execute(
            select(runs.c.run_id, runs.c.status, runs.c.stop_requested).where(
                runs.c.run_id.in_(run_ids)
            )
        )
        return {
            row.run_id: PulseAnswer(RunStatus(row.status), bool(row.stop_requested)) for row in rows
        }


def prune_runs(engine: Engine, *, created_before: datetime) -> int:
    """Retention: the ended runs created before the cutoff go, by the `created_at` index."""
    with engine.begin() as connection:
        deleted = connection.execute(
            delete(runs).where(runs.c.created_at < _utc(created_before), ~_active())
        )
        return int(deleted.rowcount or 0)


def request_stop(
    engine: Engine, run_id: str, *, now: datetime, reason: str
) -> tuple[StopAnswer, RunStatus] | None:
    """Stop a queued run at once, or ask the worker of a running one to stop it; None when there
    is no such run. Returns how the request was answered and the status it found."""
    moment = _utc(now)
    with engine.begin() as connection:
        status = connection.execute(
            select(runs.c.status).where(runs.c.run_id == run_id)
        ).scalar_one_or_none()
        if status is None:
            return None
        found = RunStatus(status)
        answer = stop_answer(found)
        if answer is StopAnswer.STOPPED_NOW:
            stopped = connection.execute(
                update(runs)
                .where(runs.c.run_id == run_id, runs.c.status == RunStatus.QUEUED.value)
                .values(
                    status=RunStatus.STOPPED.value,
                    stop_requested=True,
                    **_ending_values(stopped_before_start(reason), moment),
                )
            )
            if stopped.rowcount == 1:
                return answer, found
            answer = StopAnswer.REQUESTED
        if answer is StopAnswer.REQUESTED:
            flagged = connection.execute(
                update(runs)
                .where(runs.c.run_id == run_id, runs.c.status == RunStatus.RUNNING.value)
                .values(stop_requested=True)
            )
            if flagged.rowcount == 1:
                return answer, RunStatus.RUNNING
        ended = connection.execute(select(runs.c.status).where(runs.c.run_id == run_id))
        return StopAnswer.ALREADY_ENDED, RunStatus(ended.scalar_one())


def fail_orphaned(
    engine: Engine,
    *,
    heartbeat_before: datetime | None = None,
    host_ids: Collection[str] = (),
    reason: str,
    now: datetime,
) -> int:
    """Fail the active runs whose worker is gone: those not heard of since `heartbeat_before`,
    and those of the workers `host_ids`. Returns how many were failed."""
    conditions: list[ColumnElement[bool]] = []
    if heartbeat_before is not None:
        conditions.append(runs.c.heartbeat_at < _utc(heartbeat_before))
    if host_ids:
        conditions.append(runs.c.host_id.in_(list(host_ids)))
    if not conditions:
        return 0
    values = _ending_values(RunEnding(RunStatus.FAILED, detail=reason), _utc(now))
    with engine.begin() as connection:
        failed = connection.execute(
            update(runs)
            .where(runs.c.status.in_(_values(sources_of(RunStatus.FAILED))), or_(*conditions))
            .values(status=RunStatus.FAILED.value, **values)
        )
        return failed.rowcount


def active_host_ids(connection: Connection, host_prefix: str) -> set[str]:
    """The workers whose names start with `host_prefix` that have active runs on record."""
    rows = connection.execute(
        select(runs.c.host_id)
        .where(_active(), runs.c.host_id.startswith(host_prefix, autoescape=True))
        .distinct()
    )
    return {row.host_id for row in rows}


def get_run(connection: Connection, run_id: str) -> RunRecord | None:
    row = connection.execute(select(runs).where(runs.c.run_id == run_id)).one_or_none()
    return None if row is None else _record(row)


def list_runs(connection: Connection, where: RunFilter, *, offset: int, limit: int) -> RunPage:
    """Newest first (ties broken by id, so pages never overlap)."""
    condition = and_(true(), *_conditions(where))
    total = connection.execute(select(func.count()).select_from(runs).where(condition)).scalar_one()
    outputs = (runs.c.user_code_output, runs.c.tests_output)
    previews = [
        column
        for output in outputs
        for column in (
            func.substr(output, 1, PREVIEW_CHARS).label(output.name),
            func.length(output).label(f"{output.name}_chars"),
        )
    ]
    other_columns = [column for column in runs.c if column.name not in {o.name for o in outputs}]
    rows = connection.execute(
        select(*other_columns, *previews)
        .where(condition)
        .order_by(runs.c.created_at.desc(), runs.c.run_id.desc())
        .offset(offset)
        .limit(limit)
    )
    return RunPage(
        [
            evolve(
                _record(row),
                output_chars=(row.user_code_output_chars, row.tests_output_chars),
            )
            for row in rows
        ],
        total,
    )


def _conditions(where: RunFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if where.owner is not None:
        conditions.append(runs.c.owner == where.owner)
    if where.status is not None:
        conditions.append(runs.c.status == where.status.value)
    if where.language is not None:
        conditions.append(runs.c.language == where.language.value)
    if where.kind is not None:
        conditions.append(runs.c.kind == where.kind.value)
    return conditions


def _move(connection: Connection, run_id: str, target: RunStatus, **values: object) -> bool:
    moved = connection.execute(
        update(runs)
        .where(runs.c.run_id == run_id, runs.c.status.in_(_values(sources_of(target))))
        .values(status=target.value, **values)
    )
    return moved.rowcount == 1


def _ending_values(ending: RunEnding, moment: datetime) -> dict[str, object]:
    return {
        "verdict": None if ending.verdict is None else ending.verdict.value,
        "status_code": ending.status_code,
        "user_code_output": storable_text(ending.user_code_output),
        "tests_output": storable_text(ending.tests_output),
        "output_truncated": ending.output_truncated,
        "detail": ending.detail,
        "finished_at": moment,
        "heartbeat_at": moment,
    }


def _active() -> ColumnElement[bool]:
    return runs.c.status.in_(_values(ACTIVE_STATUSES))


def _values(statuses: Collection[RunStatus]) -> Sequence[str]:
    return sorted(status.value for status in statuses)


def _record(row: Row[Any]) -> RunRecord:
    return RunRecord(
        run_id=row.run_id,
        owner=row.owner,
        language=Language(row.language),
        kind=RunKind(row.kind),
        item_id=row.item_id,
        status=RunStatus(row.status),
        verdict=None if row.verdict is None else Verdict(row.verdict),
        user_code_output=row.user_code_output,
        tests_output=row.tests_output,
        output_truncated=bool(row.output_truncated),
        stop_requested=bool(row.stop_requested),
        detail=row.detail,
        host_id=row.host_id,
        created_at=_as_utc(row.created_at),
        started_at=None if row.started_at is None else _as_utc(row.started_at),
        finished_at=None if row.finished_at is None else _as_utc(row.finished_at),
        heartbeat_at=_as_utc(row.heartbeat_at),
    )


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("the times of a run must be timezone-aware")
    return moment.astimezone(UTC)


def _as_utc(moment: datetime) -> datetime:
    """SQLite hands timestamps back without their zone; they were written in UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
