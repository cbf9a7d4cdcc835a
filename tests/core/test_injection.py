"""Injecting code into wrappers at the inject markers (original §3.1, §2.21, §5.1)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from handyman_core.injection import (
    INJECT_ESCAPED_MARKER,
    INJECT_MARKER,
    escape_for_string_literal,
    inject_playground,
    inject_run,
    inject_test,
)

MARKERS = (INJECT_MARKER, INJECT_ESCAPED_MARKER)


def no_marker(text: str) -> bool:
    return not any(marker in text for marker in MARKERS)


plain_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=40).filter(no_marker)
code_text = st.text(alphabet=st.sampled_from('ab"\n\t #\\'), max_size=40)


def test_markers_are_the_course_repository_markers() -> None:
    assert INJECT_MARKER == "#INJECT-b585472fa"
    assert INJECT_ESCAPED_MARKER == "#INJECT-ESCAPED-b585472fa"


def test_the_plain_marker_is_not_part_of_the_escaped_marker() -> None:
    assert INJECT_MARKER not in INJECT_ESCAPED_MARKER


@given(plain_text, plain_text, code_text)
def test_code_appears_verbatim_at_a_plain_marker(before: str, after: str, code: str) -> None:
    assume(no_marker(code))
    assert inject_test(before + INJECT_MARKER + after, code) == before + code + after


@given(plain_text, plain_text, code_text)
def test_the_escaped_marker_outside_a_literal_gets_the_code_escaped_for_a_literal(
    before: str, after: str, code: str
) -> None:
    assume(no_marker(code))
    wrapper = "x" + before + INJECT_ESCAPED_MARKER + after
    expected = "x" + before + escape_for_string_literal(code) + after
    assert inject_test(wrapper, code) == expected


@given(plain_text, code_text)
def test_both_markers_in_one_wrapper_get_their_own_form(between: str, code: str) -> None:
    assume(no_marker(code))
    wrapper = INJECT_MARKER + "x" + between + INJECT_ESCAPED_MARKER
    expected = code + "x" + between + escape_for_string_literal(code)
    assert inject_test(wrapper, code) == expected


LITERAL_WRAPPERS = [
    f'text = """\n{INJECT_ESCAPED_MARKER}\n"""\n',
    f'text = r"""\n{INJECT_ESCAPED_MARKER}\n"""\n',
    f"text = '''\n{INJECT_ESCAPED_MARKER}\n'''\n",
    f"text = r'''\n{INJECT_ESCAPED_MARKER}\n'''\n",
    f'text = R"""{INJECT_ESCAPED_MARKER}"""\n',
    f'text = u"""  {INJECT_ESCAPED_MARKER}  """\n',
    f'text = """\n    {INJECT_ESCAPED_MARKER}\n    """.strip()\n',
]
"""The forms the real catalogue's wrappers use (and a few neighbours)."""

any_code = st.text(max_size=60).filter(no_marker)
nasty_code = st.text(alphabet=st.sampled_from(['"', "'", "\\", "\n", "\r", "\0", "N", "x", "{"]))


@pytest.mark.parametrize("wrapper", LITERAL_WRAPPERS)
@given(code=st.one_of(any_code, nasty_code.filter(no_marker)))
def test_any_solution_survives_in_a_literal_and_is_its_value_exactly(
    wrapper: str, code: str
) -> None:
    namespace: dict[str, object] = {}
    exec(compile(inject_test(wrapper, code), "task_tests", "exec"), namespace)
    lead_and_trail = wrapper.split(INJECT_ESCAPED_MARKER)
    expected = _literal_value(lead_and_trail[0]) + code + _literal_value(lead_and_trail[1])
    if wrapper.rstrip().endswith(".strip()"):
        expected = expected.strip()
    assert namespace["text"] == expected


def _literal_value(side: str) -> str:
    """The blanks of the literal between its quotes and the marker."""
    for quote in ('"""', "'''"):
        if quote in side:
            parts = side.split(quote)
            return parts[1] if side.startswith("text") else parts[0]
    return side


@given(any_code)
def test_escaping_for_a_literal_round_trips_through_the_tokenizer(code: str) -> None:
    body = escape_for_string_literal(code)
    for quote in ('"""', "'''"):
        assert ast.literal_eval(quote + body + quote) == code


