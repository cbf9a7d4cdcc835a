"""Which code runner the service uses, by name (`HANDYMAN_RUNNER`, `handyman serve --runner`).

One mapping from name to factory: `local` (the bubblewrap sandbox, the default), `remote` (the
original runner's API on other hosts) and `none` (run endpoints answer 503). An unknown name is
an error at start-up, never a silent fallback. Adding a runner is one entry in `RUNNERS`. The
factories import their runner when called, so that the command line can list the names without
loading a sandbox or an HTTP client.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from attrs import frozen

from handyman_cli.run_admission import runs_per_worker
from handyman_cli.runner_kinds import (
    RUNNER_TOKEN_VARIABLE,
    RUNNER_VARIABLE,
    WATCHMAN_URLS_VARIABLE,
)

if TYPE_CHECKING:
    from handyman_core.run_protocol import Runner
    from handyman_runner.remote import RemoteRunner

log = logging.getLogger("handyman.runner")

DEFAULT_RUNNER = "local"

Environment = Mapping[str, str]


@frozen
class RunnerKind:
    build: Callable[[Environment], Runner | None]
    """The runner a worker uses; None when it has none (run endpoints answer 503)."""
    check: Callable[[Environment], None] = lambda environ: None
    """Raises ValueError naming what is wrong with the settings, before any worker starts."""
    description: str = ""


def remote_runner(environ: Environment) -> RemoteRunner:
    """Raises ValueError naming the problem when the URLs are missing or malformed. The client
    keeps a connection alive per run the worker admits at once (`runs_per_worker`)."""
    from handyman_runner.remote import DEFAULT_POOL_SIZE, RemoteRunner  # noqa: PLC0415

    urls = environ.get(WATCHMAN_URLS_VARIABLE, "").split()
    return RemoteRunner(
        urls,
        token=environ.get(RUNNER_TOKEN_VARIABLE) or None,
        pool_size=max(DEFAULT_POOL_SIZE, runs_per_worker(environ)),
    )


def _check_remote(environ: Environment) -> None:
    remote_runner(environ).close()


def _local_sandbox(environ: Environment) -> Runner | None:
    """A missing sandbox disables the local runner (run endpoints answer 503) instead of
    stopping the service, and never falls back to running code unsandboxed."""
    from handyman_runner.local import LocalSandboxRunner  # noqa: PLC0415
    from handyman_runner.sandbox_errors import SandboxUnavailable  # noqa: PLC0415

    try:
        return LocalSandboxRunner()
    except SandboxUnavailable as error:
        log.error("the local runner is disabled: %s", error.message)
        return None


RUNNERS: Mapping[str, RunnerKind] = {
    "local": RunnerKind(_local_sandbox, description="this host's bubblewrap sandbox"),
    "remote": RunnerKind(
        remote_runner, _check_remote, "the original runner's API on HANDYMAN_WATCHMAN_URLS"
    ),
    "none": RunnerKind(lambda environ: None, description="no runner: runs answer 503"),
}


class UnknownRunner(ValueError):
    pass


def runner_kind(name: str) -> RunnerKind:
    kind = RUNNERS.get(name)
    if kind is None:
        known = ", ".join(RUNNERS)
        raise UnknownRunner(f"{RUNNER_VARIABLE} must be one of {known}, not {name!r}")
    return kind


def runner_name(environ: Environment) -> str:
    return environ.get(RUNNER_VARIABLE) or DEFAULT_RUNNER


def check_runner_settings(environ: Environment) -> None:
    """At start-up: an unknown runner name, or settings the runner cannot work with, raise
    ValueError with a message for the operator."""
    runner_kind(runner_name(environ)).check(environ)


def runner_from_environment(environ: Environment) -> Runner | None:
    return runner_kind(runner_name(environ)).build(environ)
