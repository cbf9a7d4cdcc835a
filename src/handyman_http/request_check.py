"""Checking every field of a request in one pass, keeping each value typed.

A client gets one 400 naming every bad field instead of discovering them one request at a time;
each check's value stays typed (`Checked[T]`), so the command a request becomes has no `Any` in
it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, ParamSpec, TypeVar, cast

from handyman_core.errors import InvalidInput

T = TypeVar("T")
U = TypeVar("U")
P = ParamSpec("P")


class Checked(Generic[T]):
    """The value of one check. Read `value` only after `RequestCheck.done()` returned: then every
    check has passed."""

    def __init__(self, value: T | None, passed: bool) -> None:
        self._value = value
        self._passed = passed

    @property
    def passed(self) -> bool:
        return self._passed

    @property
    def value(self) -> T:
        if not self._passed:
            raise RuntimeError("a failed check has no value")
        return cast(T, self._value)


class RequestCheck:
    def __init__(self) -> None:
        self.problems: dict[str, str] = {}

    def take(self, check: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> Checked[T]:
        """Runs `check`, keeping its value or the fields it names as bad."""
        try:
            return Checked(check(*args, **kwargs), True)
        except InvalidInput as error:
            self.problems.update(error.fields)
            return Checked(None, False)

    def then(self, source: Checked[U], check: Callable[[U], T]) -> Checked[T]:
        """Runs `check` on the value of an earlier check, if that one passed."""
        if not source.passed:
            return Checked(None, False)
        return self.take(check, source.value)

    def problem(self, field: str, message: str) -> None:
        self.problems[field] = message

    def done(self) -> None:
        """Raises InvalidInput naming every bad field found."""
        if self.problems:
            raise InvalidInput(self.problems)
