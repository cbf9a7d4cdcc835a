"""/api/v1/segments, /api/v1/users/{user_id}/segments and /api/v1/reports/segments, on SQLite
and PostgreSQL: what each answers, who may change what, expiry at the injected clock's instant,
the streamed report, and every bad input a 4xx naming the entry with the tables unchanged."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from typing import Any

import pytest
from attrs import define
from falcon import testing
from sqlalchemy import Engine

from handyman_cli.composition import build_services
from handyman_http.app import create_app
from handyman_http.settings import Settings
from handyman_http.trusted_networks import TrustedNetworks
from handyman_store.catalogue_import import import_catalogue
from handyman_store.course_folder import read_course_folder
from tests.conftest import EXAMPLE_COURSES
from tests.http.conftest import ADMIN_TOKEN, FIXED_NOW, database_rows

API_TOKEN = "test-api-token"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
READER = {"Authorization": f"Bearer {API_TOKEN}"}
SEGMENTS = "/api/v1/segments"
REPORT = "/api/v1/reports/segments"
USER = 7
SITE = "10.0.0.7"


def user_path(user_id: object = USER) -> str:
    return f"/api/v1/users/{user_id}/segments"


@define
class Clock:
    now: datetime = FIXED_NOW

    def __call__(self) -> datetime:
        return self.now


@define
class SegmentsApi:
    client: testing.TestClient
    clock: Clock
    engine: Engine

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        remote_addr: str | None = None,
    ) -> testing.Result:
        return self.client.simulate_request(
            method,
            path,
            json=body,
            headers=ADMIN if headers is None else headers,
            params=params,
            remote_addr=remote_addr,
        )


def build(engine: Engine, settings: Settings) -> SegmentsApi:
    import_catalogue(engine, read_course_folder(EXAMPLE_COURSES), str(EXAMPLE_COURSES))
    clock = Clock()
    services = build_services(engine, settings, None, clock=clock, catalogue_refresh_seconds=0.0)
    return SegmentsApi(testing.TestClient(create_app(services)), clock, engine)


@pytest.fixture
def api(engine: Engine) -> SegmentsApi:
    return build(
        engine,
        Settings(
            api_token=API_TOKEN,
            admin_token=ADMIN_TOKEN,
            admin_networks=TrustedNetworks.parse("10.0.0.0/8"),
        ),
    )


@pytest.fixture
def seeded(api: SegmentsApi) -> SegmentsApi:
    """BETA (explicit), HALF (50 % rollout), OLD (deleted); user 7 in BETA."""
    for body in ({"name": "BETA"}, {"name": "HALF", "percentage": 50}, {"name": "OLD"}):
        assert api.call("POST", SEGMENTS, body).status_code == 201
    assert api.call("DELETE", f"{SEGMENTS}/OLD").status_code == 200
    assert api.call("POST", user_path(), {"add": [{"name": "BETA"}]}).status_code == 200
    return api


def names(result: testing.Result) -> list[str]:
    return [segment["name"] for segment in result.json["segments"]]


def test_a_created_segment_is_answered_with_its_location(api: SegmentsApi) -> None:
    result = api.call("POST", SEGMENTS, {"name": "BETA", "percentage": 12.5, "description": "d"})
    assert result.status_code == 201
    assert result.headers["Location"] == f"{SEGMENTS}/BETA"
    assert result.json["percentage"] == 12.5
    assert result.json["created_at"].startswith("2026-11-01T12:00:00")
    assert len(result.json["salt"]) == 16


def test_the_list_shows_deleted_segments_flagged_with_member_counts(seeded: SegmentsApi) -> None:
    listed = seeded.call("GET", SEGMENTS, headers=READER).json["segments"]
    assert [(s["name"], s["deleted"], s["members"]) for s in listed] == [
        ("BETA", False, 1),
        ("HALF", False, 0),
        ("OLD", True, 0),
    ]


def test_deleting_twice_is_a_conflict_with_a_clear_message(seeded: SegmentsApi) -> None:
    result = seeded.call("DELETE", f"{SEGMENTS}/OLD")
    assert result.status_code == 409
    assert result.json["error"] == "segment OLD is already deleted"


def test_a_deleted_segment_is_gone_from_its_url_but_listed(seeded: SegmentsApi) -> None:
    shown = seeded.call("GET", f"{SEGMENTS}/OLD")
    assert (shown.status_code, shown.json["error"]) == (404, "segment OLD is deleted")
    listed = seeded.call("GET", SEGMENTS).json["segments"]
    assert [s["deleted"] for s in listed if s["name"] == "OLD"] == [True]


def test_a_deleted_name_can_be_created_again_as_a_new_segment(seeded: SegmentsApi) -> None:
    listed = seeded.call("GET", SEGMENTS).json["segments"]
    old_id = next(s["id"] for s in listed if s["name"] == "OLD")
    again = seeded.call("POST", SEGMENTS, {"name": "OLD"})
    assert again.status_code == 201
    assert again.json["id"] != old_id
    assert seeded.call("GET", f"{SEGMENTS}/OLD").json["id"] == again.json["id"]


def test_a_user_s_segments_are_read_with_the_api_token(seeded: SegmentsApi) -> None:
    result = seeded.call("GET", user_path(), headers=READER)
    assert result.status_code == 200
    assert "BETA" in names(result)
    assert result.json["segments"][0] == {
        "name": "BETA",
        "source": "explicit",
        "since": "2026-11-01T12:00:00.000000Z",
        "expires_at": None,
    }


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", SEGMENTS, {"name": "NEW"}),
        ("PATCH", f"{SEGMENTS}/BETA", {"percentage": 10}),
        ("DELETE", f"{SEGMENTS}/BETA", None),
        ("POST", user_path(), {"remove": ["BETA"]}),
    ],
)
def test_changing_needs_the_admin_token_or_the_admin_network(
    seeded: SegmentsApi, method: str, path: str, body: Any
) -> None:
    before = database_rows(seeded.engine)
    refused = seeded.call(method, path, body, headers=READER)
    assert refused.status_code == 403
    assert database_rows(seeded.engine) == before
    from_the_site = seeded.call(method, path, body, headers=READER, remote_addr=SITE)
    assert from_the_site.status_code in (200, 201)


def test_an_expired_membership_is_gone_at_the_exact_instant_of_the_clock(
    seeded: SegmentsApi,
) -> None:
    expires = FIXED_NOW + timedelta(hours=1)
    body = {"add": [{"name": "BETA", "expires_at": "2026-11-01T13:00:00Z"}]}
    assert seeded.call("POST", user_path(8), body).status_code == 200
    seeded.clock.now = expires - timedelta(microseconds=1)
    assert "BETA" in names(seeded.call("GET", user_path(8)))
    seeded.clock.now = expires
    assert "BETA" not in names(seeded.call("GET", user_path(8)))


def test_the_answer_to_a_change_is_the_user_s_segments_after_it(seeded: SegmentsApi) -> None:
    result = seeded.call("POST", user_path(), {"remove": ["BETA"], "add": [{"name": "HALF"}]})
    assert result.status_code == 200
    assert names(result) == ["HALF"]


def report_rows(result: testing.Result) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(result.text)))


def test_the_month_report_is_csv_sorted_by_time_then_segment(seeded: SegmentsApi) -> None:
    result = seeded.call("GET", REPORT, params={"month": "2026-11"}, headers=READER)
    assert result.status_code == 200
    assert result.headers["Content-Type"].startswith("text/csv")
    assert result.headers["Content-Disposition"] == 'attachment; filename="segments-2026-11.csv"'
    assert result.text.splitlines()[0] == "user_id,segment,operation,at,percentage"
    rows = report_rows(result)
    assert [(r["user_id"], r["segment"], r["operation"], r["percentage"]) for r in rows] == [
        ("7", "BETA", "added", ""),
        ("", "HALF", "added", "50"),
    ]
    assert all(r["at"] == "2026-11-01T12:00:00.000000Z" for r in rows)


def test_a_month_without_events_is_the_header_only(seeded: SegmentsApi) -> None:
    result = seeded.call("GET", REPORT, params={"month": "2026-10"})
    assert result.text == "user_id,segment,operation,at,percentage\r\n"
    as_json = seeded.call("GET", REPORT, params={"month": "2026-10", "format": "json"})
    assert as_json.json == {
        "from": "2026-10-01T00:00:00.000000Z",
        "to": "2026-11-01T00:00:00.000000Z",
        "rows": [],
    }


def test_without_a_period_the_report_is_the_current_month(seeded: SegmentsApi) -> None:
    result = seeded.call("GET", REPORT, params={"format": "json"})
    assert (result.json["from"], result.json["to"]) == (
        "2026-11-01T00:00:00.000000Z",
        "2026-12-01T00:00:00.000000Z",
    )
    assert len(result.json["rows"]) == 2


def test_bounds_given_together_intersect_and_an_empty_period_has_no_rows(
    seeded: SegmentsApi,
) -> None:
    params = {"month": "2026-11", "from": "2026-11-02T00:00:00Z", "to": "2026-11-01T00:00:00Z"}
    result = seeded.call("GET", REPORT, params=params)
    assert result.status_code == 200
    assert result.text == "user_id,segment,operation,at,percentage\r\n"


def test_the_json_report_is_chosen_by_accept(seeded: SegmentsApi) -> None:
    result = seeded.call(
        "GET", REPORT, params={"month": "2026-11"}, headers={**READER, "Accept": "application/json"}
    )
    assert [row["segment"] for row in result.json["rows"]] == ["BETA", "HALF"]


def test_a_long_report_streams_in_chunks(api: SegmentsApi) -> None:
    api.call("POST", SEGMENTS, {"name": "MANY"})
    for user_id in range(1, 1500):
        api.call("POST", user_path(user_id), {"add": [{"name": "MANY"}]})
    result = api.client.simulate_get(REPORT, params={"month": "2026-11"}, headers=ADMIN)
    assert len(report_rows(result)) == 1499
    assert len(result.content) > 64 * 1024


# --- bad input: a 4xx naming the entry, and nothing written -----------------------------------

BadCase = tuple[str, str, Any, dict[str, str] | None, int, set[str]]

BAD: list[BadCase] = [
    ("POST", SEGMENTS, {"name": "lower"}, None, 400, {"name"}),
    ("POST", SEGMENTS, {"name": "A" * 65}, None, 400, {"name"}),
    ("POST", SEGMENTS, {"name": "NEW", "percentage": -1, "description": 3}, None, 400,
     {"percentage", "description"}),
    ("POST", SEGMENTS, {"name": "NEW", "percentage": "50"}, None, 400, {"percentage"}),
    ("POST", SEGMENTS, {"name": "NEW", "percentage": 33.333}, None, 400, {"percentage"}),
    ("POST", SEGMENTS, {"name": "NEW", "description": "a\x00b"}, None, 400, {"description"}),
    ("POST", SEGMENTS, ["NEW"], None, 400, {"body"}),
    ("POST", SEGMENTS, {"name": "BETA"}, None, 409, set()),
    ("PATCH", f"{SEGMENTS}/BETA", {}, None, 400, {"body"}),
    ("PATCH", f"{SEGMENTS}/BETA", {"percentage": 100.5}, None, 400, {"percentage"}),
    ("PATCH", f"{SEGMENTS}/beta", {"percentage": 1}, None, 400, {"name"}),
    ("PATCH", f"{SEGMENTS}/NEVER", {"percentage": 1}, None, 404, set()),
    ("PATCH", f"{SEGMENTS}/OLD", {"percentage": 1}, None, 409, set()),
    ("DELETE", f"{SEGMENTS}/OLD", None, None, 409, set()),
    ("DELETE", f"{SEGMENTS}/NEVER", None, None, 404, set()),
    ("DELETE", f"{SEGMENTS}/1", None, None, 400, {"name"}),
    ("POST", user_path(), {}, None, 400, {"body"}),
    ("POST", user_path(), {"add": "BETA"}, None, 400, {"add"}),
    ("POST", user_path(), {"add": [{"name": "HALF"}, {"name": "HALF"}]}, None, 409,
     {"add[1].name"}),
    ("POST", user_path(), {"add": [{"name": "HALF"}], "remove": ["HALF", "BETA"]}, None, 409,
     {"add[0].name", "remove[0]"}),
    ("POST", user_path(), {"add": [{"name": "HALF", "expires_at": "2026-11-01T12:00:00Z"}]},
     None, 409, {"add[0].expires_at"}),
    ("POST", user_path(), {"add": [{"name": "HALF", "colour": "red"}]}, None, 400,
     {"add[0].colour"}),
    ("POST", user_path(), {"add": [{"name": "HALF"}], "drop": []}, None, 400, {"drop"}),
    ("POST", SEGMENTS, {"name": "NEW", "percent": 5}, None, 400, {"percent"}),
    ("POST", SEGMENTS, {"name": "NEW", "percentage": None}, None, 400, {"percentage"}),
    ("POST", user_path(), {"add": [{"name": "HALF", "expires_at": "next week"}]}, None, 400,
     {"add[0].expires_at"}),
    ("POST", user_path(), {"add": [{"name": "HALF"}, {"name": "NOPE"}], "remove": ["GONE"]},
     None, 404, {"add[1].name", "remove[0]"}),
    ("POST", user_path(), {"add": [{"name": "HALF"}], "remove": ["OLD"]}, None, 409,
     {"remove[0]"}),
    ("POST", user_path(), {"add": [{"name": "x"}, {"name": "NOPE"}], "remove": ["OLD"]}, None,
     400, {"add[0].name", "add[1].name", "remove[0]"}),
    ("POST", user_path("abc"), {"remove": ["b"]}, None, 400, {"user_id", "remove[0]"}),
    ("POST", user_path(0), {"remove": ["BETA"]}, None, 400, {"user_id"}),
    ("GET", user_path(2**63), None, None, 400, {"user_id"}),
    ("GET", REPORT + "?month=2026-13", None, None, 400, {"month"}),
    ("GET", REPORT + "?from=yesterday&to=2026-11-01T00:00:00Z", None, None, 400, {"from"}),
    ("GET", REPORT + "?month=2026-11&format=xml", None, None, 400, {"format"}),
]  # fmt: skip


@pytest.mark.parametrize("case", BAD, ids=[f"{c[0]} {c[1]} {c[2]!r}"[:80] for c in BAD])
def test_bad_input_is_a_4xx_naming_every_entry_and_writes_nothing(
    seeded: SegmentsApi, case: BadCase
) -> None:
    method, path, body, headers, status, fields = case
    before = database_rows(seeded.engine)
    result = seeded.call(method, path, body, headers=headers)
    assert result.status_code == status, result.text
    assert isinstance(result.json["error"], str)
    assert set(result.json.get("fields", {})) == fields
    assert database_rows(seeded.engine) == before


def test_a_body_that_is_not_json_is_a_400(seeded: SegmentsApi) -> None:
    before = database_rows(seeded.engine)
    result = seeded.client.simulate_post(
        user_path(), body=b"{oops", headers={**ADMIN, "Content-Type": "application/json"}
    )
    assert result.status_code == 400
    assert "body" in result.json["fields"]
    assert database_rows(seeded.engine) == before
