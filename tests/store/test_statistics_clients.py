"""Statistics API clients on both databases: added once, only the hash kept, removed whole."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from handyman_core.client_keys import ClientAccess, hash_client_key
from handyman_core.errors import Conflict
from handyman_store import schema
from handyman_store.statistics_clients import (
    add_client,
    client_access,
    list_clients,
    remove_client,
)
from tests.store.analytics_rows import T0


def test_a_client_is_found_with_its_hash_and_consumer_keys(engine: Engine) -> None:
    add_client(engine, "uni", hash_client_key("hmk_k"), ["lms-b", "lms-a", "lms-a"], now=T0)

    with engine.connect() as connection:
        assert client_access(connection, "uni") == ClientAccess(
            hash_client_key("hmk_k"), frozenset({"lms-a", "lms-b"})
        )
        [client] = list_clients(connection)
    assert (client.name, client.consumer_keys, client.created_at) == ("uni", ("lms-a", "lms-b"), T0)


def test_an_unknown_client_has_no_access(engine: Engine) -> None:
    with engine.connect() as connection:
        assert client_access(connection, "nobody") is None


def test_a_client_without_consumer_keys_sees_everything(engine: Engine) -> None:
    add_client(engine, "operator", hash_client_key("hmk_k"), [], now=T0)

    with engine.connect() as connection:
        access = client_access(connection, "operator")
    assert access is not None and access.consumer_keys == frozenset()


def test_adding_a_taken_name_is_a_conflict_and_keeps_the_first_key(engine: Engine) -> None:
    add_client(engine, "uni", hash_client_key("first"), ["a"], now=T0)

    with pytest.raises(Conflict):
        add_client(engine, "uni", hash_client_key("second"), ["b"], now=T0)

    with engine.connect() as connection:
        assert client_access(connection, "uni") == ClientAccess(
            hash_client_key("first"), frozenset({"a"})
        )


def test_the_key_itself_is_never_stored(engine: Engine) -> None:
    add_client(engine, "uni", hash_client_key("hmk_secret"), [], now=T0)

    with engine.connect() as connection:
        stored = connection.execute(select(schema.statistics_clients)).one()
    assert "hmk_secret" not in repr(tuple(stored))


def test_removing_a_client_removes_its_consumer_keys(engine: Engine) -> None:
    add_client(engine, "uni", hash_client_key("k"), ["a", "b"], now=T0)

    assert remove_client(engine, "uni")
    assert not remove_client(engine, "uni")

    with engine.connect() as connection:
        assert client_access(connection, "uni") is None
        assert connection.execute(select(schema.statistics_client_consumer_keys)).all() == []
