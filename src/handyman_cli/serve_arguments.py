"""The arguments of `handyman serve`, apart from the command itself (which imports gunicorn and
the whole service), so that the command line is built without importing either."""

from __future__ import annotations

import argparse
import os

from handyman_cli.database_option import add_database_option
from handyman_cli.lazy_command import LazyCommand
from handyman_cli.run_admission import DEFAULT_THREADS
from handyman_cli.runner_registry import DEFAULT_RUNNER, RUNNERS
from handyman_http.settings import ADMIN_NETWORKS_VARIABLE
from handyman_http.trusted_networks import InvalidNetworks, TrustedNetworks


def default_workers() -> int:
    return max(2, min(8, (os.cpu_count() or 1) * 2))


def add_serve_command(parser: argparse.ArgumentParser) -> None:
    add_serve_arguments(parser)
    add_database_option(parser)
    parser.set_defaults(handler=LazyCommand("handyman_cli.serve", "serve"))


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument(
        "--threads",
        type=int,
        default=DEFAULT_THREADS,
        help="threads per worker; runs may take all but a quarter of them (at least 2 stay for "
        "reads)",
    )
    parser.add_argument("--courses", metavar="DIR", help="import this course folder on start")
    parser.add_argument("--no-migrate", action="store_true", help="do not upgrade the schema")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="fresh SQLite database with the bundled example course and a printed admin token",
    )
    parser.add_argument("--runner", choices=tuple(RUNNERS), default=DEFAULT_RUNNER)
    parser.add_argument(
        "--watchman-url",
        action="append",
        default=[],
        metavar="URL",
        help="base URL of a remote runner (repeatable; with --runner remote)",
    )
    parser.add_argument(
        "--admin-networks",
        type=_checked_networks,
        metavar="CIDRS",
        help="callers from these networks (space- or comma-separated CIDRs, e.g. "
        "'10.0.0.0/8 ::1/128') may use merge_users/split_users without the admin token; "
        f"default: {ADMIN_NETWORKS_VARIABLE}, else none",
    )
    parser.add_argument("--access-log", action="store_true", help="log every request")


def _checked_networks(text: str) -> str:
    try:
        TrustedNetworks.parse(text)
    except InvalidNetworks as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text
