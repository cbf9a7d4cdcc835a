"""PostgreSQL keeps chapter texts and practice project files out of line but uncompressed.

They are the catalogue's large values (a chapter text is about 14 kB, a project's files about 23
kB): compressed with pglz, writing the real catalogue's 155 chapters took 67 ms (17 ms
uncompressed), more than every other write of a full import together, and each worker
decompressed them again to load its snapshot. Two megabytes more on disk buys that back. Only
rows written after this revision change; SQLite has no such setting.
`tests/store/test_migrations.py` checks the storage on PostgreSQL.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNCOMPRESSED = (("chapters", "text"), ("practice_projects", "files"))


def upgrade() -> None:
    _set_storage("EXTERNAL")


def downgrade() -> None:
    _set_storage("EXTENDED")


def _set_storage(storage: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in UNCOMPRESSED:
        op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET STORAGE {storage}")
