"""The ETL's side of the store on both databases: loads that are idempotent upserts on the
natural key, and daily aggregates that equal the core's figures and replace a day whole."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete, select

from handyman_core.analytics_records import AnalyticsRow
from handyman_core.attempt_types import AttemptType
from handyman_core.daily_figures import daily_figures
from handyman_store import schema
from handyman_store.analytics_loads import count_rows, facts_between, upsert_rows
from handyman_store.daily_stats import compute_day, stored_days

DB_EXAMPLES = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
DAY = date(2026, 12, 2)
MIDNIGHT = datetime(2026, 12, 2, tzinfo=UTC)
NOW = datetime(2026, 12, 3, 6, tzinfo=UTC)


def row(
    user: str = "u1",
    minute: int = 0,
    *,
    client: str = "uni",
    task: str | None = "task-1",
    correct: int | None = 1,
    attempt_type: AttemptType = AttemptType.SUBMIT,
    base: datetime = MIDNIGHT,
) -> AnalyticsRow:
    return AnalyticsRow(
        user_id=user,
        oauth_consumer_key=client,
        lis_result_sourcedid="block-9",
        lis_outcome_service_url=None,
        is_correct=correct if attempt_type is AttemptType.SUBMIT else None,
        attempt_type=attempt_type,
        created_at=base + timedelta(minutes=minute),
        task_id=task,
        course_id="python" if task else None,
    )


def load(engine: Engine, rows: list[AnalyticsRow], now: datetime = NOW) -> int:
    with engine.begin() as connection:
        return upsert_rows(connection, rows, now=now)


def loaded(engine: Engine) -> list[tuple[object, ...]]:
    table = schema.analytics_attempts
    with engine.connect() as connection:
        return [
            tuple(r)
            for r in connection.execute(
                select(
                    table.c.oauth_consumer_key,
                    table.c.user_id,
                    table.c.created_at,
                    table.c.is_correct,
                    table.c.attempt_type,
                ).order_by(table.c.created_at, table.c.user_id)
            )
        ]


def test_loading_the_same_rows_twice_adds_nothing(engine: Engine) -> None:
    rows = [row("u1", 1), row("u2", 2, correct=0)]
    load(engine, rows)
    first = loaded(engine)

    load(engine, rows, now=NOW + timedelta(hours=1))

    assert loaded(engine) == first
    with engine.connect() as connection:
        assert count_rows(connection) == 2


def test_reloading_an_overlapping_window_updates_the_rows_it_shares(engine: Engine) -> None:
    load(engine, [row("u1", 1, correct=0), row("u1", 2)])

    load(engine, [row("u1", 2), row("u1", 1, correct=1), row("u1", 3)])

    assert [entry[3] for entry in loaded(engine)] == [1, 1, 1]


def test_a_key_twice_in_one_batch_keeps_the_last_record(engine: Engine) -> None:
    assert load(engine, [row("u1", 1, correct=0), row("u1", 1, correct=1)]) == 1

    assert [entry[3] for entry in loaded(engine)] == [1]


def test_the_same_learner_and_time_under_two_lms_are_two_rows(engine: Engine) -> None:
    load(engine, [row("u1", 1, client="a"), row("u1", 1, client="b")])

    assert len(loaded(engine)) == 2


def test_facts_name_a_task_by_its_lms_block_when_the_source_had_no_task_id(
    engine: Engine,
) -> None:
    load(engine, [row("u1", 1, task=None)])

    with engine.connect() as connection:
        [fact] = facts_between(connection, MIDNIGHT, MIDNIGHT + timedelta(days=1))

    assert (fact.task, fact.course) == ("block-9", "")


analytics_rows = st.builds(
    row,
    user=st.sampled_from(["u1", "u2", "u3"]),
    minute=st.integers(-120, 24 * 60 + 120),
    client=st.sampled_from(["", "a", "b"]),
    task=st.sampled_from([None, "t1", "t2"]),
    correct=st.sampled_from([0, 1]),
    attempt_type=st.sampled_from(AttemptType),
)


@DB_EXAMPLES
@given(st.lists(analytics_rows, max_size=40))
def test_stored_daily_figures_equal_the_core_figures_of_the_days_attempts(
    engine: Engine, rows: list[AnalyticsRow]
) -> None:
    _clear(engine)
    load(engine, rows)
    latest = {r.natural_key: r for r in rows}.values()
    start, end = MIDNIGHT, MIDNIGHT + timedelta(days=1)

    computed = compute_day(engine, DAY, UTC, "UTC", now=NOW)

    with engine.connect() as connection:
        expected = daily_figures(DAY, facts_between(connection, start, end))
        stored = [entry.figures for entry in stored_days(connection, DAY, DAY)]
    assert computed == expected == stored
    assert sum(day.figures.attempts for day in stored) == sum(
        start <= r.created_at < end for r in latest
    )


def test_computing_a_day_again_replaces_it_without_leftovers(engine: Engine) -> None:
    load(engine, [row("u1", 1, client="a"), row("u2", 2, client="b")])
    compute_day(engine, DAY, UTC, "UTC", now=NOW)
    with engine.begin() as connection:
        connection.execute(
            delete(schema.analytics_attempts).where(
                schema.analytics_attempts.c.oauth_consumer_key == "b"
            )
        )

    compute_day(engine, DAY, UTC, "UTC", now=NOW)
    compute_day(engine, DAY, UTC, "UTC", now=NOW)

    with engine.connect() as connection:
        days = stored_days(connection, DAY, DAY)
        task_rows = connection.execute(select(schema.daily_task_stats)).all()
    assert [(d.figures.client, d.figures.figures.attempts) for d in days] == [("a", 1)]
    assert len(task_rows) == 1


def test_a_day_is_cut_in_the_configured_time_zone(engine: Engine) -> None:
    moscow = ZoneInfo("Europe/Moscow")
    load(engine, [row("u1", -120), row("u2", 22 * 60)])

    [utc_day] = compute_day(engine, DAY, UTC, "UTC", now=NOW)
    [moscow_day] = compute_day(engine, DAY, moscow, "Europe/Moscow", now=NOW)

    assert utc_day.figures.unique_users == 1
    assert moscow_day.figures.attempts == 1
    assert moscow_day.figures.unique_users == 1
    with engine.connect() as connection:
        [stored] = stored_days(connection, DAY, DAY)
    assert stored.time_zone == "Europe/Moscow"


def test_stored_days_can_be_limited_to_one_client(engine: Engine) -> None:
    load(engine, [row("u1", 1, client="a"), row("u2", 2, client="b")])
    compute_day(engine, DAY, UTC, "UTC", now=NOW)

    with engine.connect() as connection:
        days = stored_days(connection, DAY, DAY, client="b")

    assert [stored.figures.client for stored in days] == ["b"]
    assert [task.key for task in days[0].figures.tasks] == ["task-1"]


def test_a_day_without_attempts_stores_nothing(engine: Engine) -> None:
    assert compute_day(engine, DAY, UTC, "UTC", now=NOW) == []

    with engine.connect() as connection:
        assert stored_days(connection, DAY, DAY) == []


def _clear(engine: Engine) -> None:
    with engine.begin() as connection:
        for table in (
            schema.analytics_attempts,
            schema.daily_task_stats,
            schema.daily_course_stats,
            schema.daily_client_stats,
        ):
            connection.execute(delete(table))
