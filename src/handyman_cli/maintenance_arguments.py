"""The arguments of `handyman db ...` and `handyman segments ...`: the periodic and deploy-time
maintenance of the database, apart from the commands themselves."""

from __future__ import annotations

import argparse

from handyman_cli.database_option import add_database_option
from handyman_cli.lazy_command import LazyCommand


def add_db_commands(database: argparse.ArgumentParser) -> None:
    database_commands = database.add_subparsers(dest="db_command", required=True)
    upgrade = database_commands.add_parser("upgrade", help="apply schema migrations")
    add_database_option(upgrade)
    upgrade.set_defaults(handler=LazyCommand("handyman_cli.db_commands", "db_upgrade"))


def add_segments_commands(segments: argparse.ArgumentParser) -> None:
    segment_commands = segments.add_subparsers(dest="segments_command", required=True)
    expire = segment_commands.add_parser(
        "expire", help="log the end of expired memberships (idempotent; run periodically)"
    )
    add_database_option(expire)
    expire.set_defaults(handler=LazyCommand("handyman_cli.segments_commands", "expire_segments"))
