"""A program's command line as a learner types it (`user_cmd_line_args`): split as a POSIX shell
would, and bounded.

The bounds keep what reaches `execve` far below the kernel's (128 KiB per argument, about a
quarter of the stack limit in total): an oversized line is the learner's mistake, reported as
a 400 naming the field, never a runner failure.
"""

from __future__ import annotations

import shlex

from handyman_core.errors import InvalidInput

MAX_COMMAND_LINE_BYTES = 4096
"""UTF-8 bytes of the whole line; the course projects' default lines are a few words."""
MAX_ARGUMENTS = 256


def split_command_line(text: str, field: str) -> tuple[str, ...]:
    """The arguments of `text`; InvalidInput on `field` for a line no program should get."""
    if "\0" in text:
        raise InvalidInput.field(field, "must not contain NUL characters")
    size = len(text.encode("utf-8", "replace"))
    if size > MAX_COMMAND_LINE_BYTES:
        raise InvalidInput.field(
            field, f"is {size} bytes long; at most {MAX_COMMAND_LINE_BYTES} are allowed"
        )
    try:
        arguments = tuple(shlex.split(text))
    except ValueError as error:
        raise InvalidInput.field(field, f"cannot be split into arguments: {error}") from None
    if len(arguments) > MAX_ARGUMENTS:
        raise InvalidInput.field(
            field, f"has {len(arguments)} arguments; at most {MAX_ARGUMENTS} are allowed"
        )
    return arguments
