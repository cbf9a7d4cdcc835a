"""Each kind of catalogue item names its table and columns without importing the schema (so an
import can run without SQLAlchemy); the names are the schema's, and its rows fill exactly
them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handyman_store import schema
from handyman_store.catalogue_rows import KINDS, ItemKind, canonical_json
from handyman_store.catalogue_tables import TABLES
from tests.store.test_catalogue_import import SMALL


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.name)
def test_a_kind_names_its_tables_columns_keys_first(kind: ItemKind[Any]) -> None:
    table = schema.metadata.tables[kind.table.name]

    assert sorted(kind.columns) == sorted(column.name for column in table.columns)
    assert kind.key_columns == tuple(column.name for column in table.primary_key.columns)


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.name)
def test_a_kinds_row_fills_its_keys_and_content_columns(kind: ItemKind[Any]) -> None:
    for item in kind.items_of(SMALL):
        assert tuple(kind.to_row(item)) == (*kind.key_columns, *kind.content_columns)


def test_a_kind_comes_after_every_kind_its_table_refers_to() -> None:
    names = [kind.table.name for kind in KINDS]
    for position, name in enumerate(names):
        referred = {key.column.table.name for key in schema.metadata.tables[name].foreign_keys}
        assert referred & set(names) <= set(names[:position]), name


def test_the_kinds_are_the_catalogue_tables_in_their_order() -> None:
    assert [kind.table for kind in KINDS] == list(TABLES)


_VALUES = st.none() | st.booleans() | st.text() | st.text(st.characters(max_codepoint=0x9F))


@given(st.dictionaries(st.text(), _VALUES))
def test_a_rows_canonical_json_is_the_standard_librarys_sorted_compact_utf8(
    row: dict[str, Any],
) -> None:
    """Stored content hashes were computed from the standard library's JSON: the faster
    encoding must not change one byte of it, or every item would look changed."""
    expected = json.dumps(row, sort_keys=True, ensure_ascii=False, separators=(",", ":"))

    assert canonical_json(row) == expected.encode()


def test_a_row_no_utf8_can_hold_is_refused_as_it_always_was() -> None:
    with pytest.raises(UnicodeEncodeError):
        canonical_json({"text": "\ud800"})
