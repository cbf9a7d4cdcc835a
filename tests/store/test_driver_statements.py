"""Statements on the bare driver: timestamps written on SQLite read back as SQLAlchemy's own,
and a statement's two parameter styles name the same parameters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import DateTime
from sqlalchemy.dialects import sqlite

from handyman_store.driver_statements import Sql, stored_timestamp

_DIALECT = sqlite.dialect()
_SQLALCHEMY_TIMESTAMP = DateTime(timezone=True).dialect_impl(_DIALECT).bind_processor(_DIALECT)
_ZONES = st.sampled_from([UTC, timezone(timedelta(hours=3)), timezone(timedelta(hours=-9))])


@given(st.datetimes(timezones=_ZONES))
def test_a_timestamp_for_sqlite_is_the_text_sqlalchemy_stores(moment: datetime) -> None:
    assert _SQLALCHEMY_TIMESTAMP is not None
    assert stored_timestamp("sqlite", moment) == _SQLALCHEMY_TIMESTAMP(moment)


@given(st.datetimes(timezones=_ZONES))
def test_psycopg_is_handed_the_timestamp_itself(moment: datetime) -> None:
    assert stored_timestamp("postgresql", moment) is moment


def test_a_statement_names_its_parameters_in_each_drivers_style() -> None:
    statement = Sql.of("SELECT :a, CAST(:rows AS json), 'x::y', '%' WHERE b = :b_2")

    assert statement.sqlite == "SELECT :a, CAST(:rows AS json), 'x::y', '%' WHERE b = :b_2"
    assert statement.postgresql == (
        "SELECT %(a)s, CAST(%(rows)s AS json), 'x::y', '%%' WHERE b = %(b_2)s"
    )
