"""An outage is logged at once in one line, then summarised at most once per interval."""

from __future__ import annotations

import logging

import pytest

from handyman_http.outage_log import OutageLog


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def outages(clock: Clock) -> OutageLog:
    return OutageLog(logging.getLogger("test.outages"), interval_s=10.0, monotonic=clock)


def messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "test.outages"]


def test_the_first_failure_is_logged_at_once(
    outages: OutageLog, caplog: pytest.LogCaptureFixture
) -> None:
    outages.failed("database", "connection refused")

    assert messages(caplog) == [
        "database unavailable: connection refused (further failures summarised every 10 s)"
    ]


def test_failures_within_the_interval_are_counted_not_logged(
    outages: OutageLog, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    for _ in range(1000):
        clock.now += 0.005
        outages.failed("database", "connection refused")

    assert len(messages(caplog)) == 1


def test_a_summary_after_the_interval_counts_the_failures_since_the_last_line(
    outages: OutageLog, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    outages.failed("database", "connection refused")
    for _ in range(20):
        clock.now += 0.5
        outages.failed("database", "server closed the connection")

    assert messages(caplog)[1] == (
        "database still unavailable: 20 more failed requests in the last 10 s; "
        "latest: server closed the connection"
    )


def test_a_failure_after_a_quiet_interval_starts_a_new_outage(
    outages: OutageLog, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    outages.failed("database", "connection refused")
    clock.now += 60
    outages.failed("database", "connection refused")

    assert [message.split(":")[0] for message in messages(caplog)] == [
        "database unavailable",
        "database unavailable",
    ]
