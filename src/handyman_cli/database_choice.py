"""Which database a command uses: `--database-url`, else HANDYMAN_DATABASE_URL, else the
per-user SQLite file.

`resolve_database_url` gives the SQLAlchemy location every command builds an engine from;
`resolve_driver_location` the same database for a command that talks to the driver alone
(`import-courses`), or None when the URL is one only SQLAlchemy reads. Neither module-level
import loads SQLAlchemy, so that such a command never does.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from handyman_store.database_location import (
    DriverLocation,
    default_sqlite_path,
    driver_location,
    sqlite_location,
)

if TYPE_CHECKING:
    from handyman_store.database import DatabaseUrl


def resolve_database_url(value: str | None, *, announce: bool = True) -> DatabaseUrl:
    from handyman_store.database import DatabaseUrl, default_database_url  # noqa: PLC0415

    url = DatabaseUrl.parse(value) if value else default_database_url()
    if url.sqlite_path is not None:
        url.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    if announce:
        _announce(str(url))
    return url


def resolve_driver_location(value: str | None, *, announce: bool = True) -> DriverLocation | None:
    """The database as the driver reaches it; None (and nothing announced) when `value` is a
    URL only `resolve_database_url` reads. A SQLite file's folder is not created here: the
    caller creates it when it is about to write."""
    location = driver_location(value) if value else sqlite_location(default_sqlite_path())
    if location is not None and announce:
        _announce(location.display)
    return location


def _announce(database: str) -> None:
    print(f"database: {database}", file=sys.stderr)
