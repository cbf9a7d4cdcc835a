"""`handyman segments expire`: log the end of every segment membership that has expired.

Membership never waits for it (expiry is evaluated whenever membership is read); running it
periodically, e.g. from cron or a systemd timer, keeps the history table complete and the
membership table small. It is idempotent and safe beside a serving Handyman.
"""

from __future__ import annotations

import argparse
import sys

from handyman_cli.database_choice import resolve_database_url
from handyman_service.context import utc_now
from handyman_store.database import create_engine
from handyman_store.schema_version import upgrade_if_behind
from handyman_store.store import Store


def expire_segments(args: argparse.Namespace) -> int:
    engine = create_engine(resolve_database_url(args.database_url))
    try:
        upgrade_if_behind(engine)
        settled = Store(engine).expire_memberships(now=utc_now())
    finally:
        engine.dispose()
    print(f"{settled} expired segment memberships logged", file=sys.stderr)
    return 0
