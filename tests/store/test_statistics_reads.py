"""The statistics API's reads on both databases: the half-open window, the order, paging by
cursor that hands out every attempt exactly once, and what each client may see."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from handyman_core.attempt_types import AttemptItem, AttemptType
from handyman_core.run_protocol import Verdict
from handyman_core.statistics_cursor import CursorPosition
from handyman_core.statistics_query import TimeWindow
from handyman_core.statistics_records import StatisticsRecord
from handyman_store.statistics_reads import stream_statistics
from tests.store.analytics_rows import T0, add_attempt, clear_attempts, minutes

DB_EXAMPLES = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
DAY = TimeWindow(T0, T0 + timedelta(days=1))
EVERYONE: frozenset[str] = frozenset()


def read(
    engine: Engine,
    keys: frozenset[str] = EVERYONE,
    *,
    limit: int | None = None,
    after: CursorPosition | None = None,
) -> list[StatisticsRecord]:
    return list(stream_statistics(engine, keys, DAY, after=after, limit=limit))


def test_the_window_includes_its_start_and_excludes_its_end(engine: Engine) -> None:
    for at in (T0 - minutes(1), T0, T0 + timedelta(days=1) - minutes(1), T0 + timedelta(days=1)):
        add_attempt(engine, at=at)

    assert [record.created_at for record in read(engine)] == [
        T0,
        T0 + timedelta(days=1) - minutes(1),
    ]


def test_records_come_in_time_order_then_attempt_order(engine: Engine) -> None:
    add_attempt(engine, at=T0 + minutes(5), user_id=1)
    add_attempt(engine, at=T0 + minutes(1), user_id=2)
    add_attempt(engine, at=T0 + minutes(5), user_id=3)

    records = read(engine)

    assert [record.handyman_user_id for record in records] == [2, 1, 3]
    assert records[0].attempt_id < records[2].attempt_id


def test_a_record_carries_the_passback_params_and_the_lms_user(engine: Engine) -> None:
    add_attempt(engine, at=T0, consumer_key="uni", lms_user_id="student-7", user_id=7)

    [record] = read(engine)

    assert record.user_id == "student-7"
    assert record.handyman_user_id == 7
    assert record.passback is not None and record.passback.oauth_consumer_key == "uni"
    assert (record.attempt_type, record.is_correct) == (AttemptType.SUBMIT, True)
    assert (record.item_kind, record.course_id) == (AttemptItem.TASK, "python")


def test_a_playground_run_has_no_task_and_no_course(engine: Engine) -> None:
    add_attempt(engine, at=T0, attempt_type=AttemptType.RUN, item_kind=AttemptItem.PLAYGROUND)

    [record] = read(engine)

    assert (record.item_id, record.course_id, record.is_correct) == (None, None, None)


def test_a_client_limited_to_consumer_keys_sees_only_their_attempts(engine: Engine) -> None:
    add_attempt(engine, at=T0 + minutes(1), consumer_key="a")
    add_attempt(engine, at=T0 + minutes(2), consumer_key="b")
    add_attempt(engine, at=T0 + minutes(3), consumer_key="c")
    add_attempt(engine, at=T0 + minutes(4))

    def keys_seen(keys: frozenset[str]) -> list[str | None]:
        return [r.passback.oauth_consumer_key if r.passback else None for r in read(engine, keys)]

    assert keys_seen(frozenset({"a"})) == ["a"]
    assert keys_seen(frozenset({"c", "a"})) == ["a", "c"]
    assert keys_seen(EVERYONE) == ["a", "b", "c", None]
    assert keys_seen(frozenset({"nobody"})) == []


def test_a_limit_caps_the_records_read(engine: Engine) -> None:
    for minute in range(5):
        add_attempt(engine, at=T0 + minutes(minute))

    assert len(read(engine, limit=3)) == 3


moments = st.integers(0, 40).map(lambda m: T0 + minutes(m))
drawn_attempts = st.lists(
    st.tuples(moments, st.sampled_from([None, "a", "b"])), min_size=0, max_size=25
)


@DB_EXAMPLES
@given(drawn_attempts, st.integers(1, 7), st.sampled_from([EVERYONE, frozenset({"a", "b"})]))
def test_paging_by_cursor_hands_out_every_attempt_exactly_once_in_order(
    engine: Engine,
    drawn: list[tuple[datetime, str | None]],
    limit: int,
    keys: frozenset[str],
) -> None:
    clear_attempts(engine)
    for at, key in drawn:
        add_attempt(engine, at=at, consumer_key=key, verdict=Verdict.TESTS_FAILED)
    everything = read(engine, keys)

    paged: list[StatisticsRecord] = []
    after: CursorPosition | None = None
    while True:
        page = read(engine, keys, limit=limit, after=after)
        paged.extend(page)
        if len(page) < limit:
            break
        after = page[-1].position

    assert paged == everything
    assert [r.position for r in everything] == sorted(r.position for r in everything)
    assert len({r.attempt_id for r in everything}) == len(everything)
