"""Statistics API clients: a name, the hash of its key, and the LMS consumer keys it may see."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from attrs import frozen
from sqlalchemy import Connection, Engine, delete, select
from sqlalchemy.exc import IntegrityError

from handyman_core.client_keys import ClientAccess
from handyman_core.errors import Conflict
from handyman_store.attempt_log import as_utc
from handyman_store.driver_sql import Driver, Sql, driver_of
from handyman_store.schema import statistics_client_consumer_keys as consumer_key_rows
from handyman_store.schema import statistics_clients as client_rows


@frozen
class StatisticsClient:
    name: str
    consumer_keys: tuple[str, ...]
    created_at: datetime


def add_client(
    engine: Engine, name: str, key_hash: str, consumer_keys: Iterable[str], *, now: datetime
) -> None:
    """Conflict when the name is taken: a key is never replaced by accident."""
    keys = sorted(set(consumer_keys))
    try:
        with engine.begin() as connection:
            connection.execute(
                client_rows.insert().values(
                    name=name, key_hash=key_hash, created_at=now.astimezone(UTC)
                )
            )
            if keys:
                connection.execute(
                    consumer_key_rows.insert(),
                    [{"client_name": name, "consumer_key": key} for key in keys],
                )
    except IntegrityError:
        raise Conflict(f"a statistics client named {name!r} exists already") from None


def remove_client(engine: Engine, name: str) -> bool:
    with engine.begin() as connection:
        connection.execute(delete(consumer_key_rows).where(consumer_key_rows.c.client_name == name))
        removed = connection.execute(delete(client_rows).where(client_rows.c.name == name))
    return removed.rowcount > 0


def list_clients(connection: Connection) -> list[StatisticsClient]:
    keys: dict[str, list[str]] = {}
    for row in connection.execute(
        select(consumer_key_rows).order_by(consumer_key_rows.c.consumer_key)
    ):
        keys.setdefault(row.client_name, []).append(row.consumer_key)
    return [
        StatisticsClient(row.name, tuple(keys.get(row.name, ())), as_utc(row.created_at))
        for row in connection.execute(select(client_rows).order_by(client_rows.c.name))
    ]


_CLIENT_ACCESS = Sql.of(
    "SELECT client.key_hash, granted.consumer_key FROM statistics_clients AS client "
    "LEFT JOIN statistics_client_consumer_keys AS granted ON granted.client_name = client.name "
    "WHERE client.name = :name"
)


def client_access(connection: Connection | Driver, name: str) -> ClientAccess | None:
    """One statement on the driver's connection: every statistics API request asks it."""
    rows = driver_of(connection).rows(_CLIENT_ACCESS, {"name": name})
    if not rows:
        return None
    return ClientAccess(rows[0][0], frozenset(key for _, key in rows if key is not None))
