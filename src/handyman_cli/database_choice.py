"""Which database a command uses: `--database-url`, else HANDYMAN_DATABASE_URL, else the
per-user SQLite file."""

from __future__ import annotations

import sys

from handyman_store.database import DatabaseUrl, default_database_url


def resolve_database_url(value: str | None, *, announce: bool = True) -> DatabaseUrl:
    url = DatabaseUrl.parse(value) if value else default_database_url()
    if url.sqlite_path is not None:
        url.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    if announce:
        print(f"database: {url}", file=sys.stderr)
    return url
