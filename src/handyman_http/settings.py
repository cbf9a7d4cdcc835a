"""Service settings, read once from the environment and command line."""

from __future__ import annotations

import os
from collections.abc import Mapping

from attrs import frozen

from handyman_http.trusted_networks import NO_NETWORKS, InvalidNetworks, TrustedNetworks

DEFAULT_BODY_LIMIT = 1024 * 1024
ADMIN_NETWORKS_VARIABLE = "HANDYMAN_ADMIN_NETWORKS"


@frozen
class Settings:
    api_token: str | None = None
    """When set, every request must carry `Authorization: Bearer <api_token>`."""
    admin_token: str | None = None
    """Opens the internal endpoints (merge, split, other users' runs)."""
    admin_networks: TrustedNetworks = NO_NETWORKS
    """Callers from these networks may use the internal endpoints without the admin token.
    With neither, those endpoints answer 403."""
    body_limit: int = DEFAULT_BODY_LIMIT
    project_path_root: str | None = None
    """Where the site finds practice project trees on its own disk (get_practice.project_path)."""
    catalogue_refresh_seconds: float = 1.0
    statistics_max_range_days: int = 31
    """The longest window one statistics request may ask for."""

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        return cls(
            api_token=environ.get("HANDYMAN_API_TOKEN") or None,
            admin_token=environ.get("HANDYMAN_ADMIN_TOKEN") or None,
            admin_networks=admin_networks_from(environ),
            body_limit=int(environ.get("HANDYMAN_BODY_LIMIT", DEFAULT_BODY_LIMIT)),
            project_path_root=environ.get("HANDYMAN_PROJECT_PATH_ROOT") or None,
            statistics_max_range_days=int(environ.get("HANDYMAN_STATS_MAX_RANGE_DAYS", "31")),
        )


def admin_networks_from(environ: Mapping[str, str]) -> TrustedNetworks:
    """Raises InvalidNetworks naming the variable and the bad entry."""
    try:
        return TrustedNetworks.parse(environ.get(ADMIN_NETWORKS_VARIABLE, ""))
    except InvalidNetworks as error:
        raise InvalidNetworks(f"{ADMIN_NETWORKS_VARIABLE}: {error}") from None
