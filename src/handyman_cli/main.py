"""The `handyman` command line: serve, import and check course folders, migrate, run a runner,
expire segment memberships.

Only the command being run gets its arguments: each command's are added by a function named
in `COMMANDS` and imported when that command is parsed, so that `handyman --help`, and a
command such as `import-courses` whose whole run takes a few hundred milliseconds, never pay
for importing what the other commands' arguments need (the runner registry, attrs, the HTTP
settings)."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from typing import NamedTuple

from handyman_core.errors import HandymanError

Handler = Callable[[argparse.Namespace], int]


class Command(NamedTuple):
    name: str
    help: str
    arguments: str
    """`module:function` that adds the command's arguments and its `handler` to its parser."""

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        module, function = self.arguments.split(":")
        getattr(importlib.import_module(module), function)(parser)


COMMANDS = (
    Command(
        "serve",
        "run the HTTP service under gunicorn",
        "handyman_cli.serve_arguments:add_serve_command",
    ),
    Command(
        "import-courses",
        "import a course folder",
        "handyman_cli.courses_arguments:add_import_command",
    ),
    Command(
        "check-courses",
        "validate a course folder, no database",
        "handyman_cli.courses_arguments:add_check_command",
    ),
    Command(
        "runner",
        "this host's sandbox as a runner for other hosts",
        "handyman_cli.runner_arguments:add_runner_arguments",
    ),
    Command(
        "clients",
        "statistics API clients and their keys",
        "handyman_cli.stats_arguments:add_clients_commands",
    ),
    Command(
        "stats",
        "learning analytics: pull, aggregate, export",
        "handyman_cli.stats_arguments:add_stats_commands",
    ),
    Command(
        "segments",
        "user segments maintenance",
        "handyman_cli.maintenance_arguments:add_segments_commands",
    ),
    Command("db", "database maintenance", "handyman_cli.maintenance_arguments:add_db_commands"),
)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser for `argv`: with the arguments of the command it names, or of none when it
    names no command (the listing of `handyman --help` needs none, and an unknown command is
    refused before any would be read). Without `argv`, every command's arguments."""
    parser = argparse.ArgumentParser(
        prog="handyman", description="Backend for interactive programming courses."
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command_parser = subparsers.add_parser(command.name, help=command.help)
        if argv is None or (len(argv) > 0 and argv[0] == command.name):
            command.add_arguments(command_parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    args = build_parser(arguments).parse_args(arguments)
    handler: Handler = args.handler
    try:
        return handler(args)
    except HandymanError as error:
        print(f"handyman: {error.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
