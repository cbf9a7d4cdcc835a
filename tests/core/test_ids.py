"""The id grammar and user ids (contract §2) and the positional derivation (original §0.6)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from handyman_core.errors import InvalidInput
from handyman_core.ids import (
    MAX_ID_LENGTH,
    MAX_USER_ID,
    ChapterId,
    CourseId,
    TaskId,
    chapter_of_task,
    course_of_chapter,
    course_of_task,
    is_chapter_id,
    parent_chapter_of,
    parse_chapter_id,
    parse_course_id,
    parse_example_id,
    parse_project_id,
    parse_task_id,
    parse_user_id,
)
from tests.core.strategies import chapter_ids, course_ids, project_ids, task_ids, user_ids

PARSERS: list[Callable[[str], str]] = [
    parse_course_id,
    parse_chapter_id,
    parse_task_id,
    parse_project_id,
    parse_example_id,
]
parsers = st.sampled_from(PARSERS)
valid_ids = course_ids() | chapter_ids() | task_ids() | project_ids()
four_digits = st.integers(min_value=0, max_value=9999).map(lambda n: f"{n:04d}")


def rejects(parse: Callable[..., object], value: object) -> bool:
    try:
        parse(value)
    except InvalidInput:
        return True
    return False


# --- the grammar ---------------------------------------------------------------------------------


@given(course=course_ids())
def test_generated_course_ids_parse(course: str) -> None:
    assert parse_course_id(course) == course


@given(chapter=chapter_ids())
def test_generated_chapter_ids_parse(chapter: str) -> None:
    assert parse_chapter_id(chapter) == chapter


@given(task=task_ids())
def test_generated_task_ids_parse(task: str) -> None:
    assert parse_task_id(task) == task


@given(project=project_ids())
def test_generated_project_ids_parse(project: str) -> None:
    assert parse_project_id(project) == project


@given(parse=parsers, before=st.text(max_size=20), after=st.text(max_size=20))
def test_ids_with_a_slash_are_rejected(
    parse: Callable[[str], str], before: str, after: str
) -> None:
    assert rejects(parse, before + "/" + after)


@given(parse=parsers, before=st.text(max_size=20), after=st.text(max_size=20))
def test_ids_with_two_dots_are_rejected(
    parse: Callable[[str], str], before: str, after: str
) -> None:
    assert rejects(parse, before + ".." + after)


@given(parse=parsers, valid=valid_ids, position=st.integers(min_value=0))
def test_path_separators_inside_otherwise_valid_ids_are_rejected(
    parse: Callable[[str], str], valid: str, position: int
) -> None:
    cut = position % (len(valid) + 1)
    assert rejects(parse, valid[:cut] + "/../" + valid[cut:])


@pytest.mark.parametrize("parse", PARSERS)
def test_empty_ids_are_rejected(parse: Callable[[str], str]) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse("")
    assert "empty" in next(iter(raised.value.fields.values()))


@given(parse=parsers, name=st.from_regex(r"[a-z]{129,300}", fullmatch=True))
def test_ids_over_the_length_limit_are_rejected(parse: Callable[[str], str], name: str) -> None:
    assert rejects(parse, name)


@given(course=st.from_regex(r"[a-z]{100,140}", fullmatch=True), number=four_digits)
def test_a_well_formed_task_id_over_the_limit_is_rejected(course: str, number: str) -> None:
    task = f"{course}_chapter_{number}_task_{number}"
    assert (len(task) <= MAX_ID_LENGTH) == (not rejects(parse_task_id, task))


@given(valid=valid_ids, position=st.integers(min_value=0))
def test_an_uppercase_letter_anywhere_is_rejected(valid: str, position: int) -> None:
    letters = [index for index, char in enumerate(valid) if char.isalpha()]
    index = letters[position % len(letters)]
    shouted = valid[:index] + valid[index].upper() + valid[index + 1 :]
    assert all(rejects(parse, shouted) for parse in PARSERS)


@pytest.mark.parametrize(
    "value",
    ["1python", "_python", "python-3", "python_chapter_10", "python_chapter_00100", " python"],
)
def test_malformed_course_and_chapter_ids_are_rejected(value: str) -> None:
    assert rejects(parse_course_id, value)
    assert rejects(parse_chapter_id, value)


def test_the_error_names_the_field_it_was_given() -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_task_id("nope", field="task_id")
    assert set(raised.value.fields) == {"task_id"}


@given(chapter=chapter_ids())
def test_a_chapter_id_is_not_a_task_id(chapter: str) -> None:
    assert rejects(parse_task_id, chapter)
    assert is_chapter_id(chapter)


# --- derivation ----------------------------------------------------------------------------------


@given(course=course_ids(), chapter_number=four_digits, task_number=four_digits)
def test_a_task_id_derives_back_to_its_chapter_and_course(
    course: str, chapter_number: str, task_number: str
) -> None:
    chapter = ChapterId(f"{course}_chapter_{chapter_number}")
    task = TaskId(f"{chapter}_task_{task_number}")
    assert chapter_of_task(task) == chapter
    assert course_of_chapter(chapter) == course
    assert course_of_task(task) == CourseId(course)


@given(task=task_ids())
def test_derived_ids_satisfy_the_grammar(task: TaskId) -> None:
    chapter = parse_chapter_id(chapter_of_task(task))
    assert parse_course_id(course_of_chapter(chapter)) == course_of_task(task)


def test_a_sub_chapter_belongs_to_the_chapter_ending_in_zero() -> None:
    assert parent_chapter_of(ChapterId("cpp_chapter_0011")) == "cpp_chapter_0010"


def test_a_chapter_ending_in_zero_has_no_parent() -> None:
    assert parent_chapter_of(ChapterId("cpp_chapter_0010")) is None


# --- user ids ------------------------------------------------------------------------------------


@given(user=user_ids())
def test_user_ids_in_range_are_accepted_as_int(user: int) -> None:
    assert parse_user_id(user) == user


@given(user=user_ids())
def test_user_ids_in_range_are_accepted_as_decimal_text(user: int) -> None:
    assert parse_user_id(str(user)) == user


def test_the_largest_signed_64_bit_user_id_is_accepted() -> None:
    assert parse_user_id(MAX_USER_ID) == 2**63 - 1
    assert parse_user_id(str(2**63 - 1)) == 2**63 - 1


@pytest.mark.parametrize("value", [0, "0", 2**63, str(2**63), 10**30, str(10**30)])
def test_user_ids_out_of_range_are_rejected(value: int | str) -> None:
    assert rejects(parse_user_id, value)


@given(user=st.integers(max_value=0))
def test_non_positive_user_ids_are_rejected(user: int) -> None:
    assert rejects(parse_user_id, user)
    assert rejects(parse_user_id, str(user))


@pytest.mark.parametrize("value", [True, False, None])
def test_booleans_and_none_are_not_user_ids(value: bool | None) -> None:
    assert rejects(parse_user_id, value)


@pytest.mark.parametrize(
    "value", ["12a", " 1", "1 ", "+1", "-1", "1.0", "1e3", "", "0x10", "1_000", "١٢", "１２", "²"]
)
def test_user_id_text_must_be_plain_ascii_digits(value: str) -> None:
    assert rejects(parse_user_id, value)


@given(text=st.text(min_size=1, max_size=20))
def test_user_id_text_is_accepted_only_if_it_is_ascii_digits(text: str) -> None:
    assume(not (text.isascii() and text.isdigit()))
    assert rejects(parse_user_id, text)


def test_a_bad_user_id_is_reported_under_the_given_field() -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_user_id("x", field="old_user_id")
    assert set(raised.value.fields) == {"old_user_id"}


# --- the real catalogue --------------------------------------------------------------------------


def test_every_item_folder_of_the_real_catalogue_follows_the_grammar(
    real_catalogue_path: Path,
) -> None:
    chapters = [p for p in real_catalogue_path.glob("*/*_chapter_*") if p.is_dir()]
    tasks = [p for p in real_catalogue_path.glob("*/*/tasks/*") if p.is_dir()]
    projects = [p for p in real_catalogue_path.glob("*/practice/*") if p.is_dir()]
    assert chapters and tasks and projects
    for folder in chapters:
        assert parse_chapter_id(folder.name)
        assert course_of_chapter(ChapterId(folder.name)) == folder.parent.name
    for folder in tasks:
        assert chapter_of_task(parse_task_id(folder.name)) == folder.parent.parent.name
    for folder in projects:
        assert parse_project_id(folder.name).startswith(folder.parent.parent.name + "_")
