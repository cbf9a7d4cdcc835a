"""What every endpoint resource shares: its services and a typed view of the request body."""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

import falcon

from handyman_http.body_limit import read_json_object
from handyman_http.legacy_request import Options
from handyman_http.request_body import structure_body
from handyman_http.services import Services

T = TypeVar("T")


class Endpoint:
    admin_only: ClassVar[bool] = False
    failure_extras: ClassVar[dict[str, Any]] = {}

    def __init__(self, services: Services) -> None:
        self.services = services

    def body(self, req: falcon.Request, shape: type[T]) -> T:
        document = read_json_object(req, self.services.settings.body_limit)
        return structure_body(document, shape)

    def options(self, req: falcon.Request) -> Options:
        return self.body(req, Options)
