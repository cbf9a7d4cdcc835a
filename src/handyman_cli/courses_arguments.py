"""The arguments of `handyman import-courses` and `check-courses`, apart from the commands
(`courses_commands`), which import rich and the store."""

from __future__ import annotations

import argparse

from handyman_cli.database_option import add_database_option
from handyman_cli.lazy_command import LazyCommand


def add_import_command(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", metavar="DIR")
    parser.add_argument("--dry-run", action="store_true", help="report, write nothing")
    add_database_option(parser)
    parser.set_defaults(handler=LazyCommand("handyman_cli.courses_commands", "import_courses"))


def add_check_command(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", metavar="DIR")
    parser.set_defaults(handler=LazyCommand("handyman_cli.courses_commands", "check_courses"))
