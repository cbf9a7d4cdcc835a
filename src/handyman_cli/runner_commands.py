"""`handyman runner serve`: the original runner's HTTP API (`/check`, `/playground`, `/practice`)
in front of the local bubblewrap sandbox, so that Handyman services on other hosts, or the
original Handyman, can send it their runs.

It refuses to start when the sandbox cannot work on this host: code is never run unsandboxed.
Workers are gthread, like `handyman serve`: a run is a child process, so threads wait on it
without holding the GIL. How many runs go at once is the sandbox's slot count, shared by every
worker; a run that finds no free slot in time is answered 503 with Retry-After.
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import sys
from typing import Any

from attrs import evolve

from handyman_cli.runner_arguments import add_runner_arguments
from handyman_cli.runner_kinds import RUNNER_TOKEN_VARIABLE
from handyman_cli.serve import HandymanGunicorn, gunicorn_options
from handyman_runner.local import LocalSandboxRunner, SandboxUnavailable
from handyman_runner.sandbox_config import SandboxConfig
from handyman_runner.server import DEFAULT_BODY_LIMIT, create_runner_app

__all__ = ["add_runner_arguments", "runner_gunicorn_options", "runner_serve"]


def runner_serve(args: argparse.Namespace) -> int:
    config = _sandbox_config(args)
    try:
        LocalSandboxRunner(config)
    except SandboxUnavailable as error:
        print(
            f"handyman: the sandbox cannot run code on this host ({error}); "
            "not starting, since code is never run unsandboxed",
            file=sys.stderr,
        )
        return 1
    token = os.environ.get(RUNNER_TOKEN_VARIABLE) or None
    if token is None and not _is_loopback(args.host):
        if not args.insecure_no_token:
            print(
                f"handyman: {args.host} may be reachable from other hosts and "
                f"${RUNNER_TOKEN_VARIABLE} is not set, so anyone who reaches the port could run "
                "code here; not starting. Set the token (and give it to the API hosts), listen "
                "on loopback, or pass --insecure-no-token if a firewall already stands in front",
                file=sys.stderr,
            )
            return 2
        print(
            f"handyman: warning: listening on {args.host} without ${RUNNER_TOKEN_VARIABLE} "
            "(--insecure-no-token); anyone who reaches the port can run code",
            file=sys.stderr,
        )
    body_limit: int = DEFAULT_BODY_LIMIT if args.body_limit is None else args.body_limit

    def load() -> Any:
        _configure_logging()
        return create_runner_app(
            LocalSandboxRunner(config),
            body_limit=body_limit,
            token=token,
        )

    HandymanGunicorn(runner_gunicorn_options(args), load).run()
    return 0


def runner_gunicorn_options(args: argparse.Namespace) -> dict[str, Any]:
    """gthread workers send their heartbeat from their main thread, so a long run does not
    count against `timeout`; `graceful_timeout` lets runs in flight finish on SIGTERM."""
    return gunicorn_options(args, proc_name="handyman-runner", graceful_timeout=60)


def _sandbox_config(args: argparse.Namespace) -> SandboxConfig:
    config = SandboxConfig()
    if args.bwrap is not None:
        config = evolve(config, bwrap_path=args.bwrap)
    if args.max_runs is not None:
        config = evolve(config, max_concurrent_runs=args.max_runs)
    if args.queue_timeout is not None:
        config = evolve(config, queue_timeout=args.queue_timeout)
    return config


def _configure_logging() -> None:
    """The runner's own messages (turned-away runs, runner failures) on stderr, beside
    gunicorn's; never the code or its output."""
    root = logging.getLogger("handyman")
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s")
        )
        root.addHandler(handler)
        root.setLevel(os.environ.get("HANDYMAN_LOG_LEVEL", "INFO"))


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
