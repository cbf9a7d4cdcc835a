"""The learner's code as the site sends it: base64 text and the typographic
clean-up applied before it is run or stored (docs/behaviour.md, "Submitted code")."""

from __future__ import annotations

import base64

from handyman_core.errors import InvalidInput

EMPTY_EDITOR = " "
"""Scene sends this literal for an empty editor; it is taken as the code itself, not decoded."""

_LINE_BREAKS = str.maketrans("", "", "\r\n")

_TYPOGRAPHY = str.maketrans(
    {
        "\u2026": "...",
        "\u201c": '"',
        "\u201d": '"',
        "\u2018": "'",
        "\u2019": "'",
        "\u00a0": " ",
    }
)


def decode_solution_text(value: str, field: str = "solution_text") -> str:
    """Decode as Go's `base64.StdEncoding` did (padding required, CR/LF ignored, nothing else
    tolerated). Unlike the original, the code must be UTF-8 without NUL: PostgreSQL cannot store
    NUL, and the original lost the write silently."""
    if value == EMPTY_EDITOR:
        return value
    if not value:
        raise InvalidInput.field(field, "empty source code")
    try:
        raw = base64.b64decode(value.translate(_LINE_BREAKS), validate=True)
    except ValueError:
        raise InvalidInput.field(
            field, f"couldn't decode string from base64-encoded '{field}'"
        ) from None
    if not raw:
        raise InvalidInput.field(field, "empty source code")
    try:
        code = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput.field(field, "decoded code is not valid UTF-8") from None
    if "\x00" in code:
        raise InvalidInput.field(field, "decoded code must not contain NUL characters")
    return code


def normalize_code(code: str) -> str:
    """Undo what word processors and chat apps do to pasted code: an ellipsis character, curly
    quotes and no-break spaces would otherwise be syntax errors the learner cannot see."""
    return code.translate(_TYPOGRAPHY)


def decode_submitted_code(value: str, field: str = "solution_text") -> str:
    """The code run_task, save_task and run_code run and store: decoded, then normalised."""
    return normalize_code(decode_solution_text(value, field))
