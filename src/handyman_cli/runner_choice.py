"""Which code runner the service uses: `local` (bubblewrap sandbox, the default), `remote`
(the original's runner API on other hosts) or `none` (run endpoints answer 503)."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from handyman_core.run_protocol import Runner

log = logging.getLogger("handyman.runner")

RUNNER_VARIABLE = "HANDYMAN_RUNNER"
WATCHMAN_URLS_VARIABLE = "HANDYMAN_WATCHMAN_URLS"
RUNNER_KINDS = ("local", "remote", "none")


def runner_from_environment(environ: Mapping[str, str]) -> Runner | None:
    kind = environ.get(RUNNER_VARIABLE, "local")
    if kind == "none":
        return None
    if kind == "remote":
        from handyman_runner.remote import RemoteRunner

        urls = [url for url in environ.get(WATCHMAN_URLS_VARIABLE, "").split() if url]
        return RemoteRunner(urls)
    from handyman_runner.local import LocalSandboxRunner, SandboxUnavailable

    try:
        return LocalSandboxRunner()
    except SandboxUnavailable as error:
        log.error("the local runner is disabled: %s", error)
        return None
