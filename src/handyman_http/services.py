"""What the endpoints are given: the HTTP settings and the use cases' context."""

from __future__ import annotations

from attrs import frozen

from handyman_http.settings import Settings
from handyman_service.context import ServiceContext


@frozen
class Services:
    settings: Settings
    context: ServiceContext
