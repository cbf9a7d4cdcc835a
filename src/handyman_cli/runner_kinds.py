"""The names the runner choice is configured by, apart from the runners themselves (which import
the sandbox and an HTTP client), so that the command line can list them cheaply."""

from __future__ import annotations

RUNNER_VARIABLE = "HANDYMAN_RUNNER"
WATCHMAN_URLS_VARIABLE = "HANDYMAN_WATCHMAN_URLS"
RUNNER_TOKEN_VARIABLE = "HANDYMAN_RUNNER_TOKEN"
RUNNER_KINDS = ("local", "remote", "none")
