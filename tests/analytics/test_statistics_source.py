"""The statistics API client against a scripted source on loopback: pages followed through
`Link` headers, credentials on every request, retries with backoff on timeouts and 5xx, and
4xx answers reported with their status code."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from handyman_analytics.statistics_source import (
    SourceError,
    SourceSettings,
    fetch_pages,
    open_session,
)
from handyman_core.statistics_query import TimeWindow
from tests.analytics.scripted_server import Answer, Request, scripted_server
from tests.loopback import free_port

WINDOW = TimeWindow(datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 2, tzinfo=UTC))


def settings(url: str, **changes: object) -> SourceSettings:
    options: dict[str, object] = {
        "url": url + "/api/statistics",
        "client": "uni",
        "client_key": "hmk_secret",
        "page_size": 2,
        "timeout_seconds": 2.0,
        "retries": 2,
        "backoff_seconds": 0.01,
        **changes,
    }
    return SourceSettings(**options)  # type: ignore[arg-type]


def pages_of(source: SourceSettings) -> list[list[object]]:
    with open_session(source) as session:
        return [page.records for page in fetch_pages(session, source, WINDOW)]


def test_the_window_and_credentials_are_sent_in_the_seeds_format() -> None:
    with scripted_server(lambda request: Answer(body=[])) as server:
        pages_of(settings(server.url))

    [request] = server.requests
    assert request.query == {
        "client": "uni",
        "client_key": "hmk_secret",
        "start": "2026-12-01 00:00:00.000000",
        "end": "2026-12-02 00:00:00.000000",
        "limit": "2",
    }


def test_pages_are_followed_through_the_next_link_with_the_key_added_again() -> None:
    def respond(request: Request) -> Answer:
        if "cursor" not in request.query:
            return Answer(
                body=[1, 2],
                headers={"Link": '</api/statistics?cursor=abc&limit=2&client=uni>; rel="next"'},
            )
        return Answer(body=[3])

    with scripted_server(respond) as server:
        assert pages_of(settings(server.url)) == [[1, 2], [3]]

    second = server.requests[1]
    assert second.query["cursor"] == "abc"
    assert second.query["client_key"] == "hmk_secret"
    assert "start" not in second.query, "the next link carries its own parameters"


def test_a_source_without_paging_answers_in_one_page() -> None:
    with scripted_server(lambda request: Answer(body=[1, 2, 3, 4, 5])) as server:
        assert pages_of(settings(server.url, page_size=None)) == [[1, 2, 3, 4, 5]]
    assert "limit" not in server.requests[0].query


def test_a_5xx_is_retried_and_logged_until_the_source_answers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    answers = [Answer(503, {"error": "busy"}), Answer(502), Answer(body=[1])]

    with scripted_server(lambda request: answers.pop(0)) as server:
        caplog.set_level(logging.WARNING, logger="handyman.stats")
        assert pages_of(settings(server.url)) == [[1]]

    assert len(server.requests) == 3
    assert [r.getMessage().split(";")[0] for r in caplog.records] == [
        "the source failed (status 503)",
        "the source failed (status 502)",
    ]


def test_a_5xx_that_outlasts_the_retries_is_an_error_with_its_status() -> None:
    with (
        scripted_server(lambda request: Answer(500, {"error": "broken"})) as server,
        pytest.raises(SourceError) as raised,
    ):
        pages_of(settings(server.url, retries=2))

    assert raised.value.status_code == 500
    assert len(server.requests) == 3


def test_a_timeout_is_retried() -> None:
    answers = [Answer(body=[], delay=1.0), Answer(body=[7])]

    with scripted_server(lambda request: answers.pop(0)) as server:
        assert pages_of(settings(server.url, timeout_seconds=0.3)) == [[7]]


def test_a_4xx_is_not_retried_and_reports_status_and_reason() -> None:
    refusal = Answer(401, {"error": "The client or its key is not valid"})

    with scripted_server(lambda request: refusal) as server, pytest.raises(SourceError) as raised:
        pages_of(settings(server.url))

    assert raised.value.status_code == 401
    assert "not valid" in str(raised.value)
    assert len(server.requests) == 1


def test_an_unreachable_source_is_an_error_without_a_status() -> None:
    with pytest.raises(SourceError) as raised:
        pages_of(settings(f"http://127.0.0.1:{free_port()}", retries=1))

    assert raised.value.status_code is None


def test_a_next_link_to_another_host_is_refused() -> None:
    link = Answer(body=[1], headers={"Link": '<http://elsewhere.invalid/steal>; rel="next"'})

    with (
        scripted_server(lambda request: link) as server,
        pytest.raises(SourceError, match="leaves its host"),
    ):
        pages_of(settings(server.url))


@pytest.mark.parametrize("body", [{"records": []}, b"<html>oops</html>"])
def test_an_answer_that_is_not_an_array_of_records_is_an_error(body: object) -> None:
    with scripted_server(lambda request: Answer(body=body)) as server, pytest.raises(SourceError):
        pages_of(settings(server.url))


def test_a_page_with_a_lone_surrogate_still_reads_so_that_record_can_be_skipped() -> None:
    body = b'[{"user_id": "\\ud800"}, {"user_id": "ok"}]'

    with scripted_server(lambda request: Answer(body=body)) as server:
        assert pages_of(settings(server.url)) == [[{"user_id": "\ud800"}, {"user_id": "ok"}]]
