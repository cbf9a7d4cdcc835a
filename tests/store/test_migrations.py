"""The shipped alembic revisions build exactly the schema that handyman_store.schema describes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from handyman_core.attempt_types import AttemptType
from handyman_store import schema
from handyman_store.attempt_log import attempts_of
from handyman_store.database import DatabaseUrl, create_engine
from handyman_store.migrate import alembic_config, current_revision, head_revision, upgrade
from handyman_store.schema import metadata
from handyman_store.schema_version import database_revision, packaged_head, upgrade_if_behind
from tests.postgres_server import DatabaseFactory

NOW = datetime(2026, 5, 20, 12, tzinfo=UTC)


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


@pytest.mark.postgres
def test_postgresql_keeps_the_large_catalogue_texts_uncompressed(
    postgres_databases: DatabaseFactory,
) -> None:
    """Revision 0008: pglz made writing chapter texts the slowest part of an import."""
    with postgres_databases.fresh_database() as url:
        engine = create_engine(DatabaseUrl.parse(url))
        try:
            storage = _storage(engine)
        finally:
            engine.dispose()

    assert storage == {
        "chapters.text": "e",
        "practice_projects.files": "e",
        "chapters.title": "x",
    }


def _storage(engine: Engine) -> dict[str, str]:
    with engine.connect() as connection:
        return dict(
            connection.execute(
                text(
                    "SELECT attrelid::regclass::text || '.' || attname, attstorage "
                    "FROM pg_attribute WHERE (attrelid, attname) IN "
                    "(('chapters'::regclass, 'text'), ('practice_projects'::regclass, 'files'), "
                    "('chapters'::regclass, 'title'))"
                )
            ).all()
        )


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


def test_attempts_logged_before_analytics_become_submits_and_runs(engine: Engine) -> None:
    """Revision 0004: run_task attempts become judged submits; practice attempts, which did not
    say whether they were a run or a test, become runs."""
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0005")
        for item_kind, item_id, verdict in (
            ("task", "python_chapter_0010_task_0010", "passed"),
            ("task", "python_chapter_0010_task_0020", "tests_failed"),
            ("project", "python_calculator", "passed"),
        ):
            connection.execute(
                text(
                    "INSERT INTO attempts (user_id, original_user_id, item_kind, item_id, "
                    "course_id, code, verdict, status_code, duration_ms, created_at) VALUES "
                    "(1, 1, :kind, :item, 'python', 'x', :verdict, 0, 5, :at)"
                ),
                {"kind": item_kind, "item": item_id, "verdict": verdict, "at": NOW},
            )

    upgrade(engine)

    with engine.connect() as connection:
        [task_passed, task_failed, project] = attempts_of(connection, 1)
    assert (task_passed.attempt_type, task_passed.is_correct) == (AttemptType.SUBMIT, True)
    assert (task_failed.attempt_type, task_failed.is_correct) == (AttemptType.SUBMIT, False)
    assert (project.attempt_type, project.is_correct) == (AttemptType.RUN, None)
    assert task_passed.passback is None


def test_the_database_refuses_a_submit_without_a_judgement(engine: Engine) -> None:
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(
            schema.attempts.insert().values(
                user_id=1,
                original_user_id=1,
                item_kind="task",
                item_id="t",
                course_id="python",
                code="x",
                verdict="passed",
                status_code=0,
                duration_ms=1,
                created_at=NOW,
                attempt_type="submit",
                is_correct=None,
            )
        )
