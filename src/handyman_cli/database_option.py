"""`--database-url` / HANDYMAN_DATABASE_URL, shared by every command that touches the database."""

from __future__ import annotations

import argparse
import os

ENVIRONMENT_VARIABLE = "HANDYMAN_DATABASE_URL"


def add_database_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database-url",
        default=os.environ.get(ENVIRONMENT_VARIABLE),
        help="postgresql://user:password@host:port/dbname or sqlite:///path/to/file "
        f"(default: ${ENVIRONMENT_VARIABLE}, else a SQLite file in your data directory)",
    )
