"""Generated attempts for the statistics benchmark: learners of three LMSs and of none,
spread evenly over the days, loaded into the attempt log with COPY.

Seeded, so every run measures the same rows. Attempt ids follow the time order, as they do in
a live log. Mix: 85 % task submits (40 % correct), 5 % practice runs and tests, 10 %
playground runs; 70 % of the attempts come through LMS "lms-a", 15 % "lms-b", 5 % "lms-c", 10 %
through none.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import cast

import psycopg
from attrs import frozen
from sqlalchemy import Engine, text

SEED = 13
TASKS = 300
CONSUMER_KEYS = ("lms-a", "lms-b", "lms-c", None)
KEY_WEIGHTS = (70, 15, 5, 10)
COLUMNS = (
    "attempt_id",
    "user_id",
    "original_user_id",
    "item_kind",
    "item_id",
    "course_id",
    "code",
    "verdict",
    "status_code",
    "duration_ms",
    "created_at",
    "attempt_type",
    "is_correct",
    "lti_consumer_key",
    "lti_result_sourcedid",
    "lti_outcome_service_url",
    "lms_user_id",
)


@frozen
class AttemptsShape:
    attempts: int
    days: int
    users: int
    first_day: date = date(2026, 9, 1)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first_day, datetime.min.time(), tzinfo=UTC)

    def day(self, number: int) -> date:
        return self.first_day + timedelta(days=number)


def attempt_rows(shape: AttemptsShape) -> Iterator[tuple[object, ...]]:
    rng = random.Random(SEED)
    per_day, extra = divmod(shape.attempts, shape.days)
    attempt_id = 0
    for day in range(shape.days):
        count = per_day + (1 if day < extra else 0)
        day_start = shape.start + timedelta(days=day)
        offsets = sorted(rng.randrange(86_400_000_000) for _ in range(count))
        for offset in offsets:
            attempt_id += 1
            yield _row(rng, shape, attempt_id, day_start + timedelta(microseconds=offset))


def _row(
    rng: random.Random, shape: AttemptsShape, attempt_id: int, created_at: datetime
) -> tuple[object, ...]:
    user = rng.randrange(1, shape.users + 1)
    key = rng.choices(CONSUMER_KEYS, KEY_WEIGHTS)[0]
    task = rng.randrange(TASKS)
    course = f"course{task % 6}"
    kind = rng.random()
    if kind < 0.85:
        item_kind, attempt_type = "task", "submit"
        item_id = f"{course}_chapter_0010_task_{task:04d}"
    elif kind < 0.90:
        item_kind, item_id = "project", f"{course}_project_{task % 4}"
        attempt_type = "submit" if rng.random() < 0.5 else "run"
    else:
        item_kind, item_id, attempt_type, course = "playground", f"pg{user}", "run", None
    correct = rng.random() < 0.4 if attempt_type == "submit" else None
    verdict = "passed" if correct or (correct is None and rng.random() < 0.8) else "tests_failed"
    return (
        attempt_id,
        user,
        user,
        item_kind,
        item_id,
        course,
        "print(sum(map(int, input().split())))",
        verdict,
        0 if verdict == "passed" else 2,
        rng.randrange(20, 400),
        created_at,
        attempt_type,
        correct,
        key,
        f"course-v1:Uni+{course}:block-{task}" if key else None,
        "https://lms.example.org/grade_handler" if key else None,
        f"stu-{user}" if key else None,
    )


def load_attempts(engine: Engine, shape: AttemptsShape) -> int:
    """COPY the generated attempts into an empty attempt log; returns how many."""
    proxied = engine.raw_connection()
    count = 0
    try:
        connection = cast("psycopg.Connection[tuple[object, ...]]", proxied.driver_connection)
        with connection.cursor() as cursor:
            with cursor.copy(f"COPY attempts ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for row in attempt_rows(shape):
                    copy.write_row(row)
                    count += 1
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('attempts', 'attempt_id'), %s)", (count,)
            )
        connection.commit()
    finally:
        proxied.close()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE attempts"))
    return count
