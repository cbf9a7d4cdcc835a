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
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
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
    Column("folder_digest", String(64)),
    Column("folder_warnings", Text),
    Column("gating_segments", Text),
    CheckConstraint("id = 1", name="single_row"),
)
"""One row; `version` grows with every import that changed something, so workers can notice it.

`folder_digest` is the digest (`course_folder_snapshot`) of the course folder the live catalogue
was read from, NULL when it came from elsewhere; with it, the reading's warnings and the
segments its courses are gated by (JSON arrays of strings), so that an import of the same
folder can answer without parsing it (`catalogue_recognition`). Every import that writes the
catalogue writes all three."""

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
"""On PostgreSQL `text` is stored out of line uncompressed (`SET STORAGE EXTERNAL`, revision
0008; SQLAlchemy's metadata has no word for it): pglz made writing it the slowest part of an
import."""

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
"""`files` is a JSON array of {"path", "contents"}: the project's starting tree, stored
uncompressed on PostgreSQL like chapter texts (revision 0008)."""

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

ATTEMPT_TYPE_CHECK = "attempt_type IN ('submit', 'run')"
JUDGED_CHECK = (
    "(attempt_type = 'submit' AND is_correct IS NOT NULL) "
    "OR (attempt_type = 'run' AND is_correct IS NULL)"
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
    Column("item_kind", String(16), nullable=False),
    Column("item_id", ID, nullable=False),
    Column("course_id", ID),
    Column("code", Text, nullable=False),
    Column("verdict", String(16), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("duration_ms", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("attempt_type", String(8), nullable=False),
    Column("is_correct", Boolean),
    Column("lti_consumer_key", String(255)),
    Column("lti_result_sourcedid", Text),
    Column("lti_outcome_service_url", Text),
    Column("lms_user_id", String(255)),
    CheckConstraint("item_kind IN ('task', 'project', 'playground')", name="item_kind"),
    CheckConstraint(ATTEMPT_TYPE_CHECK, name="attempt_type"),
    CheckConstraint(JUDGED_CHECK, name="judged"),
    Index(None, "user_id", "created_at"),
    Index(None, "course_id", "created_at"),
    Index(None, "created_at", "attempt_id"),
    Index(None, "lti_consumer_key", "created_at", "attempt_id"),
)
"""One row per run that produced a verdict; `original_user_id` survives merges for audit.
`lti_*` and `lms_user_id` are the LMS's passback parameters, when it sent them; the two
(created_at, attempt_id) indexes serve the statistics API's time-ordered pages, for every
attempt and per LMS. Playground runs belong to no course (`course_id` null)."""

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

statistics_clients = Table(
    "statistics_clients",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("key_hash", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
"""Who may read the statistics API. Only the SHA-256 of a key is kept (see core.client_keys)."""

statistics_client_consumer_keys = Table(
    "statistics_client_consumer_keys",
    metadata,
    Column(
        "client_name",
        String(64),
        ForeignKey("statistics_clients.name", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("consumer_key", String(255), primary_key=True),
)
"""The LMS consumer keys a client sees; a client with none sees every attempt."""

analytics_attempts = Table(
    "analytics_attempts",
    metadata,
    Column("oauth_consumer_key", String(255), primary_key=True),
    Column("user_id", String(255), primary_key=True),
    Column("created_at", DateTime(timezone=True), primary_key=True),
    Column("lis_result_sourcedid", Text),
    Column("lis_outcome_service_url", Text),
    Column("is_correct", SmallInteger),
    Column("attempt_type", String(8), nullable=False),
    Column("task_id", ID),
    Column("course_id", ID),
    Column("source_attempt_id", BigInteger),
    Column("loaded_at", DateTime(timezone=True), nullable=False),
    CheckConstraint(ATTEMPT_TYPE_CHECK, name="attempt_type"),
    CheckConstraint(JUDGED_CHECK, name="judged"),
    CheckConstraint("is_correct IN (0, 1)", name="is_correct"),
    Index(None, "created_at"),
)
"""What `handyman stats pull` loads: the seed's table (user_id, oauth_consumer_key,
lis_result_sourcedid, lis_outcome_service_url, is_correct, attempt_type, created_at) keyed by
its natural key, plus the ids a Handyman source adds. `oauth_consumer_key` is "" for attempts
made outside any LMS."""


def _daily_key() -> list[Column[object]]:
    return [
        Column("day", Date, primary_key=True),
        Column("client", String(255), primary_key=True),
    ]


def _daily_counts() -> list[Column[object]]:
    return [
        Column("attempts", Integer, nullable=False),
        Column("submits", Integer, nullable=False),
        Column("correct", Integer, nullable=False),
        Column("success_rate", Float),
    ]


daily_client_stats = Table(
    "daily_client_stats",
    metadata,
    *_daily_key(),
    Column("time_zone", String(64), nullable=False),
    *_daily_counts(),
    Column("runs", Integer, nullable=False),
    Column("unique_users", Integer, nullable=False),
    Column("unique_tasks", Integer, nullable=False),
    Column("computed_at", DateTime(timezone=True), nullable=False),
)
"""A day's figures per LMS client (`client` is the oauth_consumer_key); the day is a calendar
day in `time_zone`. Re-running a day replaces its rows in all three daily tables."""

daily_course_stats = Table(
    "daily_course_stats",
    metadata,
    *_daily_key(),
    Column("course_id", ID, primary_key=True),
    *_daily_counts(),
    Column("solvers", Integer, nullable=False),
    Column("median_attempts_to_success", Float),
)

daily_task_stats = Table(
    "daily_task_stats",
    metadata,
    *_daily_key(),
    Column("task_id", String(2048), primary_key=True),
    Column("course_id", ID, nullable=False),
    *_daily_counts(),
    Column("solvers", Integer, nullable=False),
    Column("median_attempts_to_success", Float),
)
"""`task_id` is the Handyman task id, or the LMS block (lis_result_sourcedid) when the source
did not say which task; `course_id` is "" when unknown."""
