"""Putting the learner's code into a course wrapper at its markers (docs/behaviour.md, "Running
a task")."""

from __future__ import annotations

import re
import unicodedata

INJECT_MARKER = "#INJECT-b585472fa"
"""Replaced by the code as it is."""

INJECT_ESCAPED_MARKER = "#INJECT-ESCAPED-b585472fa"
"""Replaced by the code written so that the Python string literal around the marker holds the
code exactly: test scripts keep the learner's source in a triple-quoted string to inspect it."""

_LITERAL_AROUND_MARKER = re.compile(
    r"""(?<![\w"'])(?P<prefix>[rRuU]?)(?P<quote>"{3}|'{3})(?P<lead>[ \t]*\n?[ \t]*)"""
    + re.escape(INJECT_ESCAPED_MARKER)
    + r"""(?P<trail>[ \t]*\n?[ \t]*)(?P=quote)"""
)
"""The marker alone (up to blanks and a line break on each side) in a triple-quoted literal."""

_QUOTES_AND_BACKSLASH = frozenset("\\\"'")
_KEPT_AS_IS = frozenset("\n\t")
_ESCAPED_CATEGORIES = frozenset({"Cc", "Cs"})


def escape_for_string_literal(code: str) -> str:
    """The body of a non-raw triple-quoted Python string literal (`\"\"\"` or `'''`) whose
    value is exactly `code`: backslashes and quotes are escaped, and so is every character a
    literal cannot hold as it is (control characters but newline and tab, which the tokenizer
    would rewrite or refuse, and lone surrogates, which UTF-8 source cannot carry)."""
    escaped: list[str] = []
    for character in code:
        if character in _QUOTES_AND_BACKSLASH:
            escaped.append("\\" + character)
        elif character in _KEPT_AS_IS:
            escaped.append(character)
        elif unicodedata.category(character) in _ESCAPED_CATEGORIES:
            escaped.append(_numeric_escape(character))
        else:
            escaped.append(character)
    return "".join(escaped)


def inject_test(wrapper: str, code: str) -> str:
    """The test program. The plain marker is replaced first, as in the original; so if the
    code itself contains the escaped marker's text, that copy is replaced by the escaped code
    too.

    The course wrappers put the escaped marker alone in a `\"\"\"`, `'''`, `r\"\"\"` or `r'''`
    literal. The original escaped only `\"\"\"`, so a correct solution holding a backslash (as
    in `r"C:\\users"`) made a non-raw wrapper a SyntaxError, and a raw one showed the checks
    text that was not the solution. Here any text survives: the literal around the marker is
    written as a non-raw literal (its blank lead and trail read the same either way) holding
    the escaped code, so its value is exactly the solution. A marker anywhere else is written
    as if it sat in a non-raw literal."""
    with_code = wrapper.replace(INJECT_MARKER, code)
    if INJECT_ESCAPED_MARKER not in with_code:
        return with_code
    escaped = escape_for_string_literal(code)
    in_literals = _LITERAL_AROUND_MARKER.sub(
        lambda match: _literal_holding(escaped, match), with_code
    )
    return in_literals.replace(INJECT_ESCAPED_MARKER, escaped)


def _literal_holding(escaped: str, match: re.Match[str]) -> str:
    prefix = "" if match["prefix"] in ("r", "R") else match["prefix"]
    quote = match["quote"]
    return f"{prefix}{quote}{match['lead']}{escaped}{match['trail']}{quote}"


def _numeric_escape(character: str) -> str:
    code_point = ord(character)
    return f"\\x{code_point:02x}" if code_point < 0x100 else f"\\u{code_point:04x}"


def inject_run(wrapper: str, code: str) -> str:
    """The run program: plain marker only (the original never escaped here)."""
    return wrapper.replace(INJECT_MARKER, code)


def inject_playground(wrapper: str | None, code: str) -> str:
    """The code an editor shows for a playground: indented to sit where the marker sits, so a
    snippet lands inside `fn main() {` looking as if written there. No wrapper: the code alone;
    a wrapper without the marker is a complete program and is shown as it is."""
    if wrapper is None:
        return code
    first = wrapper.find(INJECT_MARKER)
    if first < 0:
        return wrapper
    indent = wrapper[wrapper.rfind("\n", 0, first) + 1 : first]
    return wrapper.replace(INJECT_MARKER, code.replace("\n", "\n" + indent))
