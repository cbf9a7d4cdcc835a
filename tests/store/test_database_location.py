"""Reading a database URL without SQLAlchemy: whatever `driver_location` reads, it reads as
SQLAlchemy does (the same database, the same psycopg parameters, the same printed form), and
what it does not read is left to `DatabaseUrl`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg

from handyman_store.database import DatabaseUnavailable, DatabaseUrl
from handyman_store.database_location import driver_location, sqlite_location

_PIECE = st.text(st.sampled_from("abc019._-"), max_size=6) | st.text(
    st.sampled_from("abcXYZ019._-~%:@/?&=+[] é"), max_size=8
)
_SCHEMES = st.sampled_from(
    ["postgresql", "postgres", "postgresql+psycopg", "POSTGRESQL", "sqlite", "sqlite+pysqlite"]
)


@st.composite
def urls(draw: st.DrawFn) -> str:
    """URLs of every shape the grammar has, with pieces that break it now and then."""
    url = draw(_SCHEMES) + "://"
    if draw(st.booleans()):
        url += draw(_PIECE)
        if draw(st.booleans()):
            url += ":" + draw(_PIECE)
        url += "@"
    url += draw(st.sampled_from(["", "db.example", "127.0.0.1", "[::1]", "h"])) + draw(_PIECE)
    if draw(st.booleans()):
        url += ":" + draw(st.sampled_from(["5432", "0", "65536", "", "x1", "１２"]))
    if draw(st.booleans()):
        url += "/" + draw(_PIECE)
    if draw(st.booleans()):
        url += "?" + draw(_PIECE)
    return url


def _sqlalchemy_parameters(url: DatabaseUrl) -> dict[str, Any]:
    """What SQLAlchemy's psycopg dialect hands psycopg.connect for this URL."""
    _arguments, parameters = PGDialect_psycopg().create_connect_args(url.url)
    return {key: value for key, value in parameters.items() if key != "context"}


@given(urls())
@example("postgresql://handyman:s%40cret@db.example:6543/courses?sslmode=require")
@example("postgresql://u@/db?host=/var/run/postgresql")
@example("sqlite:///relative/db.sqlite3")
def test_a_url_read_without_sqlalchemy_is_read_as_sqlalchemy_reads_it(value: str) -> None:
    location = driver_location(value)
    if location is None:
        return
    url = DatabaseUrl.parse(value)

    assert location.kind == url.kind
    assert location.display == str(url)
    if url.kind == "postgresql":
        assert dict(location.parameters) == _sqlalchemy_parameters(url)
    else:
        assert url.sqlite_path is not None
        assert location.sqlite_path == os.path.abspath(url.sqlite_path)


@pytest.mark.parametrize(
    "value",
    [
        "postgresql://handyman:secret@db.example:6543/courses",
        "postgres://handyman@db.example/courses",
        "postgresql+psycopg://bench:bench@127.0.0.1/bench?application_name=import",
        "postgresql://handyman:secret@[::1]:5432/courses",
        "sqlite:////var/lib/handyman/handyman.sqlite3",
        "sqlite:///handyman.sqlite3",
    ],
)
def test_the_usual_urls_are_read_without_sqlalchemy(value: str) -> None:
    assert driver_location(value) is not None


@pytest.mark.parametrize(
    "value",
    [
        "postgresql://u@/courses?host=/var/run/postgresql",
        "postgresql://u@h1/courses?host=h2&host=h3",
        "postgresql://u@db.example/courses?sslmode=require&sslmode=disable",
        "sqlite://",
        "sqlite:///:memory:",
        "sqlite:///file.db?mode=ro&uri=true",
        "mysql://u@h/db",
        "postgresql://db.example:99999/courses",
    ],
)
def test_what_only_sqlalchemy_reads_or_refuses_is_left_to_it(value: str) -> None:
    assert driver_location(value) is None


@pytest.mark.parametrize(
    "value", ["postgresql://db.example/", "postgresql:///courses", "sqlite://host/db.sqlite3"]
)
def test_a_url_sqlalchemy_refuses_is_not_read_either(value: str) -> None:
    with pytest.raises(DatabaseUnavailable):
        DatabaseUrl.parse(value)

    assert driver_location(value) is None


def test_a_sqlite_file_is_named_as_database_url_names_it(tmp_path: Path) -> None:
    path = tmp_path / "data dir" / "handyman.sqlite3"

    location = sqlite_location(path)

    assert location.display == str(DatabaseUrl.sqlite_file(path))
    assert location.sqlite_path == str(path)
