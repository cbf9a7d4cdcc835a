"""A day's learning figures from its attempts: per LMS client, per course and per task.

Definitions, which every export and answer shares:
- `attempts` = `submits` + `runs`; `correct` counts submits judged right.
- `success_rate` = correct / submits, or None on a day without submits (no rate, not 0).
- `unique_users`, `unique_tasks`: distinct learners and tasks with an attempt that day.
- per course and per task: `solvers` are learners with a correct submit that day; a learner's
  attempts to first success count their submits on the task that day up to and including the
  first correct one, and `median_attempts_to_success` is the median over solvers (per course:
  over every learner-task first success in the course).
- hardest tasks: the lowest success rate among tasks with at least `min_submits` submits, more
  submits first on a tie, then the task key.

A task is known by its Handyman task id, or by the LMS block (`lis_result_sourcedid`) when the
source is not Handyman; a course by its id, or "" when unknown.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime

import attrs
from attrs import frozen

from handyman_core.attempt_types import AttemptType

DEFAULT_HARDEST_COUNT = 5
DEFAULT_MIN_SUBMITS = 5


@frozen
class AttemptFact:
    client: str
    """The LMS's oauth_consumer_key ("" for attempts made outside any LMS)."""
    user_id: str
    course: str
    task: str
    attempt_type: AttemptType
    is_correct: bool | None
    created_at: datetime


@frozen
class ClientFigures:
    attempts: int
    submits: int
    runs: int
    correct: int
    success_rate: float | None
    unique_users: int
    unique_tasks: int


@frozen
class ItemFigures:
    """A course's or a task's figures; `course` is the course the task belongs to."""

    key: str
    course: str
    attempts: int
    submits: int
    correct: int
    success_rate: float | None
    solvers: int
    median_attempts_to_success: float | None


@frozen
class ClientDay:
    day: date
    client: str
    figures: ClientFigures
    courses: tuple[ItemFigures, ...]
    tasks: tuple[ItemFigures, ...]
    """Both sorted by key."""


@frozen
class StoredDay:
    """A client's day as stored, with the zone its day was cut in and when it was computed."""

    figures: ClientDay
    time_zone: str
    computed_at: datetime


_ITEM_NAMING = frozenset({"key", "course"})


def figures_by_name(figures: ClientFigures | ItemFigures) -> dict[str, int | float | None]:
    """A client's or an item's figures under the names every report and table gives them, in
    their order; an item's key and course are left out, since each report names those its own
    way (`course_id`, `task_id`)."""
    return attrs.asdict(figures, filter=lambda attribute, _: attribute.name not in _ITEM_NAMING)


def success_rate(correct: int, submits: int) -> float | None:
    return correct / submits if submits else None


def daily_figures(day: date, facts: Iterable[AttemptFact]) -> list[ClientDay]:
    """One `ClientDay` per client with attempts in `facts` (all of which belong to `day`),
    sorted by client. The order of `facts` does not matter."""
    by_client: dict[str, list[AttemptFact]] = defaultdict(list)
    for fact in facts:
        by_client[fact.client].append(fact)
    return [_client_day(day, client, by_client[client]) for client in sorted(by_client)]


def hardest_tasks(
    tasks: Sequence[ItemFigures],
    *,
    count: int = DEFAULT_HARDEST_COUNT,
    min_submits: int = DEFAULT_MIN_SUBMITS,
) -> list[ItemFigures]:
    judged = [task for task in tasks if task.submits >= max(min_submits, 1)]
    judged.sort(key=lambda task: (task.success_rate or 0.0, -task.submits, task.key))
    return judged[:count]


def _client_day(day: date, client: str, facts: list[AttemptFact]) -> ClientDay:
    facts = sorted(facts, key=lambda fact: (fact.created_at, fact.user_id, fact.task))
    first_successes = _attempts_to_first_success(facts)
    by_course: dict[str, list[AttemptFact]] = defaultdict(list)
    by_task: dict[str, list[AttemptFact]] = defaultdict(list)
    for fact in facts:
        by_course[fact.course].append(fact)
        by_task[fact.task].append(fact)
    courses = tuple(
        _item(course, course, by_course[course], first_successes) for course in sorted(by_course)
    )
    tasks = tuple(
        _item(task, by_task[task][0].course, by_task[task], first_successes)
        for task in sorted(by_task)
    )
    submits = sum(fact.attempt_type is AttemptType.SUBMIT for fact in facts)
    correct = sum(fact.is_correct is True for fact in facts)
    figures = ClientFigures(
        attempts=len(facts),
        submits=submits,
        runs=len(facts) - submits,
        correct=correct,
        success_rate=success_rate(correct, submits),
        unique_users=len({fact.user_id for fact in facts}),
        unique_tasks=len(by_task),
    )
    return ClientDay(day, client, figures, courses, tasks)


def _attempts_to_first_success(facts: list[AttemptFact]) -> dict[tuple[str, str], int]:
    """(user, task) -> submits up to and including the first correct one; `facts` in time order."""
    submits: dict[tuple[str, str], int] = defaultdict(int)
    solved: dict[tuple[str, str], int] = {}
    for fact in facts:
        if fact.attempt_type is not AttemptType.SUBMIT:
            continue
        pair = (fact.user_id, fact.task)
        if pair in solved:
            continue
        submits[pair] += 1
        if fact.is_correct:
            solved[pair] = submits[pair]
    return solved


def _item(
    key: str, course: str, facts: list[AttemptFact], first_successes: dict[tuple[str, str], int]
) -> ItemFigures:
    submits = sum(fact.attempt_type is AttemptType.SUBMIT for fact in facts)
    correct = sum(fact.is_correct is True for fact in facts)
    pairs = {(fact.user_id, fact.task) for fact in facts}
    solved = [pair for pair in pairs if pair in first_successes]
    counts = [first_successes[pair] for pair in solved]
    return ItemFigures(
        key=key,
        course=course,
        attempts=len(facts),
        submits=submits,
        correct=correct,
        success_rate=success_rate(correct, submits),
        solvers=len({user for user, _ in solved}),
        median_attempts_to_success=float(statistics.median(counts)) if counts else None,
    )
