"""The environment variables the runner choice is configured by (the runners by name are in
`runner_registry`)."""

from __future__ import annotations

RUNNER_VARIABLE = "HANDYMAN_RUNNER"
WATCHMAN_URLS_VARIABLE = "HANDYMAN_WATCHMAN_URLS"
RUNNER_TOKEN_VARIABLE = "HANDYMAN_RUNNER_TOKEN"
