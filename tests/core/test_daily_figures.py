"""The day's figures: counts that add up, rates that are rates, medians that mean what the
definitions say, and an answer that depends on the attempts, not on their order."""

from __future__ import annotations

import random
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from handyman_core.attempt_types import AttemptType
from handyman_core.daily_figures import (
    AttemptFact,
    ClientDay,
    ItemFigures,
    daily_figures,
    hardest_tasks,
    success_rate,
)
from tests.core.analytics_strategies import DAY, DAY_START, day_facts


def _fact(
    user: str,
    task: str,
    minute: int,
    attempt_type: AttemptType = AttemptType.SUBMIT,
    *,
    correct: bool | None = False,
    client: str = "lms",
) -> AttemptFact:
    return AttemptFact(
        client=client,
        user_id=user,
        course="python",
        task=task,
        attempt_type=attempt_type,
        is_correct=correct if attempt_type is AttemptType.SUBMIT else None,
        created_at=DAY_START + timedelta(minutes=minute),
    )


def _only(days: list[ClientDay]) -> ClientDay:
    assert len(days) == 1
    return days[0]


@given(day_facts)
def test_attempts_are_submits_plus_runs_and_correct_never_exceeds_submits(
    facts: list[AttemptFact],
) -> None:
    for day in daily_figures(DAY, facts):
        figures = day.figures
        assert figures.attempts == figures.submits + figures.runs
        assert 0 <= figures.correct <= figures.submits


@given(day_facts)
def test_the_success_rate_is_in_zero_to_one_and_absent_only_without_submits(
    facts: list[AttemptFact],
) -> None:
    for day in daily_figures(DAY, facts):
        items = [day.figures, *day.courses, *day.tasks]
        for item in items:
            if item.submits == 0:
                assert item.success_rate is None
            else:
                assert item.success_rate is not None
                assert 0.0 <= item.success_rate <= 1.0
                assert item.success_rate == item.correct / item.submits


@given(day_facts)
def test_counts_add_up_across_courses_tasks_and_clients(facts: list[AttemptFact]) -> None:
    days = daily_figures(DAY, facts)
    assert sum(day.figures.attempts for day in days) == len(facts)
    for day in days:
        for field in ("attempts", "submits", "correct"):
            total = getattr(day.figures, field)
            assert sum(getattr(course, field) for course in day.courses) == total
            assert sum(getattr(task, field) for task in day.tasks) == total
        assert day.figures.unique_tasks == len(day.tasks)


@given(day_facts, st.randoms())
def test_the_order_of_the_attempts_does_not_matter(
    facts: list[AttemptFact], rng: random.Random
) -> None:
    shuffled = list(facts)
    rng.shuffle(shuffled)
    assert daily_figures(DAY, shuffled) == daily_figures(DAY, facts)


@given(day_facts)
def test_computing_a_day_again_gives_the_same_figures(facts: list[AttemptFact]) -> None:
    assert daily_figures(DAY, facts) == daily_figures(DAY, facts)


@given(day_facts)
def test_unique_users_count_distinct_learners(facts: list[AttemptFact]) -> None:
    for day in daily_figures(DAY, facts):
        learners = {fact.user_id for fact in facts if fact.client == day.client}
        assert day.figures.unique_users == len(learners)


@given(day_facts)
def test_solvers_and_medians_stay_within_what_the_day_allows(facts: list[AttemptFact]) -> None:
    for day in daily_figures(DAY, facts):
        for task in day.tasks:
            assert task.solvers <= task.correct
            if task.solvers == 0:
                assert task.median_attempts_to_success is None
            else:
                assert task.median_attempts_to_success is not None
                assert 1 <= task.median_attempts_to_success <= task.submits


def test_attempts_to_first_success_count_submits_up_to_the_first_correct_one() -> None:
    facts = [
        _fact("ann", "t1", 1),
        _fact("ann", "t1", 2, AttemptType.RUN),
        _fact("ann", "t1", 3),
        _fact("ann", "t1", 4, correct=True),
        _fact("ann", "t1", 5, correct=True),
        _fact("bob", "t1", 6, correct=True),
    ]

    (task,) = _only(daily_figures(DAY, facts)).tasks

    assert task.solvers == 2
    assert task.median_attempts_to_success == 2.0, "ann needed 3 submits, bob 1"


def test_a_learner_who_never_succeeds_is_not_in_the_median() -> None:
    facts = [_fact("ann", "t1", 1), _fact("ann", "t1", 2), _fact("bob", "t1", 3, correct=True)]

    (task,) = _only(daily_figures(DAY, facts)).tasks

    assert task.solvers == 1
    assert task.median_attempts_to_success == 1.0


def test_the_course_median_spans_every_first_success_in_the_course() -> None:
    facts = [
        _fact("ann", "t1", 1),
        _fact("ann", "t1", 2, correct=True),
        _fact("ann", "t2", 3, correct=True),
        _fact("bob", "t2", 4),
        _fact("bob", "t2", 5),
        _fact("bob", "t2", 6, correct=True),
    ]

    (course,) = _only(daily_figures(DAY, facts)).courses

    assert course.solvers == 2
    assert course.median_attempts_to_success == 2.0, "first successes after 2, 1 and 3 submits"


def test_a_day_of_runs_only_has_no_success_rate() -> None:
    day = _only(daily_figures(DAY, [_fact("ann", "t1", 1, AttemptType.RUN)]))

    assert day.figures.runs == 1
    assert day.figures.success_rate is None


def test_each_client_gets_its_own_figures() -> None:
    facts = [_fact("ann", "t1", 1, client="a"), _fact("ann", "t1", 2, client="b", correct=True)]

    days = daily_figures(DAY, facts)

    assert [(day.client, day.figures.correct) for day in days] == [("a", 0), ("b", 1)]


def _task(key: str, submits: int, correct: int) -> ItemFigures:
    return ItemFigures(
        key=key,
        course="c",
        attempts=submits,
        submits=submits,
        correct=correct,
        success_rate=success_rate(correct, submits),
        solvers=correct,
        median_attempts_to_success=None,
    )


def test_the_hardest_tasks_have_the_lowest_success_rate_among_those_tried_enough() -> None:
    tasks = [_task("easy", 10, 9), _task("hard", 10, 1), _task("rare", 2, 0), _task("mid", 8, 4)]

    hardest = hardest_tasks(tasks, count=2, min_submits=5)

    assert [task.key for task in hardest] == ["hard", "mid"]


def test_hardest_tasks_break_ties_by_more_submits_then_by_key() -> None:
    tasks = [_task("b", 6, 3), _task("a", 6, 3), _task("c", 12, 6)]

    assert [task.key for task in hardest_tasks(tasks, min_submits=1)] == ["c", "a", "b"]


@given(day_facts, st.integers(0, 6), st.integers(0, 5))
def test_hardest_tasks_are_never_more_than_asked_and_never_below_the_threshold(
    facts: list[AttemptFact], count: int, min_submits: int
) -> None:
    for day in daily_figures(DAY, facts):
        hardest = hardest_tasks(day.tasks, count=count, min_submits=min_submits)
        assert len(hardest) <= count
        assert all(task.submits >= max(min_submits, 1) for task in hardest)
        rates = [task.success_rate for task in hardest]
        assert rates == sorted(rates)  # type: ignore[type-var]
