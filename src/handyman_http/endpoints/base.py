"""What every endpoint resource shares: the use cases' context, the settings, and the body.

A resource parses the request into a typed command (`RequestCheck`: every bad field in one
400), calls one use case of `handyman_service` and renders its result; nothing else.
"""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

import falcon

from handyman_http.body_limit import read_json_object
from handyman_http.metrics import LegacyCounters
from handyman_http.request_body import structure_body
from handyman_http.services import Services

T = TypeVar("T")


class Endpoint:
    admin_only: ClassVar[bool] = False
    failure_extras: ClassVar[dict[str, Any]] = {}
    """Keys every failure body of this endpoint carries (merge_users: `{"status": -1}`)."""
    counters: ClassVar[LegacyCounters | None] = None
    """The original's counters of this endpoint, if it had any."""

    def __init__(self, services: Services) -> None:
        self.settings = services.settings
        self.context = services.context

    def body(self, req: falcon.Request, shape: type[T]) -> T:
        """The JSON body structured into `shape` (size-capped; lenient keys, strict types)."""
        document = read_json_object(req, self.settings.body_limit)
        return structure_body(document, shape)
