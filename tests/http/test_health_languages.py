"""/health lists, with the local sandbox as runner, each language and whether this host can run
it; the answer stays within the documented schema."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from falcon import testing
from sqlalchemy import Engine

from handyman_cli.composition import build_services
from handyman_core.run_protocol import Language, LanguageSupport, RunRequest, RunResult
from handyman_http.app import create_app
from handyman_http.settings import Settings
from tests.http.test_openapi import assert_documented

SUPPORT = (
    LanguageSupport(Language.PYTHON, True, "python 3.11.2"),
    LanguageSupport(Language.CPP, False, "no clang++ 19 or newer with libc++'s std module"),
)


class LanguageAwareRunner:
    """Reports its languages as the local sandbox does; a health check never runs anything."""

    def run(self, request: RunRequest) -> RunResult:
        raise AssertionError("a health check must not run code")

    def language_support(self) -> tuple[LanguageSupport, ...]:
        return SUPPORT


@pytest.fixture
def client(engine: Engine) -> Iterator[testing.TestClient]:
    services = build_services(engine, Settings(), LanguageAwareRunner())
    yield testing.TestClient(create_app(services))


def test_health_lists_each_language_and_why_one_is_unavailable(
    client: testing.TestClient,
) -> None:
    response = client.simulate_get("/health")
    assert response.status_code == 200
    assert response.json["languages"] == {
        "python": {"available": True, "detail": "python 3.11.2"},
        "cpp": {"available": False, "detail": "no clang++ 19 or newer with libc++'s std module"},
    }
    assert_documented(response, "/health", "get")
