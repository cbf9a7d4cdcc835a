"""The core's small exception hierarchy; the HTTP layer maps each class to one status code."""

from __future__ import annotations

from collections.abc import Mapping


class HandymanError(Exception):
    """Base of every error the core raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(HandymanError):
    """The client sent something malformed; `fields` names each bad field and what is wrong."""

    def __init__(self, fields: Mapping[str, str], message: str = "Invalid request") -> None:
        super().__init__(message)
        self.fields = dict(fields)

    @classmethod
    def field(cls, name: str, problem: str) -> InvalidInput:
        return cls({name: problem})


class Unauthorized(HandymanError):
    """The credentials a request carries are wrong or name no one; which of the two is not said."""


class NotFound(HandymanError):
    """An id is well formed but names nothing live in the catalogue (or no such run/segment).
    `fields`, when given, names each entry of the request that named nothing."""

    def __init__(self, message: str, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields = dict(fields or {})


class Forbidden(HandymanError):
    """The caller may not see or change this (another user's run without the admin token)."""


class Conflict(HandymanError):
    """The request is valid but the current state forbids it (split into a user with progress).
    `fields`, when given, names each entry of the request the state refuses."""

    def __init__(self, message: str, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields = dict(fields or {})


class RunnerUnavailable(HandymanError):
    """No verdict could be had: runner absent, busy, timed out, or answered without a verdict."""

    def __init__(
        self,
        message: str = "Couldn't communicate with tasks runner",
        *,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TooManyRuns(HandymanError):
    """The user already has as many runs going as one user may; retry after `retry_after`."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class DependencyUnavailable(HandymanError):
    """Something the service depends on (the database) cannot be used right now; the request
    may succeed if retried later, so it is a 503 with Retry-After, never a 500."""

    dependency = "dependency"
    retry_after_seconds = 5


class CatalogueInvalid(HandymanError):
    """A course folder cannot be imported; `errors` lists every reason found."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("course folder is invalid: " + "; ".join(errors))
        self.errors = list(errors)
