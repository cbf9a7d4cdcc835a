"""Progress statuses and their merge precedence (contract §3)."""

from __future__ import annotations

import enum


class Status(enum.StrEnum):
    """`not_started` is never stored: it is what the absence of a row means."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    BLOCKED = "blocked"
    COMPLETED = "completed"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {
    Status.NOT_STARTED: 0,
    Status.IN_PROGRESS: 1,
    Status.BLOCKED: 2,
    Status.COMPLETED: 3,
}

STORED_STATUSES = (Status.IN_PROGRESS, Status.BLOCKED, Status.COMPLETED)


def higher_status(a: Status, b: Status) -> Status:
    """Merge precedence: completed > blocked > in_progress > not_started."""
    return a if a.rank >= b.rank else b


def parse_status(text: str) -> Status | None:
    """The status named by `text`, or None for anything outside the vocabulary."""
    try:
        return Status(text)
    except ValueError:
        return None
