"""The shipped alembic revisions build exactly the schema that handyman_store.schema describes."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from handyman_store.database import DatabaseUrl, create_engine
from handyman_store.migrate import alembic_config, current_revision, head_revision, upgrade
from handyman_store.schema import metadata
from handyman_store.schema_version import database_revision, packaged_head, upgrade_if_behind


def test_a_migrated_database_matches_the_schema_module(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        differences = compare_metadata(context, metadata)

    assert differences == []


def test_a_migrated_database_is_at_the_head_revision(engine: Engine) -> None:
    with engine.connect() as connection:
        assert current_revision(connection) == head_revision()


def test_upgrading_an_up_to_date_database_changes_nothing(engine: Engine) -> None:
    with engine.connect() as connection:
        tables_before = set(inspect(connection).get_table_names())

    upgrade(engine)

    with engine.connect() as connection:
        assert set(inspect(connection).get_table_names()) == tables_before
        assert current_revision(connection) == head_revision()


def test_an_empty_database_is_migrated_from_scratch() -> None:
    engine = create_engine(DatabaseUrl.parse("sqlite://"))
    try:
        with engine.connect() as connection:
            assert current_revision(connection) is None

        upgrade(engine)

        with engine.connect() as connection:
            assert set(inspect(connection).get_table_names()) == {
                *metadata.tables,
                "alembic_version",
            }
    finally:
        engine.dispose()


def test_downgrading_to_base_removes_every_table(engine: Engine) -> None:
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")

    with engine.connect() as connection:
        assert set(inspect(connection).get_table_names()) == {"alembic_version"}


def test_the_head_read_from_the_revision_files_is_alembics() -> None:
    assert packaged_head() == head_revision()


def test_a_database_at_the_head_is_left_to_itself(engine: Engine) -> None:
    assert database_revision(engine) == head_revision()
    upgrade_if_behind(engine)
    assert database_revision(engine) == head_revision()


def test_a_database_behind_the_head_is_upgraded(engine: Engine) -> None:
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    assert database_revision(engine) is None
    upgrade_if_behind(engine)
    assert database_revision(engine) == head_revision()
