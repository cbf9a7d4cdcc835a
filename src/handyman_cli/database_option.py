"""`--database-url` / HANDYMAN_DATABASE_URL, shared by every command that touches the database."""

from __future__ import annotations

import argparse
import os
import sys

from handyman_store.database import DatabaseUrl, default_database_url

ENVIRONMENT_VARIABLE = "HANDYMAN_DATABASE_URL"


def add_database_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database-url",
        default=os.environ.get(ENVIRONMENT_VARIABLE),
        help="postgresql://user:password@host:port/dbname or sqlite:///path/to/file "
        f"(default: ${ENVIRONMENT_VARIABLE}, else a SQLite file in your data directory)",
    )


def resolve_database_url(value: str | None, *, announce: bool = True) -> DatabaseUrl:
    url = DatabaseUrl.parse(value) if value else default_database_url()
    if url.sqlite_path is not None:
        url.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    if announce:
        print(f"database: {url}", file=sys.stderr)
    return url
