"""Saved playground code: what `inject_playground_code` and `get_playground_code` share.

The original only ever read this table; here a save creates the row or replaces its code, and
`last_request_at` records when it was last written so stale playgrounds can be pruned.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, select

from handyman_core.unicode_text import check_storable_text
from handyman_store.schema import playgrounds
from handyman_store.upsert import conflict_insert, primary_key


def save_playground(
    engine: Engine,
    playground_id: str,
    lang_id: str,
    user_id: int | None,
    code: str,
    *,
    now: datetime,
) -> None:
    """Create or overwrite a playground. Its creator (`user_id`, None for anonymous) and
    creation time stay those of the first save."""
    check_storable_text(code, "user_code")
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("the time of a playground save must be timezone-aware")
    moment = now.astimezone(UTC)
    with engine.begin() as connection:
        statement = conflict_insert(connection, playgrounds).values(
            playground_id=playground_id,
            lang_id=lang_id,
            user_id=user_id,
            user_code=code,
            created_at=moment,
            last_request_at=moment,
        )
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=primary_key(playgrounds),
                set_={
                    "lang_id": statement.excluded.lang_id,
                    "user_code": statement.excluded.user_code,
                    "last_request_at": statement.excluded.last_request_at,
                },
            )
        )


def playground_code(connection: Connection, playground_id: str) -> str | None:
    """The saved code, or None when no such playground exists."""
    return connection.execute(
        select(playgrounds.c.user_code).where(playgrounds.c.playground_id == playground_id)
    ).scalar_one_or_none()
