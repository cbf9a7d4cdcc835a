"""Access (docs/behaviour.md, "Access"; docs/site-compatibility.md): bearer tokens, compared in
constant time, and the admin networks for the internal endpoints."""

from __future__ import annotations

from typing import Any

import falcon

from handyman_falcon.bearer import bearer_token as _bearer
from handyman_falcon.bearer import require_token
from handyman_falcon.bearer import token_matches as _matches
from handyman_http.settings import Settings


def _admin_by_token(req: falcon.Request, settings: Settings) -> bool:
    return settings.admin_token is not None and _matches(_bearer(req), settings.admin_token)


def _presents_a_wrong_token(req: falcon.Request, settings: Settings) -> bool:
    """Any Authorization header that is neither token. Checked before trusting a network: a
    caller that sends a credential means to be judged by it."""
    if not (req.get_header("Authorization") or "").strip():
        return False
    return not (
        _admin_by_token(req, settings)
        or (settings.api_token is not None and _matches(_bearer(req), settings.api_token))
    )


def peer_address(req: falcon.Request) -> str | None:
    """The WSGI server's REMOTE_ADDR as it is. Not `req.remote_addr`, which reads 127.0.0.1
    when the server gives none, and never a forwarding header a client can write."""
    address = req.env.get("REMOTE_ADDR")
    return address if isinstance(address, str) else None


def is_admin(req: falcon.Request, settings: Settings) -> bool:
    """The admin token, or a caller from an admin network that sends no wrong token."""
    if _admin_by_token(req, settings):
        return True
    return settings.admin_networks.contain(peer_address(req)) and not _presents_a_wrong_token(
        req, settings
    )


def _admin_refusal(req: falcon.Request, settings: Settings) -> falcon.HTTPError:
    """403 when the endpoint is disabled or a wrong credential was sent; 401 with a challenge
    when none was sent and the admin token would open it (RFC 9110: credentials are missing)."""
    if settings.admin_token is None and not settings.admin_networks:
        return falcon.HTTPForbidden(
            description="This endpoint is disabled: neither HANDYMAN_ADMIN_TOKEN nor "
            "HANDYMAN_ADMIN_NETWORKS is set"
        )
    if _presents_a_wrong_token(req, settings):
        return falcon.HTTPForbidden(description="The admin token is not valid")
    if settings.admin_token is not None and _bearer(req) is None:
        return falcon.HTTPUnauthorized(
            description="The admin token is required: Authorization: Bearer <token>",
            challenges=["Bearer"],
        )
    return falcon.HTTPForbidden(
        description="The admin token is required, or a caller from HANDYMAN_ADMIN_NETWORKS"
    )


class AccessMiddleware:
    """The API token guards every endpoint when set, whatever the caller's network; resources
    marked `admin_only` (or the methods a resource lists in `admin_methods`) need the admin token
    or a caller from an admin network, and answer 403 when neither is configured. The admin
    token also passes the API-token check, so an operator needs only one header. Resources
    marked `own_credentials` (the statistics API, whose clients carry their own key) skip the
    API token."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def process_resource(
        self, req: falcon.Request, resp: falcon.Response, resource: object, params: dict[str, Any]
    ) -> None:
        settings = self._settings
        own_credentials = getattr(resource, "own_credentials", False)
        if (
            settings.api_token is not None
            and not own_credentials
            and not _admin_by_token(req, settings)
        ):
            require_token(req, settings.api_token, what="API token")
        if _needs_admin(req, resource) and not is_admin(req, settings):
            raise _admin_refusal(req, settings)


def _needs_admin(req: falcon.Request, resource: object) -> bool:
    """A resource is `admin_only`, or names the methods that are (`admin_methods`)."""
    if getattr(resource, "admin_only", False):
        return True
    return req.method in getattr(resource, "admin_methods", ())
