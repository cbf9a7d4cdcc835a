"""The `handyman` command line: serve, import and check course folders, migrate, run a runner,
expire segment memberships."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from handyman_cli.database_option import add_database_option
from handyman_cli.lazy_command import LazyCommand
from handyman_cli.runner_arguments import add_runner_arguments
from handyman_cli.serve_arguments import add_serve_arguments
from handyman_cli.stats_arguments import add_clients_commands, add_stats_commands
from handyman_core.errors import HandymanError

Command = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="handyman", description="Backend for interactive programming courses."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve_parser = commands.add_parser("serve", help="run the HTTP service under gunicorn")
    add_serve_arguments(serve_parser)
    add_database_option(serve_parser)
    serve_parser.set_defaults(handler=LazyCommand("handyman_cli.serve", "serve"))

    importer = commands.add_parser("import-courses", help="import a course folder")
    importer.add_argument("directory", metavar="DIR")
    importer.add_argument("--dry-run", action="store_true", help="report, write nothing")
    add_database_option(importer)
    importer.set_defaults(handler=LazyCommand("handyman_cli.courses_commands", "import_courses"))

    checker = commands.add_parser("check-courses", help="validate a course folder, no database")
    checker.add_argument("directory", metavar="DIR")
    checker.set_defaults(handler=LazyCommand("handyman_cli.courses_commands", "check_courses"))

    runner = commands.add_parser("runner", help="this host's sandbox as a runner for other hosts")
    add_runner_arguments(runner)

    add_clients_commands(commands)
    add_stats_commands(commands)

    segments = commands.add_parser("segments", help="user segments maintenance")
    segment_commands = segments.add_subparsers(dest="segments_command", required=True)
    expire = segment_commands.add_parser(
        "expire", help="log the end of expired memberships (idempotent; run periodically)"
    )
    add_database_option(expire)
    expire.set_defaults(handler=LazyCommand("handyman_cli.segments_commands", "expire_segments"))

    database = commands.add_parser("db", help="database maintenance")
    database_commands = database.add_subparsers(dest="db_command", required=True)
    upgrade_parser = database_commands.add_parser("upgrade", help="apply schema migrations")
    add_database_option(upgrade_parser)
    upgrade_parser.set_defaults(handler=LazyCommand("handyman_cli.db_commands", "db_upgrade"))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Command = args.handler
    try:
        return handler(args)
    except HandymanError as error:
        print(f"handyman: {error.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
