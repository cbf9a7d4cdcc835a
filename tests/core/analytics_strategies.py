"""Hypothesis strategies for learning analytics: attempts of a few clients, learners and tasks
inside a day, so that the same learner meets the same task often enough to have a first
success to count."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import strategies as st

from handyman_core.attempt_types import AttemptItem, AttemptType
from handyman_core.daily_figures import AttemptFact
from handyman_core.lti_passback import PassbackParams
from handyman_core.statistics_records import StatisticsRecord

DAY = date(2026, 12, 2)
DAY_START = datetime(2026, 12, 2, tzinfo=UTC)

instants = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(9998, 12, 30), timezones=st.just(UTC)
)
"""Aware UTC instants within the years the API reads."""


@st.composite
def facts(draw: st.DrawFn, day_start: datetime = DAY_START) -> AttemptFact:
    attempt_type = draw(st.sampled_from(AttemptType))
    task_number = draw(st.integers(1, 4))
    return AttemptFact(
        client=draw(st.sampled_from(["", "lms-a", "lms-b"])),
        user_id=draw(st.sampled_from(["u1", "u2", "u3", "u4"])),
        course=f"course{task_number % 2}",
        task=f"task{task_number}",
        attempt_type=attempt_type,
        is_correct=draw(st.booleans()) if attempt_type is AttemptType.SUBMIT else None,
        created_at=day_start
        + timedelta(microseconds=draw(st.integers(0, 24 * 3600 * 1_000_000 - 1))),
    )


def unique_moments(items: list[AttemptFact]) -> bool:
    """The analytics key (client, learner, instant) is unique, as in the store."""
    keys = [(fact.client, fact.user_id, fact.created_at) for fact in items]
    return len(keys) == len(set(keys))


day_facts = st.lists(facts(), max_size=60).filter(unique_moments)


passbacks = st.none() | st.builds(
    PassbackParams,
    st.text(min_size=1, max_size=10).filter(lambda s: "\x00" not in s),
    st.none() | st.just("block"),
    st.none() | st.just("https://lms.example/grade"),
    st.none() | st.just("learner"),
)


@st.composite
def statistics_records(draw: st.DrawFn) -> StatisticsRecord:
    passback = draw(passbacks)
    attempt_type = draw(st.sampled_from(AttemptType))
    return StatisticsRecord(
        attempt_id=draw(st.integers(1, 2**40)),
        handyman_user_id=draw(st.integers(1, 2**40)),
        consumer_key=passback.oauth_consumer_key if passback else None,
        result_sourcedid=passback.lis_result_sourcedid if passback else None,
        outcome_service_url=passback.lis_outcome_service_url if passback else None,
        lms_user_id=passback.lms_user_id if passback else None,
        attempt_type=attempt_type.value,
        is_correct=None if attempt_type is AttemptType.RUN else draw(st.booleans()),
        created_at=draw(instants),
        item_kind=draw(st.sampled_from(AttemptItem)).value,
        item_id=draw(st.none() | st.just("python_chapter_0010_task_0010")),
        course_id=draw(st.none() | st.just("python")),
    )
