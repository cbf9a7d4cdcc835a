"""Bearer-token access (contract §6), compared in constant time."""

from __future__ import annotations

import hmac
from typing import Any

import falcon

from handyman_http.settings import Settings


def _bearer(req: falcon.Request) -> str | None:
    header = req.get_header("Authorization") or ""
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _matches(presented: str | None, expected: str) -> bool:
    return presented is not None and hmac.compare_digest(presented.encode(), expected.encode())


def is_admin(req: falcon.Request, settings: Settings) -> bool:
    return settings.admin_token is not None and _matches(_bearer(req), settings.admin_token)


class AccessMiddleware:
    """The API token guards every endpoint when set; resources marked `admin_only` need the admin
    token, and answer 403 when no admin token is configured at all. The admin token also passes
    the API-token check, so an operator needs only one header."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def process_resource(
        self, req: falcon.Request, resp: falcon.Response, resource: object, params: dict[str, Any]
    ) -> None:
        settings = self._settings
        admin = is_admin(req, settings)
        if settings.api_token is not None and not admin:
            if _bearer(req) is None:
                raise falcon.HTTPUnauthorized(
                    description="An API token is required: Authorization: Bearer <token>",
                    challenges=["Bearer"],
                )
            if not _matches(_bearer(req), settings.api_token):
                raise falcon.HTTPForbidden(description="The API token is not valid")
        if getattr(resource, "admin_only", False) and not admin:
            if settings.admin_token is None:
                raise falcon.HTTPForbidden(
                    description="This endpoint is disabled: HANDYMAN_ADMIN_TOKEN is not set"
                )
            raise falcon.HTTPForbidden(description="The admin token is required")
