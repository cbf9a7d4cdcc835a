"""What every endpoint resource shares: its services and a typed view of the request.

`parse` checks the body, `user_id` and every body-dependent field in one pass, so a client gets
one report naming every bad field instead of discovering them one request at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

import falcon

from handyman_core.errors import InvalidInput
from handyman_http.body_limit import read_json_object
from handyman_http.legacy_request import Options, optional_user, required_user
from handyman_http.request_body import structure_body
from handyman_http.services import Services

T = TypeVar("T")
Check = Callable[[T], Any]


class Endpoint:
    admin_only: ClassVar[bool] = False
    failure_extras: ClassVar[dict[str, Any]] = {}

    def __init__(self, services: Services) -> None:
        self.services = services

    def body(self, req: falcon.Request, shape: type[T]) -> T:
        document = read_json_object(req, self.services.settings.body_limit)
        return structure_body(document, shape)

    def parse_for_user(
        self, req: falcon.Request, shape: type[T], *checks: Check[T]
    ) -> tuple[T, int, list[Any]]:
        """For endpoints that need a signed-in user; `checks` run on the parsed body."""
        body, user_id, results = self._parse(req, shape, required_user, checks)
        assert user_id is not None
        return body, user_id, results

    def parse_for_visitor(
        self, req: falcon.Request, shape: type[T], *checks: Check[T]
    ) -> tuple[T, int | None, list[Any]]:
        """For endpoints that also serve anonymous visitors (no `user_id`)."""
        return self._parse(req, shape, optional_user, checks)

    def parse_options(self, req: falcon.Request, *checks: Check[Options]) -> list[Any]:
        """For endpoints that need no user: a `user_id` sent anyway must still be well formed."""
        body, _, results = self._parse(req, Options, optional_user, checks)
        return [body, *results]

    def _parse(
        self,
        req: falcon.Request,
        shape: type[T],
        user_rule: Callable[[falcon.Request], int | None],
        checks: tuple[Check[T], ...],
    ) -> tuple[T, int | None, list[Any]]:
        problems: dict[str, str] = {}
        body: T | None = None
        user_id: int | None = None
        try:
            body = self.body(req, shape)
        except InvalidInput as error:
            problems.update(error.fields)
        try:
            user_id = user_rule(req)
        except InvalidInput as error:
            problems.update(error.fields)
        results: list[Any] = []
        if body is not None:
            for check in checks:
                try:
                    results.append(check(body))
                except InvalidInput as error:
                    problems.update(error.fields)
        if problems:
            raise InvalidInput(problems)
        assert body is not None
        return body, user_id, results
