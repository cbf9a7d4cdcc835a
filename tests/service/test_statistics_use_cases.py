"""The statistics use cases over the in-memory ports: who may read what, paging, and the
attempts the site's runs leave for an LMS (with their passback parameters and types)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from handyman_core.attempt_types import AttemptItem, AttemptType
from handyman_core.client_keys import ClientAccess, hash_client_key
from handyman_core.errors import InvalidInput, Unauthorized
from handyman_core.lti_passback import PassbackParams
from handyman_core.run_protocol import RunResult, Verdict
from handyman_core.statistics_query import StatisticsQuery, TimeWindow
from handyman_core.task_runs import prepare_playground_run
from handyman_service.playground import RunPlayground, run_playground
from handyman_service.practice import HandlePracticeCode, handle_practice_code
from handyman_service.statistics import DailyQuery, daily_stats, list_statistics
from handyman_service.tasks import RunTask, run_task
from tests.service.conftest import COURSE, NOW, PROJECT, TASK
from tests.service.use_case_context import World, world

USER = 7
LMS = PassbackParams("uni-lms", "block-1", "https://lms.example/grade", "student-7")
WINDOW = TimeWindow(NOW - timedelta(hours=1), NOW + timedelta(hours=1))
TREE = json.dumps(
    {
        "name": "project",
        "children": [{"name": "main.py", "contents": "print(1)", "is_main_file": True}],
    }
)


def with_clients() -> World:
    w = world()
    w.store.clients["operator"] = ClientAccess(hash_client_key("k-op"), frozenset())
    w.store.clients["university"] = ClientAccess(hash_client_key("k-uni"), frozenset({"uni-lms"}))
    return w


def query(client: str = "operator", key: str = "k-op", limit: int | None = None) -> StatisticsQuery:
    return StatisticsQuery(client, key, WINDOW, limit, None)


@pytest.mark.parametrize(("client", "key"), [("operator", "wrong"), ("nobody", "k-op")])
def test_an_unknown_client_and_a_wrong_key_are_both_unauthorized(client: str, key: str) -> None:
    with pytest.raises(Unauthorized):
        list_statistics(with_clients().context, query(client, key))


def test_a_run_task_with_passback_params_is_its_lmss_submit() -> None:
    w = with_clients()
    run_task(w.context, RunTask(USER, TASK, "print(1)", passback=LMS))

    [record] = list(list_statistics(w.context, query("university", "k-uni")).records)

    assert (record.user_id, record.passback, record.attempt_type, record.is_correct) == (
        "student-7",
        LMS,
        AttemptType.SUBMIT,
        True,
    )


def test_a_client_limited_to_an_lms_does_not_see_other_attempts() -> None:
    w = with_clients()
    run_task(w.context, RunTask(USER, TASK, "print(1)"))

    assert list(list_statistics(w.context, query("university", "k-uni")).records) == []
    assert len(list(list_statistics(w.context, query()).records)) == 1


def test_a_page_says_where_the_next_one_starts_and_the_last_says_nothing() -> None:
    w = with_clients()
    for _ in range(3):
        run_task(w.context, RunTask(USER, TASK, "print(1)"))

    first = list_statistics(w.context, query(limit=2))
    records = list(first.records)

    assert len(records) == 2 and first.next_after == records[-1].position
    rest = list_statistics(
        w.context, StatisticsQuery("operator", "k-op", WINDOW, 2, first.next_after)
    )
    assert len(list(rest.records)) == 1 and rest.next_after is None


def test_a_failed_practice_test_is_a_judged_submit_and_a_run_is_a_run() -> None:
    w = with_clients()
    w.runner.answer(RunResult(Verdict.TESTS_FAILED), RunResult(Verdict.PASSED))
    for action in ("test", "run"):
        handle_practice_code(
            w.context, HandlePracticeCode(USER, COURSE, PROJECT, action, TREE, passback=LMS)
        )

    records = list(list_statistics(w.context, query()).records)

    assert [(r.attempt_type, r.is_correct, r.item_kind) for r in records] == [
        (AttemptType.SUBMIT, False, AttemptItem.PROJECT),
        (AttemptType.RUN, None, AttemptItem.PROJECT),
    ]


def test_an_lms_playground_run_is_a_run_attempt_and_other_playground_runs_are_none() -> None:
    w = with_clients()
    request = prepare_playground_run("python", TREE, "")
    run_playground(w.context, RunPlayground(USER, request, TREE, "pg-1", passback=LMS))
    run_playground(w.context, RunPlayground(USER, request, TREE, "pg-2"))
    run_playground(w.context, RunPlayground(None, request, TREE, "pg-3", passback=LMS))

    [record] = list(list_statistics(w.context, query()).records)

    assert (record.item_kind, record.item_id, record.course_id) == (
        AttemptItem.PLAYGROUND,
        None,
        None,
    )
    assert record.passback == LMS


def test_a_backwards_span_of_days_is_refused_naming_to() -> None:
    with pytest.raises(InvalidInput) as raised:
        daily_stats(world().context, DailyQuery(NOW.date(), NOW.date() - timedelta(days=1)))

    assert set(raised.value.fields) == {"to"}
