"""Run admission in one statement: `handyman_runs_going(owner, heard_since, statuses)` on
PostgreSQL.

A run is admitted by one conditional INSERT that counts its owner's runs going
(`store.run_log._create_within_allowance`). At READ COMMITTED a statement counts in the snapshot
taken when it starts, so two admissions of one owner racing could both see a place left. This
function takes the owner's transaction-scoped advisory lock (two-key form, class RUN_ADMISSION:
a key space apart from the one-key locks of users and jobs; held until the admitting statement
commits) and only then counts: a volatile function takes a fresh snapshot for each query it
runs, so the count sees every admission committed before the lock was granted. The statuses to
count are the caller's (the core's active statuses), so no rule of the core is frozen here.

SQLite needs nothing: its INSERT holds the database's one write lock while it counts.

Revision ID: 0006
Revises: 0004
Create Date: 2027-01-12
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RUN_ADMISSION = 1383427699
"""The advisory-lock class of run admissions ('Runs' in ASCII)."""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"""
        CREATE FUNCTION handyman_runs_going(
            owner_id BIGINT, heard_since TIMESTAMP WITH TIME ZONE, statuses TEXT[]
        ) RETURNS BIGINT LANGUAGE plpgsql VOLATILE AS $$
        BEGIN
            PERFORM pg_advisory_xact_lock({RUN_ADMISSION}, (owner_id % 2147483648)::INTEGER);
            RETURN (
                SELECT count(*) FROM runs
                WHERE owner = owner_id AND status = ANY (statuses)
                    AND heartbeat_at >= heard_since
            );
        END
        $$
        """
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION handyman_runs_going(BIGINT, TIMESTAMP WITH TIME ZONE, TEXT[])")
