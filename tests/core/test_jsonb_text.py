"""Rendering JSON as PostgreSQL prints jsonb (original §2.1, §2.2)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from handyman_core.jsonb_text import jsonb_text, jsonb_text_of_document

# The get_course_info example of original-handyman.md §2.2, on either side of its ellipsis.
PYTHON_TAGS_START = (
    '{"url": "https://www.python.org/", "tasks": "193 задачи", "title": "Python", '
    '"version": "Python 3.14.0", "chapters": "39 глав", "projects": [{"url": '
    '"https://docs.celeryq.dev/en/stable/", "name": "Celery — распределенная очередь задач"}, '
)
PYTHON_TAGS_END = '], "practice_projects": "3 проекта"}'


def python_tags(catalogue: Path) -> str:
    return (catalogue / "python" / "tags.json").read_text(encoding="utf-8")


def test_the_python_course_tags_render_as_the_original_served_them(
    real_catalogue_path: Path,
) -> None:
    rendered = jsonb_text_of_document(python_tags(real_catalogue_path))
    assert rendered.startswith(PYTHON_TAGS_START)
    assert rendered.endswith(PYTHON_TAGS_END)


def test_every_project_of_the_python_tags_renders_url_first(real_catalogue_path: Path) -> None:
    tags = json.loads(python_tags(real_catalogue_path))
    projects = jsonb_text(tags["projects"])
    assert projects.count('{"url": ') == len(tags["projects"])
    assert projects.count(', "name": ') == len(tags["projects"])


def test_duplicate_keys_keep_the_last_value() -> None:
    assert jsonb_text_of_document('{"a": 1, "a": 2}') == '{"a": 2}'


def test_separators_and_non_ascii_are_as_postgres_prints_them() -> None:
    assert jsonb_text({"b": [1, "ё"], "a": None}) == '{"a": null, "b": [1, "ё"]}'


def test_keys_are_ordered_by_utf8_length_not_character_count() -> None:
    assert jsonb_text({"ёё": 1, "abc": 2}) == '{"abc": 2, "ёё": 1}'


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=30,
)


@given(json_values)
def test_the_text_parses_back_to_the_same_value(value: Any) -> None:
    assert json.loads(jsonb_text(value)) == value


@given(json_values)
def test_rendering_a_rendered_document_changes_nothing(value: Any) -> None:
    rendered = jsonb_text(value)
    assert jsonb_text_of_document(rendered) == rendered


@given(st.dictionaries(st.text(), st.integers(), max_size=10))
def test_keys_come_shortest_first_then_bytewise(value: dict[str, int]) -> None:
    keys = [key.encode() for key, _ in json.loads(jsonb_text(value), object_pairs_hook=list)]
    for first, second in itertools.pairwise(keys):
        assert len(first) < len(second) or (len(first) == len(second) and first < second)
