"""LTI passback parameters from a request body: read when well formed, refused naming the
exact key otherwise."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handyman_core.errors import InvalidInput
from handyman_core.lti_passback import PassbackParams, parse_passback_params

GOOD = {
    "oauth_consumer_key": "university-lms",
    "lis_result_sourcedid": "course-v1:Uni+PY101:block-17",
    "lis_outcome_service_url": "https://lms.example/grade_handler",
}


def _problems(value: Any) -> dict[str, str]:
    with pytest.raises(InvalidInput) as raised:
        parse_passback_params(value)
    return raised.value.fields


def test_absent_parameters_are_none() -> None:
    assert parse_passback_params(None) is None


def test_well_formed_parameters_are_read() -> None:
    params = parse_passback_params({**GOOD, "lms_user_id": "student-7"})

    assert params == PassbackParams(
        "university-lms",
        "course-v1:Uni+PY101:block-17",
        "https://lms.example/grade_handler",
        "student-7",
    )


def test_only_the_consumer_key_is_required() -> None:
    assert parse_passback_params({"oauth_consumer_key": "k"}) == PassbackParams("k")


def test_a_missing_consumer_key_is_named() -> None:
    assert set(_problems({"lis_result_sourcedid": "x"})) == {"passback_params.oauth_consumer_key"}


def test_a_non_object_is_refused_naming_passback_params() -> None:
    assert set(_problems("oauth_consumer_key=k")) == {"passback_params"}


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("oauth_consumer_key", 7),
        ("oauth_consumer_key", ""),
        ("lis_result_sourcedid", ["x"]),
        ("lis_outcome_service_url", "ftp://lms.example/grade"),
        ("lis_outcome_service_url", "not a url"),
        ("lis_outcome_service_url", "https:///grade"),
        ("lis_outcome_service_url", "https://?grade"),
        ("lis_outcome_service_url", "https://lms.example/grade handler"),
        ("lis_outcome_service_url", "https://lms.example/\tgrade"),
        ("lms_user_id", 12),
        ("lms_user_id", "x" * 256),
        ("lis_result_sourcedid", "a\x00b"),
        ("lis_result_sourcedid", "\ud800"),
    ],
)
def test_a_bad_value_is_named_by_its_key(key: str, value: object) -> None:
    assert set(_problems({**GOOD, key: value})) == {f"passback_params.{key}"}


@pytest.mark.parametrize(
    "url",
    [
        "HTTPS://LMS.example/grade",
        "http://[::1]:8080/grade?cell=17#top",
        "https://пример.рф/оценка",
        "https://lms.example",
    ],
)
def test_an_outcome_url_needs_a_host_and_no_spaces(url: str) -> None:
    params = parse_passback_params({**GOOD, "lis_outcome_service_url": url})

    assert params is not None and params.lis_outcome_service_url == url


def test_an_unknown_key_is_refused_rather_than_dropped() -> None:
    assert set(_problems({**GOOD, "context_id": "x"})) == {"passback_params.context_id"}


def test_every_bad_key_is_reported_together() -> None:
    problems = _problems({"oauth_consumer_key": 1, "lis_outcome_service_url": 2, "x": "y"})

    assert set(problems) == {
        "passback_params.oauth_consumer_key",
        "passback_params.lis_outcome_service_url",
        "passback_params.x",
    }


@given(st.dictionaries(st.text(max_size=25), st.none() | st.text(max_size=10) | st.integers()))
def test_any_object_is_either_read_or_refused_under_passback_params(value: dict[str, Any]) -> None:
    try:
        parse_passback_params(value)
    except InvalidInput as error:
        assert all(name.startswith("passback_params.") for name in error.fields)


def test_the_answered_object_always_has_the_three_lti_keys() -> None:
    assert PassbackParams("k").as_json() == {
        "oauth_consumer_key": "k",
        "lis_result_sourcedid": "",
        "lis_outcome_service_url": "",
    }