def test_a_windows_path_in_a_raw_string_survives_the_non_raw_wrapper() -> None:
    code = 'path = r"C:\\users"\n'
    injected = inject_test(f'text = """\n{INJECT_ESCAPED_MARKER}\n"""\n', code)
    namespace: dict[str, object] = {}
    exec(compile(injected, "task_tests", "exec"), namespace)
    assert namespace["text"] == "\n" + code + "\n"


def test_real_python_wrappers_compile_with_any_solution_and_hold_it_exactly(
    real_catalogue_path: Path,
) -> None:
    solution = (
        'path = r"C:\\users"  # a backslash, "quotes" and \'\'\'triple\'\'\' """ ones\n'
        "windows = 'C:\\\\new\\\\table'\n"
        "tail = '\\\\'\n"
    )
    wrappers = sorted(real_catalogue_path.glob("*/*/tasks/*/wrapper_test"))
    checked = 0
    for path in wrappers:
        wrapper = path.read_text(encoding="utf-8")
        if INJECT_ESCAPED_MARKER not in wrapper:
            continue
        without_plain = wrapper.replace(INJECT_MARKER, "")
        literals = [
            node.value
            for node in ast.walk(ast.parse(inject_test(without_plain, solution), str(path)))
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
        ]
        assert any(solution in literal for literal in literals), path
        checked += 1
    assert checked >= 190, "the real catalogue's Python and Haskell test wrappers"


@given(plain_text, code_text)
def test_every_occurrence_of_a_marker_is_replaced(between: str, code: str) -> None:
    assume(no_marker(code))
    wrapper = INJECT_MARKER + between + INJECT_MARKER
    assert inject_run(wrapper, code) == code + between + code


def test_triple_quotes_stay_unescaped_at_a_plain_marker() -> None:
    assert inject_test(f"s = {INJECT_MARKER}", 'x = """a"""') == 's = x = """a"""'


def test_code_holding_the_escaped_marker_is_rewritten_because_plain_goes_first() -> None:
    code = f'print("{INJECT_ESCAPED_MARKER}")'
    assert inject_test(INJECT_MARKER, code) == f'print("{escape_for_string_literal(code)}")'


@given(plain_text, code_text)
def test_a_wrapper_without_markers_is_returned_unchanged(wrapper: str, code: str) -> None:
    assert inject_test(wrapper, code) == wrapper
    assert inject_run(wrapper, code) == wrapper
    assert inject_playground(wrapper, code) == wrapper


def test_the_run_wrapper_ignores_the_escaped_marker() -> None:
    wrapper = f"{INJECT_MARKER}\n{INJECT_ESCAPED_MARKER}"
    assert inject_run(wrapper, '"""') == f'"""\n{INJECT_ESCAPED_MARKER}'


def test_playground_code_is_indented_to_the_marker_as_in_the_rust_example() -> None:
    wrapper = f"fn main() {{\n    {INJECT_MARKER}\n}}"
    assert inject_playground(wrapper, "let a = 1;\nlet b = 2;") == (
        "fn main() {\n    let a = 1;\n    let b = 2;\n}"
    )


@given(plain_text, plain_text, code_text)
def test_playground_with_an_unindented_marker_is_plain_replacement(
    before: str, after: str, code: str
) -> None:
    wrapper = before.rstrip("\n") + "\n" + INJECT_MARKER + after
    assert inject_playground(wrapper, code) == inject_run(wrapper, code)


def test_playground_indent_is_taken_from_the_first_marker_for_every_marker() -> None:
    wrapper = f"  {INJECT_MARKER}\n{INJECT_MARKER}"
    assert inject_playground(wrapper, "a\nb") == "  a\n  b\na\n  b"


def test_playground_indent_is_whatever_precedes_the_marker_on_its_line() -> None:
    wrapper = f"x\nlet v = {INJECT_MARKER};"
    assert inject_playground(wrapper, "1\n+ 2") == "x\nlet v = 1\nlet v = + 2;"


def test_playground_without_a_wrapper_is_the_code_unchanged() -> None:
    assert inject_playground(None, "a\n  b") == "a\n  b"


def test_playground_does_not_escape_triple_quotes() -> None:
    assert inject_playground(INJECT_MARKER, '"""') == '"""'
