"""PostgreSQL advisory-lock keys: negative for process-wide jobs, positive user ids for users.
Run admissions lock in the two-key space, apart from these (migration 0006)."""

CATALOGUE_IMPORT_LOCK_KEY = -1
MIGRATION_LOCK_KEY = -2
