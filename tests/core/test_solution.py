"""solution_text decoding (original §0.10) and code normalisation (original §0.9)."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handyman_core.errors import InvalidInput
from handyman_core.solution import (
    EMPTY_EDITOR,
    decode_solution_text,
    decode_submitted_code,
    normalize_code,
)

TYPOGRAPHY = "\u2026\u201c\u201d\u2018\u2019\u00a0"

codes = st.text(min_size=1).filter(lambda text: "\x00" not in text)


def encode(code: str) -> str:
    return base64.b64encode(code.encode()).decode()


def problem(value: str, field: str = "solution_text") -> str:
    with pytest.raises(InvalidInput) as caught:
        decode_solution_text(value, field)
    assert list(caught.value.fields) == [field]
    return caught.value.fields[field]


def test_standard_padded_base64_is_decoded() -> None:
    assert decode_solution_text("ZXJyX3NlcnZpY2VfdW5hdmFpbGFibGUgPSA1MDM=") == (
        "err_service_unavailable = 503"
    )


def test_the_single_space_sentinel_is_the_code_itself() -> None:
    assert decode_solution_text(EMPTY_EDITOR) == " "


def test_an_empty_string_is_empty_source_code() -> None:
    assert problem("") == "empty source code"


def test_text_that_decodes_to_nothing_is_empty_source_code() -> None:
    assert problem("\r\n") == "empty source code"


def test_carriage_returns_and_line_feeds_are_ignored() -> None:
    assert decode_solution_text("ZXJy\r\nX3Nl\ncnZp\rY2U=") == "err_service"


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("eA", id="missing padding"),
        pytest.param("eA=", id="short padding"),
        pytest.param("-_-_", id="url-safe alphabet"),
        pytest.param("eA==eA==", id="data after padding"),
        pytest.param("eA ==", id="space"),
        pytest.param("eA\t==", id="tab"),
        pytest.param("====", id="padding only"),
    ],
)
def test_anything_go_std_encoding_refuses_is_refused(value: str) -> None:
    assert problem(value) == "couldn't decode string from base64-encoded 'solution_text'"


def test_the_error_names_the_field_it_was_given() -> None:
    assert problem("eA", field="user_code") == (
        "couldn't decode string from base64-encoded 'user_code'"
    )


def test_bytes_that_are_not_utf8_are_refused() -> None:
    assert "UTF-8" in problem(base64.b64encode(b"\xff\xfe").decode())


def test_a_nul_character_is_refused() -> None:
    assert "NUL" in problem(encode("print(1)\x00"))


@given(codes)
def test_any_utf8_code_without_nul_round_trips(code: str) -> None:
    assert decode_solution_text(encode(code)) == code


@given(codes, st.lists(st.tuples(st.integers(min_value=0), st.sampled_from(["\n", "\r\n", "\r"]))))
def test_line_breaks_anywhere_in_the_base64_do_not_matter(
    code: str, breaks: list[tuple[int, str]]
) -> None:
    encoded = encode(code)
    for position, line_break in breaks:
        at = position % (len(encoded) + 1)
        encoded = encoded[:at] + line_break + encoded[at:]
    assert decode_solution_text(encoded) == code


def test_normalisation_matches_the_observed_example() -> None:
    assert normalize_code("x = \u201c1\u201d\u2026\u00a0") == 'x = "1"... '


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("\u2026", "..."),
        ("\u201c", '"'),
        ("\u201d", '"'),
        ("\u2018", "'"),
        ("\u2019", "'"),
        ("\u00a0", " "),
    ],
)
def test_each_typographic_character_becomes_its_ascii_form(typed: str, meant: str) -> None:
    assert normalize_code(f"a{typed}b") == f"a{meant}b"


def test_guillemets_narrow_spaces_and_tabs_are_untouched() -> None:
    assert normalize_code("\u00ab\u00bb\u202f\t") == "\u00ab\u00bb\u202f\t"


@given(st.text())
def test_normalised_code_holds_no_typographic_character(code: str) -> None:
    assert not set(normalize_code(code)) & set(TYPOGRAPHY)


@given(st.text().filter(lambda text: not set(text) & set(TYPOGRAPHY)))
def test_code_without_typographic_characters_is_unchanged(code: str) -> None:
    assert normalize_code(code) == code


@given(st.text())
def test_normalisation_is_idempotent(code: str) -> None:
    assert normalize_code(normalize_code(code)) == normalize_code(code)


def test_submitted_code_is_decoded_then_normalised() -> None:
    assert decode_submitted_code("eCA9IOKAnDHigJ3igKbCoA==") == 'x = "1"... '
