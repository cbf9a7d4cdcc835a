"""The life of a tracked run: its statuses, the moves between them, and what a runner's answer
(or a stop, or a lost worker) makes of it.

Every write the store makes to a run is conditional on the run's current status, with the
conditions taken from `ALLOWED_MOVES`. That is what lets a stop and a finish race from two
processes: whichever reaches the database first wins, the other changes nothing, and no run
ever leaves a terminal status.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from datetime import datetime, timedelta

from attrs import evolve, field, frozen

from handyman_core.errors import InvalidInput
from handyman_core.run_protocol import Language, RunKind, RunResult, Verdict


class RunStatus(enum.StrEnum):
    QUEUED = "queued"
    """Recorded, waiting for the runner to take it (a sandbox slot, a connection)."""
    RUNNING = "running"
    FINISHED = "finished"
    """The runner gave a verdict (passed, failed tests, crashed, over a limit...)."""
    STOPPED = "stopped"
    TIMED_OUT = "timed_out"
    FAILED = "failed"
    """No verdict: the runner refused or broke, or the worker running it was lost."""

    @property
    def terminal(self) -> bool:
        return self not in ACTIVE_STATUSES


ACTIVE_STATUSES = frozenset({RunStatus.QUEUED, RunStatus.RUNNING})

ALLOWED_MOVES: dict[RunStatus, frozenset[RunStatus]] = {
    RunStatus.QUEUED: frozenset({RunStatus.RUNNING, RunStatus.STOPPED, RunStatus.FAILED}),
    RunStatus.RUNNING: frozenset(
        {RunStatus.FINISHED, RunStatus.STOPPED, RunStatus.TIMED_OUT, RunStatus.FAILED}
    ),
}
"""Terminal statuses have no entry: nothing moves out of them."""


def can_move(current: RunStatus, target: RunStatus) -> bool:
    return target in ALLOWED_MOVES.get(current, frozenset())


def sources_of(target: RunStatus) -> frozenset[RunStatus]:
    """The statuses a run may be in for a write that moves it to `target`: the condition of
    that write's UPDATE."""
    return frozenset(source for source, targets in ALLOWED_MOVES.items() if target in targets)


def move(current: RunStatus, target: RunStatus) -> RunStatus:
    """What a conditional write leaves behind: the target when the move is allowed, else the
    status unchanged."""
    return target if can_move(current, target) else current


class StopAnswer(enum.Enum):
    STOPPED_NOW = "stopped_now"
    """Queued: nothing runs yet, so the run is stopped by the write itself."""
    REQUESTED = "requested"
    """Running: the worker running it is asked to stop it, and records the end."""
    ALREADY_ENDED = "already_ended"


def stop_answer(current: RunStatus) -> StopAnswer:
    if current is RunStatus.QUEUED:
        return StopAnswer.STOPPED_NOW
    if current is RunStatus.RUNNING:
        return StopAnswer.REQUESTED
    return StopAnswer.ALREADY_ENDED


STOPPED_ON_REQUEST = "stopped on request"
STOPPED_AT_SHUTDOWN = "stopped: the service shut down before the run ended"
INTERRUPTED = "interrupted: the worker running it stopped (a restart or a crash)"


@frozen
class RunEnding:
    """What the end of a run writes."""

    status: RunStatus
    verdict: Verdict | None = None
    user_code_output: str = ""
    tests_output: str = ""
    output_truncated: bool = False
    detail: str | None = None
    """Why the run ended so, when the status alone does not say."""

    @property
    def status_code(self) -> int | None:
        return None if self.verdict is None else self.verdict.status_code


def ending_of_result(result: RunResult, *, stopped_because: str | None = None) -> RunEnding:
    """A runner's answer as a run's end. A run that was stopped is `stopped` whatever verdict
    the killed program got; a timeout is `timed_out`; the runner's own internal error is no
    verdict on the code, so `failed`; every other verdict is `finished`."""
    status, verdict, detail = _judged(result.verdict, stopped_because)
    return RunEnding(
        status,
        verdict,
        user_code_output=result.user_code_output,
        tests_output=result.tests_output,
        output_truncated=result.output_truncated,
        detail=detail,
    )


def _judged(
    verdict: Verdict, stopped_because: str | None
) -> tuple[RunStatus, Verdict | None, str | None]:
    if stopped_because is not None:
        return RunStatus.STOPPED, None, stopped_because
    if verdict is Verdict.TIMEOUT:
        return RunStatus.TIMED_OUT, verdict, None
    if verdict is Verdict.INTERNAL_ERROR:
        return RunStatus.FAILED, verdict, "the runner failed internally"
    return RunStatus.FINISHED, verdict, None


def ending_without_verdict(reason: str) -> RunEnding:
    return RunEnding(RunStatus.FAILED, detail=reason)


