"""`Status` is the one home of what a status means: the CHECK constraints, the merge CASE, the
OpenAPI enums and the error texts are derived from it. A grown vocabulary (one status more,
ranked between `blocked` and `completed`) shows that each derived place follows, the SQL CASE
evaluated by both databases."""

from __future__ import annotations

import enum
import itertools

import pytest
from sqlalchemy import CheckConstraint, Engine, literal, select

from handyman_core.errors import InvalidInput
from handyman_core.status import STORED_STATUSES, Status, one_of
from handyman_core.transitions import is_new_status_valid, requestable_statuses
from handyman_http.endpoints import courses
from handyman_http.legacy_request import Options
from handyman_http.openapi import openapi_document
from handyman_store import schema
from handyman_store.merge_split import merged_status
from handyman_store.schema import stored_status_check


class Grown(enum.StrEnum):
    """The vocabulary with a new stored status, `reviewing`."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    BLOCKED = "blocked"
    REVIEWING = "reviewing"
    COMPLETED = "completed"

    @property
    def rank(self) -> int:
        return list(Grown).index(self)

    @property
    def stored(self) -> bool:
        return self is not Grown.NOT_STARTED


GROWN_STORED = [status for status in Grown if status.stored]


def test_the_check_constraint_admits_exactly_the_stored_statuses_of_a_grown_vocabulary() -> None:
    assert stored_status_check(Grown) == (
        "status IN ('in_progress', 'blocked', 'reviewing', 'completed')"
    )


def test_every_progress_table_checks_the_statuses_status_stores() -> None:
    checks = {
        constraint.sqltext.text  # type: ignore[attr-defined]
        for table in (
            schema.course_progress,
            schema.chapter_progress,
            schema.task_progress,
            schema.practice_progress,
        )
        for constraint in table.constraints
        if isinstance(constraint, CheckConstraint) and str(constraint.name).endswith("status")
    }
    assert checks == {stored_status_check(Status)}
    (check,) = checks
    assert all(f"'{status.value}'" in check for status in STORED_STATUSES)
    assert f"'{Status.NOT_STARTED.value}'" not in check


@pytest.mark.parametrize(("cur", "old"), list(itertools.product(GROWN_STORED, repeat=2)))
def test_the_merge_case_ranks_a_grown_vocabulary_on_the_database(
    engine: Engine, cur: Grown, old: Grown
) -> None:
    expression = merged_status(literal(cur.value), literal(old.value), Grown)
    with engine.connect() as connection:
        merged = connection.execute(select(expression)).scalar_one()
    assert merged == max(cur, old, key=lambda status: status.rank).value


def test_the_openapi_status_enum_is_the_vocabulary() -> None:
    schemas = openapi_document()["components"]["schemas"]
    assert schemas["Status"]["enum"] == [status.value for status in Status]
    statistics = schemas["CourseStatistics"]["properties"]["status"]["enum"]
    assert statistics == [status.value for status in Status if status.in_statistics]


def test_the_status_changes_the_openapi_names_are_those_the_transition_table_allows() -> None:
    schemas = openapi_document()["components"]["schemas"]
    description = schemas["CourseStatusChange"]["properties"]["status"]["description"]
    assert description.startswith(one_of([f"`{s.value}`" for s in requestable_statuses()]))
    for status in Status:
        allowed_somewhere = any(
            is_new_status_valid(current, status.value)
            for current in ["", *(each.value for each in Status)]
        )
        assert (status in requestable_statuses()) == allowed_somewhere


def test_the_get_courses_error_lists_every_status() -> None:
    with pytest.raises(InvalidInput) as refused:
        courses._wanted_status(Options(status="bogus"))
    assert refused.value.fields["status"] == "must be " + one_of(["all", *Status])


def test_one_of_lists_values_as_error_texts_do() -> None:
    assert one_of(["a"]) == "a"
    assert one_of(["a", "b", "c"]) == "a, b or c"
