"""Progress statuses: the one home of what each status means (docs/behaviour.md, "Statuses").

Everything else derives from the facts here: merge precedence (`rank`, and the store's SQL CASE),
which statuses a row may hold (`stored`, and the store's CHECK constraints), what a learner still
has to do (`still_to_do`: the active chapter, where `no_action` sends), which courses statistics
list, the OpenAPI enum and the error texts that list statuses. Adding a status is adding a member
and its row in `_FACTS` (then a migration for the CHECK constraints; see ARCHITECTURE.md).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol, TypeVar

from attrs import frozen


class Status(enum.StrEnum):
    """`not_started` is never stored: it is what the absence of a row means."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    BLOCKED = "blocked"
    COMPLETED = "completed"

    @property
    def rank(self) -> int:
        """Merge precedence: of two statuses, the higher rank wins."""
        return _FACTS[self].rank

    @property
    def stored(self) -> bool:
        """A progress row may hold it."""
        return _FACTS[self].stored

    @property
    def still_to_do(self) -> bool:
        """A chapter or project in this status is one the learner has yet to do."""
        return _FACTS[self].still_to_do

    @property
    def in_statistics(self) -> bool:
        """A course in this status is listed by courses_stats."""
        return _FACTS[self].in_statistics


@frozen
class StatusFacts:
    rank: int
    stored: bool
    still_to_do: bool
    in_statistics: bool


_FACTS: Mapping[Status, StatusFacts] = {
    Status.NOT_STARTED: StatusFacts(rank=0, stored=False, still_to_do=True, in_statistics=False),
    Status.IN_PROGRESS: StatusFacts(rank=1, stored=True, still_to_do=True, in_statistics=True),
    Status.BLOCKED: StatusFacts(rank=2, stored=True, still_to_do=False, in_statistics=False),
    Status.COMPLETED: StatusFacts(rank=3, stored=True, still_to_do=False, in_statistics=True),
}


class StatusLike(Protocol):
    """What the derived places read of a status; `Status` is one (tests grow others)."""

    @property
    def value(self) -> str: ...

    @property
    def rank(self) -> int: ...

    @property
    def stored(self) -> bool: ...


S = TypeVar("S", bound=StatusLike)


def stored_statuses(statuses: Iterable[S]) -> tuple[S, ...]:
    """The statuses a row may hold, lowest rank first."""
    return tuple(sorted((status for status in statuses if status.stored), key=lambda s: s.rank))


STORED_STATUSES: tuple[Status, ...] = stored_statuses(Status)


def higher_status(a: Status, b: Status) -> Status:
    """Merge precedence: the higher rank wins (completed > blocked > in_progress > not_started)."""
    return a if a.rank >= b.rank else b


_BY_VALUE: Mapping[str, Status] = {status.value: status for status in Status}


def status_named(text: str) -> Status:
    """`Status(text)` as a dict lookup: a page reads a status per stored row, and calling the
    enum goes through its metaclass. Anything else raises ValueError, as `Status(text)` does."""
    status = _BY_VALUE.get(text)
    return Status(text) if status is None else status


def parse_status(text: str) -> Status | None:
    """The status named by `text`, or None for anything outside the vocabulary."""
    try:
        return Status(text)
    except ValueError:
        return None


def one_of(values: Sequence[str]) -> str:
    """`a, b or c`: how error texts list the values they accept."""
    *first, last = values
    return f"{', '.join(first)} or {last}" if first else last
