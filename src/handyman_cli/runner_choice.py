"""Which code runner the service uses: `local` (bubblewrap sandbox, the default), `remote`
(the original's runner API on other hosts) or `none` (run endpoints answer 503)."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from handyman_cli.runner_kinds import (
    RUNNER_KINDS,
    RUNNER_TOKEN_VARIABLE,
    RUNNER_VARIABLE,
    WATCHMAN_URLS_VARIABLE,
)
from handyman_core.run_protocol import Runner
from handyman_runner.local import LocalSandboxRunner
from handyman_runner.remote import RemoteRunner
from handyman_runner.sandbox_errors import SandboxUnavailable

log = logging.getLogger("handyman.runner")

__all__ = [
    "RUNNER_KINDS",
    "RUNNER_TOKEN_VARIABLE",
    "RUNNER_VARIABLE",
    "WATCHMAN_URLS_VARIABLE",
    "remote_runner",
    "runner_from_environment",
]


def remote_runner(environ: Mapping[str, str]) -> RemoteRunner:
    """Raises ValueError naming the problem when the URLs are missing or malformed."""
    urls = environ.get(WATCHMAN_URLS_VARIABLE, "").split()
    return RemoteRunner(urls, token=environ.get(RUNNER_TOKEN_VARIABLE) or None)


def runner_from_environment(environ: Mapping[str, str]) -> Runner | None:
    """A missing sandbox disables the local runner (run endpoints answer 503) instead of
    stopping the service, and never falls back to running code unsandboxed."""
    kind = environ.get(RUNNER_VARIABLE, "local")
    if kind == "none":
        return None
    if kind == "remote":
        return remote_runner(environ)
    try:
        return LocalSandboxRunner()
    except SandboxUnavailable as error:
        log.error("the local runner is disabled: %s", error.message)
        return None
