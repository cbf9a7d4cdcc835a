"""`handyman db upgrade`."""

from __future__ import annotations

import argparse
import sys

from handyman_cli.database_choice import resolve_database_url
from handyman_store.database import create_engine
from handyman_store.migrate import upgrade


def db_upgrade(args: argparse.Namespace) -> int:
    engine = create_engine(resolve_database_url(args.database_url))
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    print("the database schema is up to date", file=sys.stderr)
    return 0
