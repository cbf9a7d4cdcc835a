"""Records pulled from a statistics API: what is loaded, and which records are skipped with a
reason. Both Handyman's shape and the seed vendor's are sources."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handyman_core.analytics_records import BadRecord, validate_record
from handyman_core.attempt_types import AttemptType
from handyman_core.statistics_records import StatisticsRecord, record_json
from tests.core.analytics_strategies import statistics_records

VENDOR_RECORD = {
    "lti_user_id": "6f3b1c0e2a",
    "passback_params": "{'oauth_consumer_key': '', 'lis_result_sourcedid': "
    "'course-v1:SkillFactory+DST-3.0+28FEB2021:block-1', 'lis_outcome_service_url': "
    "'https://lms.skillfactory.ru/courses/x/handler_noauth/grade_handler'}",
    "is_correct": None,
    "attempt_type": "run",
    "created_at": "2023-05-31 09:16:11.313646",
}

HANDYMAN_RECORD = {
    "user_id": "student-7",
    "passback_params": {
        "oauth_consumer_key": "uni",
        "lis_result_sourcedid": "block-17",
        "lis_outcome_service_url": "https://lms.example/grade",
        "lms_user_id": "student-7",
    },
    "is_correct": 1,
    "attempt_type": "submit",
    "created_at": "2026-12-02T10:11:12.000001Z",
    "attempt_id": 99,
    "handyman_user_id": 7,
    "item_kind": "task",
    "task_id": "python_chapter_0010_task_0010",
    "course_id": "python",
}


def _reason(**changes: Any) -> str:
    record = {**HANDYMAN_RECORD, **changes}
    with pytest.raises(BadRecord) as raised:
        validate_record(record)
    return str(raised.value)


def test_a_vendor_record_with_a_python_literal_passback_string_is_loaded() -> None:
    row = validate_record(VENDOR_RECORD)

    assert row.user_id == "6f3b1c0e2a"
    assert row.oauth_consumer_key == ""
    assert row.lis_result_sourcedid == "course-v1:SkillFactory+DST-3.0+28FEB2021:block-1"
    assert row.attempt_type is AttemptType.RUN
    assert row.is_correct is None
    assert row.created_at == datetime(2023, 5, 31, 9, 16, 11, 313646, tzinfo=UTC)
    assert row.task_id is None


def test_a_handyman_record_keeps_its_ids() -> None:
    row = validate_record(HANDYMAN_RECORD)

    assert row.oauth_consumer_key == "uni"
    assert row.is_correct == 1
    assert (row.task_id, row.course_id, row.source_attempt_id) == (
        "python_chapter_0010_task_0010",
        "python",
        99,
    )


def test_a_passback_string_holding_json_is_read() -> None:
    row = validate_record({**VENDOR_RECORD, "passback_params": '{"oauth_consumer_key": "k"}'})

    assert row.oauth_consumer_key == "k"


def test_a_record_without_passback_params_belongs_to_no_lms() -> None:
    row = validate_record({**HANDYMAN_RECORD, "passback_params": {}})

    assert row.oauth_consumer_key == ""
    assert row.lis_outcome_service_url is None


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"user_id": ""}, "user_id"),
        ({"user_id": 7}, "user_id"),
        ({"attempt_type": "check"}, "attempt_type"),
        ({"is_correct": None}, "null for a submit"),
        ({"is_correct": 2}, "is_correct"),
        ({"is_correct": "1"}, "is_correct"),
        ({"attempt_type": "run"}, "set for a run"),
        ({"created_at": "31.05.2023"}, "created_at"),
        ({"created_at": None}, "created_at"),
        ({"passback_params": "__import__('os').system('true')"}, "holds no object"),
        ({"passback_params": "[1, 2]"}, "passback_params"),
        ({"passback_params": {"oauth_consumer_key": 5}}, "oauth_consumer_key"),
        ({"task_id": ["x"]}, "task_id"),
        ({"attempt_id": -1}, "attempt_id"),
    ],
)
def test_a_bad_record_is_skipped_with_a_reason_naming_the_problem(
    changes: dict[str, Any], reason: str
) -> None:
    assert reason in _reason(**changes)


def test_a_non_object_is_a_bad_record() -> None:
    with pytest.raises(BadRecord):
        validate_record(["not", "an", "object"])


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=15),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)


@given(st.dictionaries(st.sampled_from([*HANDYMAN_RECORD, "lti_user_id"]), json_values))
def test_any_json_object_is_either_a_consistent_row_or_a_bad_record(
    record: dict[str, Any],
) -> None:
    try:
        row = validate_record(record)
    except BadRecord:
        return
    assert (row.is_correct is None) == (row.attempt_type is AttemptType.RUN)
    assert row.user_id


@given(statistics_records())
def test_every_record_the_api_answers_loads_with_the_same_figures(
    record: StatisticsRecord,
) -> None:
    row = validate_record(record_json(record))

    assert row.user_id == record.user_id
    assert row.created_at == record.created_at
    assert row.attempt_type is record.type
    assert row.is_correct == (None if record.is_correct is None else int(record.is_correct))
    assert row.oauth_consumer_key == (record.passback.oauth_consumer_key if record.passback else "")
    assert row.source_attempt_id == record.attempt_id
