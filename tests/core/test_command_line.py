"""A learner's command line: split as a shell would, bounded, every problem naming the field."""

from __future__ import annotations

import shlex

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handyman_core.command_line import MAX_ARGUMENTS, MAX_COMMAND_LINE_BYTES, split_command_line
from handyman_core.errors import InvalidInput


@given(st.lists(st.text(st.characters(exclude_characters="\0"), max_size=12), max_size=20))
def test_quoted_arguments_split_back_into_themselves(arguments: list[str]) -> None:
    line = shlex.join(arguments)
    if len(line.encode("utf-8", "replace")) <= MAX_COMMAND_LINE_BYTES:
        assert split_command_line(line, "args") == tuple(arguments)


@given(st.text(max_size=300))
def test_any_line_splits_or_is_refused_on_the_field(line: str) -> None:
    try:
        arguments = split_command_line(line, "user_cmd_line_args")
    except InvalidInput as error:
        assert list(error.fields) == ["user_cmd_line_args"]
    else:
        assert len(arguments) <= MAX_ARGUMENTS


def test_an_oversized_line_is_refused_with_its_size() -> None:
    with pytest.raises(InvalidInput) as raised:
        split_command_line("x" * 200_000, "user_cmd_line_args")
    assert "200000 bytes" in raised.value.fields["user_cmd_line_args"]


def test_too_many_arguments_are_refused() -> None:
    with pytest.raises(InvalidInput) as raised:
        split_command_line("a " * (MAX_ARGUMENTS + 1), "args")
    assert list(raised.value.fields) == ["args"]


def test_a_line_at_the_bounds_is_accepted() -> None:
    line = " ".join(["a"] * MAX_ARGUMENTS)
    assert len(split_command_line(line, "args")) == MAX_ARGUMENTS


def test_nul_is_refused() -> None:
    with pytest.raises(InvalidInput):
        split_command_line("a\0b", "args")
