"""The arguments of `handyman clients ...` and `handyman stats ...`, apart from the commands
(`clients_commands`, `stats_commands`), so that the command line is built without importing
the store, the HTTP client or the exporters."""

from __future__ import annotations

import argparse
import os

from handyman_cli.database_option import add_database_option
from handyman_cli.lazy_command import LazyCommand

CLIENT_KEY_VARIABLE = "HANDYMAN_STATS_CLIENT_KEY"
LOG_DIR_VARIABLE = "HANDYMAN_LOG_DIR"


def add_clients_commands(clients: argparse.ArgumentParser) -> None:
    client_commands = clients.add_subparsers(dest="clients_command", required=True)

    adder = client_commands.add_parser("add", help="add a client and print its key once")
    adder.add_argument("name", metavar="NAME")
    adder.add_argument(
        "--consumer-key",
        action="append",
        default=[],
        metavar="K",
        help="an LMS oauth_consumer_key whose attempts the client sees (repeatable); "
        "without any, the client sees every attempt",
    )
    add_database_option(adder)
    adder.set_defaults(handler=_clients("add_client_command"))

    lister = client_commands.add_parser("list", help="list the clients (never their keys)")
    add_database_option(lister)
    lister.set_defaults(handler=_clients("list_clients_command"))

    remover = client_commands.add_parser("remove", help="remove a client; its key stops working")
    remover.add_argument("name", metavar="NAME")
    add_database_option(remover)
    remover.set_defaults(handler=_clients("remove_client_command"))


def add_stats_commands(stats: argparse.ArgumentParser) -> None:
    stats_commands = stats.add_subparsers(dest="stats_command", required=True)

    puller = stats_commands.add_parser("pull", help="load attempts from a statistics API")
    _add_source_options(puller)
    puller.add_argument("--start", required=True, help="window start (included)")
    puller.add_argument("--end", required=True, help="window end (excluded)")
    _add_common_options(puller)
    puller.set_defaults(handler=_stats("pull_command"))

    daily = stats_commands.add_parser("daily", help="compute, store and export daily figures")
    _add_day_options(daily)
    daily.add_argument("--from", dest="first", metavar="D1", help="first day (YYYY-MM-DD)")
    daily.add_argument("--to", dest="last", metavar="D2", help="last day, included")
    _add_common_options(daily)
    daily.set_defaults(handler=_stats("daily_command"))

    run_daily = stats_commands.add_parser(
        "run-daily", help="pull yesterday, compute it, export it, e-mail the summary"
    )
    _add_source_options(run_daily)
    _add_day_options(run_daily)
    _add_common_options(run_daily)
    run_daily.set_defaults(handler=_stats("run_daily_command"))


def _clients(function: str) -> LazyCommand:
    return LazyCommand("handyman_cli.clients_commands", function)


def _stats(function: str) -> LazyCommand:
    return LazyCommand("handyman_cli.stats_commands", function)


def _add_source_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", metavar="URL", help="the statistics API ([stats.source] url)")
    parser.add_argument("--client", help="the client name ([stats.source] client)")
    parser.add_argument(
        "--client-key",
        default=os.environ.get(CLIENT_KEY_VARIABLE),
        help=f"the client's key (default: ${CLIENT_KEY_VARIABLE}; prefer it to the command line)",
    )
    parser.add_argument("--page-size", type=int, help="records per request (`limit`)")


def _add_day_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--date", metavar="D", help="the day (default: yesterday)")
    parser.add_argument("--time-zone", help="the zone days are cut in ([stats] time_zone)")
    parser.add_argument("--no-export", action="store_true", help="skip exports and e-mail")


def _add_common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="TOML configuration file (default: $HANDYMAN_CONFIG)")
    parser.add_argument(
        "--log-dir",
        default=os.environ.get(LOG_DIR_VARIABLE),
        help=f"where the dated log files go (default: ${LOG_DIR_VARIABLE}, else logs/ in the "
        "per-user data directory)",
    )
    add_database_option(parser)
