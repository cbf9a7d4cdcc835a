"""The digest of the course folder the live catalogue was read from, with that reading's
warnings and gating segments: an import of an unchanged folder is recognised without parsing it.

Written by hand to match handyman_store.schema; tests/store/test_migrations.py checks that
autogenerate finds no difference between the two. Existing rows get NULLs: their folder is
unknown, so the next import reads its folder in full and records it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("catalogue_state") as table:
        table.add_column(sa.Column("folder_digest", sa.String(64), nullable=True))
        table.add_column(sa.Column("folder_warnings", sa.Text(), nullable=True))
        table.add_column(sa.Column("gating_segments", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("catalogue_state") as table:
        table.drop_column("gating_segments")
        table.drop_column("folder_warnings")
        table.drop_column("folder_digest")
