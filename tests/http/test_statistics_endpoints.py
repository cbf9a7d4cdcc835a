"""GET /api/statistics and GET /api/v1/stats/daily in process, on both databases: who may read
what, the record shape, paging through `Link`, streaming, and bad input named field by field."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from falcon import testing

from handyman_core.analytics_records import AnalyticsRow
from handyman_core.attempt_types import AttemptItem, AttemptType
from handyman_core.client_keys import hash_client_key
from handyman_core.run_protocol import Verdict
from handyman_http.settings import Settings
from handyman_store.analytics_loads import load_rows
from handyman_store.daily_stats import compute_day
from handyman_store.statistics_clients import add_client
from tests.http.conftest import Api
from tests.store.analytics_rows import T0, add_attempt, minutes

OPERATOR_KEY = "hmk_operator"
LMS_KEY = "hmk_lms"
WINDOW = {"start": "2026-12-01 00:00:00", "end": "2026-12-02 00:00:00"}


@pytest.fixture
def stats_api(api: Api) -> Api:
    add_client(api.engine, "operator", hash_client_key(OPERATOR_KEY), [], now=T0)
    add_client(api.engine, "university", hash_client_key(LMS_KEY), ["uni"], now=T0)
    return api


def get(api: Api, path: str = "/api/statistics", **params: str) -> testing.Result:
    return api.client.simulate_get(path, params=params)


def statistics(api: Api, client: str = "operator", key: str = OPERATOR_KEY, **params: str) -> Any:
    result = get(api, client=client, client_key=key, **{**WINDOW, **params})
    assert result.status_code == 200, result.text
    return json.loads(result.text)


def test_a_record_has_the_seed_shape_plus_handymans_ids(stats_api: Api) -> None:
    add_attempt(
        stats_api.engine, at=T0 + minutes(5), user_id=7, consumer_key="uni", lms_user_id="s7"
    )

    [record] = statistics(stats_api)

    assert record == {
        "user_id": "s7",
        "passback_params": {
            "oauth_consumer_key": "uni",
            "lis_result_sourcedid": "block-1",
            "lis_outcome_service_url": "https://lms.example/grade",
            "lms_user_id": "s7",
        },
        "is_correct": 1,
        "attempt_type": "submit",
        "created_at": "2026-12-01T00:05:00.000000Z",
        "attempt_id": record["attempt_id"],
        "handyman_user_id": 7,
        "item_kind": "task",
        "task_id": "python_chapter_0010_task_0010",
        "course_id": "python",
    }


def test_runs_have_a_null_is_correct_and_attempts_outside_an_lms_no_passback(
    stats_api: Api,
) -> None:
    add_attempt(
        stats_api.engine,
        at=T0,
        user_id=3,
        attempt_type=AttemptType.RUN,
        item_kind=AttemptItem.PLAYGROUND,
        verdict=Verdict.RUN_FAILED,
    )

    [record] = statistics(stats_api)

    assert (record["user_id"], record["is_correct"], record["passback_params"]) == ("3", None, {})
    assert (record["task_id"], record["course_id"]) == (None, None)


def test_a_client_with_consumer_keys_sees_only_its_lms(stats_api: Api) -> None:
    add_attempt(stats_api.engine, at=T0 + minutes(1), consumer_key="uni")
    add_attempt(stats_api.engine, at=T0 + minutes(2), consumer_key="other")
    add_attempt(stats_api.engine, at=T0 + minutes(3))

    lms = statistics(stats_api, "university", LMS_KEY)
    everything = statistics(stats_api)

    assert [r["passback_params"]["oauth_consumer_key"] for r in lms] == ["uni"]
    assert len(everything) == 3


@pytest.mark.parametrize(
    ("client", "key"),
    [
        ("operator", "hmk_wrong"),
        ("nobody", OPERATOR_KEY),
        ("university", OPERATOR_KEY),
        ("operator\x00", OPERATOR_KEY),
        ("opérateur", OPERATOR_KEY),
    ],
)
def test_a_wrong_key_or_an_unknown_client_is_the_same_401(
    stats_api: Api, client: str, key: str
) -> None:
    result = get(stats_api, client=client, client_key=key, **WINDOW)

    assert result.status_code == 401
    assert result.json == {"error": "The client or its key is not valid"}
    assert "www-authenticate" in result.headers


def test_the_api_token_is_not_asked_of_statistics_clients(make_api: Any) -> None:
    api = make_api(Settings(api_token="site-token"))
    add_client(api.engine, "operator", hash_client_key(OPERATOR_KEY), [], now=T0)

    assert get(api, client="operator", client_key=OPERATOR_KEY, **WINDOW).status_code == 200
    assert (
        get(api, "/api/v1/stats/daily", **{"from": "2026-12-01", "to": "2026-12-01"}).status_code
        == 401
    )


@pytest.mark.parametrize(
    ("params", "fields"),
    [
        ({"start": "yesterday"}, {"start"}),
        ({"end": "2026-13-01"}, {"end"}),
        ({"start": "2026-12-02", "end": "2026-12-01"}, {"end"}),
        ({"start": "2026-01-01", "end": "2026-03-01"}, {"end"}),
        ({"limit": "100000"}, {"limit"}),
        ({"limit": "0"}, {"limit"}),
        ({"cursor": "not-a-cursor"}, {"cursor"}),
        ({"start": "", "limit": "x"}, {"start", "limit"}),
    ],
)
def test_bad_parameters_are_a_400_naming_each_field(
    stats_api: Api, params: dict[str, str], fields: set[str]
) -> None:
    query = {"client": "operator", "client_key": OPERATOR_KEY, **WINDOW, **params}

    result = get(stats_api, **query)

    assert result.status_code == 400
    assert set(result.json["fields"]) == fields


def test_missing_credentials_are_a_400_naming_them(stats_api: Api) -> None:
    result = get(stats_api, **WINDOW)

    assert result.status_code == 400
    assert set(result.json["fields"]) == {"client", "client_key"}


def test_a_parameter_given_twice_is_refused(stats_api: Api) -> None:
    result = stats_api.client.simulate_get(
        "/api/statistics",
        query_string="client=operator&client_key=k&start=2026-12-01&start=2026-12-02&end=2026-12-03",
    )

    assert result.status_code == 400
    assert set(result.json["fields"]) == {"start"}


def test_pages_follow_the_link_header_and_cover_the_window_once(stats_api: Api) -> None:
    for minute in range(7):
        add_attempt(stats_api.engine, at=T0 + minutes(minute), user_id=minute + 1)
    add_attempt(stats_api.engine, at=T0 + minutes(3), user_id=100)

    users: list[int] = []
    params: dict[str, str] = {"client": "operator", **WINDOW, "limit": "3"}
    pages = 0
    while True:
        result = get(stats_api, client_key=OPERATOR_KEY, **params)
        pages += 1
        users += [record["handyman_user_id"] for record in result.json]
        link = result.headers.get("link")
        if link is None:
            break
        target = urlsplit(link[1 : link.index(">")])
        assert target.path == "/api/statistics"
        assert link.endswith('; rel="next"')
        params = dict(parse_qsl(target.query))
        assert "client_key" not in params

    assert users == [1, 2, 3, 4, 100, 5, 6, 7]
    assert pages == 3


def test_a_last_full_page_has_no_next_link(stats_api: Api) -> None:
    for minute in range(3):
        add_attempt(stats_api.engine, at=T0 + minutes(minute))

    result = get(stats_api, client="operator", client_key=OPERATOR_KEY, **WINDOW, limit="3")

    assert len(result.json) == 3
    assert "link" not in result.headers


def test_an_empty_window_is_an_empty_array(stats_api: Api) -> None:
    assert statistics(stats_api) == []
    assert (
        get(stats_api, client="operator", client_key=OPERATOR_KEY, **WINDOW, limit="5").json == []
    )


def test_the_whole_window_streams_in_one_answer_without_a_limit(stats_api: Api) -> None:
    for minute in range(2500):
        add_attempt(stats_api.engine, at=T0 + timedelta(seconds=minute), user_id=minute + 1)

    records = statistics(stats_api)

    assert [r["handyman_user_id"] for r in records] == list(range(1, 2501))


def test_rfc3339_windows_with_offsets_are_read(stats_api: Api) -> None:
    add_attempt(stats_api.engine, at=T0 + timedelta(hours=22))

    moscow_day = statistics(
        stats_api, start="2026-12-02T00:00:00+03:00", end="2026-12-03T00:00:00+03:00"
    )

    assert len(moscow_day) == 1


# /api/v1/stats/daily


def _computed_day(api: Api) -> None:
    rows = [
        AnalyticsRow("u1", "uni", "b1", None, 0, AttemptType.SUBMIT, T0 + minutes(1), "t1", "c"),
        AnalyticsRow("u1", "uni", "b1", None, 1, AttemptType.SUBMIT, T0 + minutes(2), "t1", "c"),
        AnalyticsRow("u2", "uni", "b2", None, None, AttemptType.RUN, T0 + minutes(3), "t2", "c"),
        AnalyticsRow("u3", "", None, None, 1, AttemptType.SUBMIT, T0 + minutes(4), "t1", "c"),
    ]
    load_rows(api.engine, rows, now=T0)
    compute_day(api.engine, date(2026, 12, 1), UTC, "UTC", now=datetime(2026, 12, 2, tzinfo=UTC))


def test_daily_figures_are_served_as_json(api: Api) -> None:
    _computed_day(api)

    result = get(api, "/api/v1/stats/daily", **{"from": "2026-12-01", "to": "2026-12-01"})

    assert result.status_code == 200
    body = result.json
    assert (body["from"], body["to"], body["client"]) == ("2026-12-01", "2026-12-01", None)
    assert [day["client"] for day in body["days"]] == ["", "uni"]
    uni = body["days"][1]
    assert {key: uni[key] for key in ("attempts", "submits", "runs", "correct")} == {
        "attempts": 3,
        "submits": 2,
        "runs": 1,
        "correct": 1,
    }
    assert (uni["success_rate"], uni["unique_users"], uni["unique_tasks"]) == (0.5, 2, 2)
    assert uni["tasks"][0] == {
        "task_id": "t1",
        "course_id": "c",
        "attempts": 2,
        "submits": 2,
        "correct": 1,
        "success_rate": 0.5,
        "solvers": 1,
        "median_attempts_to_success": 2.0,
    }
    assert uni["time_zone"] == "UTC"


def test_daily_figures_can_be_limited_to_one_client(api: Api) -> None:
    _computed_day(api)

    result = get(
        api, "/api/v1/stats/daily", **{"from": "2026-12-01", "to": "2026-12-01", "client": "uni"}
    )

    assert [day["client"] for day in result.json["days"]] == ["uni"]


def test_no_client_has_a_nul_in_its_key(api: Api) -> None:
    _computed_day(api)

    result = get(
        api, "/api/v1/stats/daily", **{"from": "2026-12-01", "to": "2026-12-01", "client": "u\x00"}
    )

    assert (result.status_code, result.json["days"]) == (200, [])


def test_daily_figures_are_served_as_csv_when_asked(api: Api) -> None:
    _computed_day(api)

    result = api.client.simulate_get(
        "/api/v1/stats/daily",
        params={"from": "2026-12-01", "to": "2026-12-01"},
        headers={"Accept": "text/csv"},
    )

    assert result.headers["content-type"].startswith("text/csv")
    lines = result.text.splitlines()
    assert lines[0].startswith("date,client,time_zone,attempts")
    assert lines[2] == "2026-12-01,uni,UTC,3,2,1,1,0.5,2,2,"


@pytest.mark.parametrize(
    ("params", "fields"),
    [
        ({}, {"from", "to"}),
        ({"from": "2026-12-02", "to": "2026-12-01"}, {"to"}),
        ({"from": "2020-01-01", "to": "2026-12-01"}, {"to"}),
        ({"from": "01.12.2026", "to": "2026-12-01"}, {"from"}),
    ],
)
def test_bad_daily_queries_are_a_400_naming_each_field(
    api: Api, params: dict[str, str], fields: set[str]
) -> None:
    result = get(api, "/api/v1/stats/daily", **params)

    assert result.status_code == 400
    assert set(result.json["fields"]) == fields
