"""Putting the learner's code into a course wrapper at its markers (original §3.1, §2.21, §5.1)."""

from __future__ import annotations

INJECT_MARKER = "#INJECT-b585472fa"
"""Replaced by the code as it is."""

INJECT_ESCAPED_MARKER = "#INJECT-ESCAPED-b585472fa"
"""Replaced by the code with `\"\"\"` escaped: Python test scripts hold the learner's source in a
`r\"\"\"...\"\"\"` string to inspect it, and an unescaped triple quote would end that string."""

_TRIPLE_QUOTE = '"""'
_ESCAPED_TRIPLE_QUOTE = '\\"\\"\\"'


def escape_triple_quotes(code: str) -> str:
    return code.replace(_TRIPLE_QUOTE, _ESCAPED_TRIPLE_QUOTE)


def inject_test(wrapper: str, code: str) -> str:
    """The test program. The plain marker is replaced first, as in the original; so if the
    code itself contains the escaped marker's text, that copy is replaced by the escaped code
    too. Course wrappers depend on this order only in that corner, and it is kept byte for byte."""
    with_code = wrapper.replace(INJECT_MARKER, code)
    return with_code.replace(INJECT_ESCAPED_MARKER, escape_triple_quotes(code))


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
