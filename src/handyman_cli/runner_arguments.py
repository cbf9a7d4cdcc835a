"""The arguments of `handyman runner serve`, `languages` and `prepare`, apart from the commands
themselves (which import the sandbox, the runner server and gunicorn)."""

from __future__ import annotations

import argparse

from handyman_cli.lazy_command import LazyCommand
from handyman_cli.runner_kinds import RUNNER_TOKEN_VARIABLE

DEFAULT_PORT = 8000
"""Watchman's port."""


def add_runner_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the `runner` command's subcommands, each with its `handler`."""
    commands = parser.add_subparsers(dest="runner_command", required=True, metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="serve the original runner API backed by the local sandbox",
        description="Serve /check, /playground and /practice as the original runner did, "
        "running the code in the local bubblewrap sandbox. "
        f"When ${RUNNER_TOKEN_VARIABLE} is set, clients must send it as a bearer token.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 picks a free port")
    serve.add_argument("--workers", type=_positive, default=1)
    serve.add_argument("--threads", type=_positive, default=8, help="threads per worker")
    serve.add_argument(
        "--max-runs",
        type=_positive,
        default=None,
        help="sandboxes running at once on this host (default: one per CPU)",
    )
    serve.add_argument(
        "--queue-timeout",
        type=_not_negative,
        default=None,
        metavar="SECONDS",
        help="how long a run waits for a free sandbox before the runner answers busy",
    )
    serve.add_argument(
        "--body-limit",
        type=_positive,
        default=None,
        metavar="BYTES",
        help="largest request body (default: 4 MiB)",
    )
    serve.add_argument(
        "--bwrap", metavar="PATH", default=None, help="the bubblewrap program (default: on PATH)"
    )
    serve.add_argument("--access-log", action="store_true", help="log every request")
    serve.add_argument(
        "--insecure-no-token",
        action="store_true",
        help=f"listen beyond loopback without ${RUNNER_TOKEN_VARIABLE}: anyone who reaches the "
        "port can run code on this host",
    )
    serve.set_defaults(handler=LazyCommand("handyman_cli.runner_commands", "runner_serve"))
    languages = commands.add_parser(
        "languages",
        help="list the languages this host can run, and why not",
        description="Each language of the catalogue and the sandbox: the toolchain found (its "
        "version) or what is missing or too old, capabilities that are missing, and whether "
        "its prebuilt artefacts are ready. Toolchains are looked for on the system and in "
        "$HANDYMAN_TOOLCHAINS (default /opt/handyman/toolchains).",
    )
    languages.add_argument("--json", action="store_true", help="print JSON")
    languages.set_defaults(handler=LazyCommand("handyman_cli.runner_languages", "runner_languages"))
    prepare = commands.add_parser(
        "prepare",
        help="build the languages' read-only artefacts now",
        description="Builds what each available language runs with (C++ modules, a warm Go "
        "build cache) into $HANDYMAN_SANDBOX_ARTEFACTS (default: a cache directory); a service "
        "would otherwise build them in the background when it starts.",
    )
    prepare.add_argument(
        "--bwrap", metavar="PATH", default=None, help="the bubblewrap program (default: on PATH)"
    )
    prepare.set_defaults(handler=LazyCommand("handyman_cli.runner_languages", "runner_prepare"))


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return value


def _not_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text} is not a number") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"{text} is not a number of seconds")
    return value