def stopped_before_start(reason: str) -> RunEnding:
    return RunEnding(RunStatus.STOPPED, detail=reason)


def _active_status(_: object, __: object, status: RunStatus) -> None:
    if status not in ACTIVE_STATUSES:
        raise ValueError(f"a new run is queued or running, not {status.value}")


@frozen
class NewRun:
    """A run as first recorded, owned by the worker `host_id` that will run it: `queued` while
    it waits for the runner to take it, or `running` from the start when the runner took it at
    once (so that starting it costs no second write)."""

    run_id: str
    owner: int | None
    language: Language
    kind: RunKind
    item_id: str | None
    host_id: str
    status: RunStatus = field(default=RunStatus.QUEUED, validator=_active_status)


@frozen
class RunAllowance:
    """How many runs one owner may have going: at most `runs` active runs, counting only those
    heard of since `heard_since` (a run whose worker went silent is about to be failed as
    orphaned, and must not hold its owner's place meanwhile)."""

    runs: int
    heard_since: datetime

    def counts(self, record: RunRecord) -> bool:
        """Whether `record` takes one of its owner's places."""
        return record.status in ACTIVE_STATUSES and record.heartbeat_at >= self.heard_since

    def admits(self, records: Iterable[RunRecord], owner: int | None) -> bool:
        """Whether a new run of `owner` may be recorded beside `records` (every run on record);
        a run of nobody always may."""
        if owner is None:
            return True
        going = sum(1 for record in records if record.owner == owner and self.counts(record))
        return going < self.runs


@frozen
class RunRecord:
    run_id: str
    owner: int | None
    """The user the run was made for; None for anonymous playground runs and admin runs."""
    language: Language
    kind: RunKind
    item_id: str | None
    """The task, project or playground it ran, when it ran one."""
    status: RunStatus
    verdict: Verdict | None
    user_code_output: str
    """While the run is going: everything it printed so far (program and tests together)."""
    tests_output: str
    output_truncated: bool
    stop_requested: bool
    detail: str | None
    host_id: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    heartbeat_at: datetime
    """Last time the worker running it said it still does; timezone-aware, like every time."""
    output_chars: tuple[int, int] | None = None
    """Set in a listing: the outputs above are previews (their first PREVIEW_CHARS characters)
    of outputs of these lengths (program, tests); the whole run is read one by one."""

    @property
    def status_code(self) -> int | None:
        return None if self.verdict is None else self.verdict.status_code

    def is_orphaned(self, now: datetime, stale_after: timedelta) -> bool:
        """Still active on record, but its worker has not been heard of for `stale_after`."""
        return self.status in ACTIVE_STATUSES and self.heartbeat_at < now - stale_after


PREVIEW_CHARS = 1024
"""How much of each output a listing shows: a page of runs stays small however much they
printed (a page of 39 runs of 8 MiB each was 193 MB)."""


def preview_of(record: RunRecord) -> RunRecord:
    """The record as a listing shows it."""
    return evolve(
        record,
        user_code_output=record.user_code_output[:PREVIEW_CHARS],
        tests_output=record.tests_output[:PREVIEW_CHARS],
        output_chars=(len(record.user_code_output), len(record.tests_output)),
    )


@frozen
class RunFilter:
    """Which runs a listing shows; None matches anything."""

    owner: int | None = None
    status: RunStatus | None = None
    language: Language | None = None
    kind: RunKind | None = None


@frozen
class RunPage:
    runs: list[RunRecord]
    total: int
    """How many runs match the filter, whatever the page."""


@frozen
class OutputWrite:
    """What a pulse writes of a run's output so far: only what is new, appended to what is on
    record, so that a long run's output is written once rather than once per pulse; or, when
    `replaces` (the text already written changed, as when a character cut between two reads
    is completed), all of it."""

    text: str
    replaces: bool = False


def output_write(written: str, now: str) -> OutputWrite | None:
    """What to write when `written` is on record and the output is now `now`; None: nothing."""
    if now == written:
        return None
    if now.startswith(written):
        return OutputWrite(now[len(written) :])
    return OutputWrite(now, replaces=True)


@frozen
class PulseAnswer:
    """What the run log says about a run its worker is supervising."""

    status: RunStatus
    stop_requested: bool

    @property
    def should_stop(self) -> bool:
        return self.stop_requested or self.status.terminal


RUN_ID_PATTERN = re.compile(r"[0-9a-f]{32}")


def parse_run_id(value: str, field: str = "run_id") -> str:
    """Run ids are uuid4 hex strings: 32 lowercase hexadecimal digits."""
    if not RUN_ID_PATTERN.fullmatch(value):
        raise InvalidInput.field(field, "must be 32 lowercase hexadecimal digits")
    return value
