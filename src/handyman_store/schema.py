"""Tables, as SQLAlchemy Core metadata. Alembic migrations (handyman_store/migrations) create them;
this module is what queries are written against.

Progress rows carry the chapter/course ids derived from the item id by the id grammar, so per-course
and per-chapter reads are plain index lookups instead of the original's `LIKE` prefix scans.
Catalogue rows are never deleted: items gone from the folder are marked retired.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    false,
    text,
)

from handyman_core.run_lifecycle import RunStatus
from handyman_core.segment_history import Operation
from handyman_core.status import Status, StatusLike, stored_statuses

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ID = String(128)
STATUS = String(16)


def stored_status_check(statuses: Iterable[StatusLike] = Status) -> str:
    """The CHECK of every progress table's status column: the statuses a row may hold."""
    return "status IN (" + ", ".join(f"'{s.value}'" for s in stored_statuses(statuses)) + ")"


STORED_STATUS_CHECK = stored_status_check()


def _content_columns() -> list[Column[object]]:
    return [
        Column("content_hash", String(64), nullable=False),
        Column("retired", Boolean, nullable=False, server_default=false()),
    ]


catalogue_state = Table(
    "catalogue_state",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("source", Text, nullable=False),
    Column("imported_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("id = 1", name="single_row"),
)
"""One row; `version` grows with every import that changed something, so workers can notice it."""

courses = Table(
    "courses",
    metadata,
    Column("course_id", ID, primary_key=True),
    Column("title", Text, nullable=False),
    Column("tags", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("wrapper_run_fallback", Text),
    Column("wrapper_test_fallback", Text),
    Column("wrapper_playground_fallback", Text),
    *_content_columns(),
)

chapters = Table(
    "chapters",
    metadata,
    Column("chapter_id", ID, primary_key=True),
    Column("course_id", ID, ForeignKey("courses.course_id"), nullable=False, index=True),
    Column("title", Text, nullable=False),
    Column("text", Text, nullable=False),
    *_content_columns(),
)

tasks = Table(
    "tasks",
    metadata,
    Column("task_id", ID, primary_key=True),
    Column("chapter_id", ID, ForeignKey("chapters.chapter_id"), nullable=False, index=True),
    Column("wrapper_test", Text),
    Column("wrapper_run", Text),
    Column("wrapper_playground", Text),
    *_content_columns(),
)

examples = Table(
    "examples",
    metadata,
    Column("chapter_id", ID, ForeignKey("chapters.chapter_id"), primary_key=True),
    Column("example_id", ID, primary_key=True),
    Column("wrapper_test", Text),
    Column("wrapper_run", Text),
    Column("wrapper_playground", Text),
    *_content_columns(),
)

practice_projects = Table(
    "practice_projects",
    metadata,
    Column("project_id", ID, primary_key=True),
    Column("course_id", ID, ForeignKey("courses.course_id"), nullable=False, index=True),
    Column("chapter_id", ID, nullable=False),
    Column("title", Text, nullable=False),
    Column("main_file", Text, nullable=False),
    Column("default_cmd_line_args", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("hint", Text, nullable=False),
    Column("files", Text, nullable=False),
    *_content_columns(),
)
"""`files` is a JSON array of {"path", "contents"}: the project's starting tree."""

course_progress = Table(
    "course_progress",
    metadata,
    Column("user_id", BigInteger, primary_key=True),
    Column("course_id", ID, ForeignKey("courses.course_id"), primary_key=True),
    Column("status", STATUS, nullable=False),
    CheckConstraint(STORED_STATUS_CHECK, name="stored_status"),
)

chapter_progress = Table(
    "chapter_progress",
    metadata,
    Column("user_id", BigInteger, primary_key=True),
    Column("chapter_id", ID, ForeignKey("chapters.chapter_id"), primary_key=True),
    Column("course_id", ID, nullable=False),
    Column("status", STATUS, nullable=False),
    CheckConstraint(STORED_STATUS_CHECK, name="stored_status"),
    Index(None, "user_id", "course_id"),
)

task_progress = Table(
    "task_progress",
    metadata,
    Column("user_id", BigInteger, primary_key=True),
    Column("task_id", ID, ForeignKey("tasks.task_id"), primary_key=True),
    Column("chapter_id", ID, nullable=False),
    Column("course_id", ID, nullable=False),
    Column("status", STATUS, nullable=False),
    Column("solution_text", Text, nullable=False),
    Column("attempts_count", Integer, nullable=False, server_default="0"),
    CheckConstraint(STORED_STATUS_CHECK, name="stored_status"),
    Index(None, "user_id", "chapter_id"),
    Index(None, "user_id", "course_id"),
)

practice_progress = Table(
    "practice_progress",
    metadata,
    Column("user_id", BigInteger, primary_key=True),
    Column("project_id", ID, ForeignKey("practice_projects.project_id"), primary_key=True),
    Column("course_id", ID, nullable=False),
    Column("status", STATUS, nullable=False),
    Column("solution_text", Text, nullable=False),
    Column("attempts_count", Integer, nullable=False, server_default="0"),
    CheckConstraint(STORED_STATUS_CHECK, name="stored_status"),
    Index(None, "user_id", "course_id"),
)

attempts = Table(
    "attempts",
    metadata,
    Column(
        "attempt_id",
        BigInteger().with_variant(Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    Column("user_id", BigInteger, nullable=False),
    Column("original_user_id", BigInteger, nullable=False),
    Column("item_kind", String(8), nullable=False),
    Column("item_id", ID, nullable=False),
    Column("course_id", ID, nullable=False),
    Column("code", Text, nullable=False),
    Column("verdict", String(16), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("duration_ms", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("item_kind IN ('task', 'project')", name="item_kind"),
    Index(None, "user_id", "created_at"),
    Index(None, "course_id", "created_at"),
)
"""One row per run that produced a verdict; `original_user_id` survives merges for audit."""

playgrounds = Table(
    "playgrounds",
    metadata,
    Column("playground_id", ID, primary_key=True),
    Column("lang_id", String(32), nullable=False),
    Column("user_id", BigInteger),
    Column("user_code", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_request_at", DateTime(timezone=True), nullable=False),
)

RUN_STATUS_CHECK = "status IN (" + ", ".join(f"'{status.value}'" for status in RunStatus) + ")"

runs = Table(
    "runs",
    metadata,
    Column("run_id", String(32), primary_key=True),
    Column("owner", BigInteger),
    Column("language", String(16), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("item_id", ID),
    Column("status", STATUS, nullable=False),
    Column("verdict", String(16)),
    Column("status_code", Integer),
    Column("user_code_output", Text, nullable=False),
    Column("tests_output", Text, nullable=False),
    Column("output_truncated", Boolean, nullable=False),
    Column("stop_requested", Boolean, nullable=False),
    Column("detail", Text),
    Column("host_id", String(255), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("started_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
    Column("heartbeat_at", DateTime(timezone=True), nullable=False),
    CheckConstraint(RUN_STATUS_CHECK, name="run_status"),
    Index(None, "owner", "created_at"),
    Index(None, "created_at"),
    Index(None, "status", "heartbeat_at"),
)
"""Every execution, from the site's runs to the API's scripts. The state lives here, not in a
worker's memory, so any worker of any host can show a run or ask for it to be stopped; the
worker running it writes its output and `heartbeat_at` while it runs, and reads
`stop_requested`. `detail` says why a run ended without a verdict (or was stopped)."""

SEGMENT_OPERATION_CHECK = "operation IN ({})".format(
    ", ".join(f"'{operation.value}'" for operation in Operation)
)

segments = Table(
    "segments",
    metadata,
    Column("segment_id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, index=True),
    Column("description", Text, nullable=False),
    Column("percentage", Integer, nullable=False),
    Column("salt", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("deleted_at", DateTime(timezone=True)),
    CheckConstraint("percentage BETWEEN 0 AND 10000", name="percentage_hundredths"),
    Index(
        "uq_segments_live_name",
        "name",
        unique=True,
        postgresql_where=text("deleted_at IS NULL"),
        sqlite_where=text("deleted_at IS NULL"),
    ),
)
"""Never deleted: a deleted segment keeps its row (flagged by `deleted_at`) and its history, and
only one live segment may bear a name. `percentage` is in hundredths (0..10000)."""

segment_memberships = Table(
    "segment_memberships",
    metadata,
    Column("user_id", BigInteger, primary_key=True),
    Column("segment_id", Integer, ForeignKey("segments.segment_id"), primary_key=True),
    Column("state", String(8), nullable=False),
    Column("since", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True)),
    CheckConstraint("state IN ('included', 'excluded')", name="state"),
    CheckConstraint("state = 'included' OR expires_at IS NULL", name="exclusion_never_expires"),
    Index(None, "segment_id", "state", "expires_at"),
    Index(
        "ix_segment_memberships_expiring",
        "expires_at",
        postgresql_where=text("expires_at IS NOT NULL"),
        sqlite_where=text("expires_at IS NOT NULL"),
    ),
)
"""A user's explicit state in a live segment; no row means the rollout decides. An inclusion
past its `expires_at` is over at once, row or not; the row goes when its end is logged."""

segment_events = Table(
    "segment_events",
    metadata,
    Column(
        "event_id",
        BigInteger().with_variant(Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    Column("segment_id", Integer, ForeignKey("segments.segment_id"), nullable=False),
    Column("user_id", BigInteger),
    Column("operation", String(8), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("percentage", Integer),
    CheckConstraint(SEGMENT_OPERATION_CHECK, name="operation"),
    CheckConstraint("(user_id IS NULL) = (percentage IS NOT NULL)", name="segment_level"),
    Index(None, "at"),
    Index(
        "ix_segment_events_rollouts",
        "segment_id",
        "at",
        postgresql_where=text("user_id IS NULL"),
        sqlite_where=text("user_id IS NULL"),
    ),
)
"""The membership history (see handyman_core.segment_history): user events, and segment-level
events (no user id) carrying the new percentage."""
