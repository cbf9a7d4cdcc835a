"""Initial schema: catalogue, progress, attempts and playground tables.

Written by hand to match handyman_store.schema; tests/store/test_migrations.py checks that
autogenerate finds no difference between the two.

Revision ID: 0001
Revises:
Create Date: 2026-05-20
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(128)
STATUS = sa.String(16)
STORED_STATUS_CHECK = "status IN ('in_progress', 'blocked', 'completed')"


def _content_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("retired", sa.Boolean(), nullable=False, server_default=sa.false()),
    ]


def _stored_status_check(table: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(STORED_STATUS_CHECK, name=op.f(f"ck_{table}_stored_status"))


def upgrade() -> None:
    op.create_table(
        "catalogue_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_catalogue_state_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogue_state")),
    )
    op.create_table(
        "courses",
        sa.Column("course_id", ID, nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("wrapper_run_fallback", sa.Text(), nullable=True),
        sa.Column("wrapper_test_fallback", sa.Text(), nullable=True),
        sa.Column("wrapper_playground_fallback", sa.Text(), nullable=True),
        *_content_columns(),
        sa.PrimaryKeyConstraint("course_id", name=op.f("pk_courses")),
    )
    op.create_table(
        "chapters",
        sa.Column("chapter_id", ID, nullable=False),
        sa.Column("course_id", ID, nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        *_content_columns(),
        sa.ForeignKeyConstraint(
            ["course_id"], ["courses.course_id"], name=op.f("fk_chapters_course_id_courses")
        ),
        sa.PrimaryKeyConstraint("chapter_id", name=op.f("pk_chapters")),
    )
    op.create_index(op.f("ix_chapters_course_id"), "chapters", ["course_id"])
    op.create_table(
        "tasks",
        sa.Column("task_id", ID, nullable=False),
        sa.Column("chapter_id", ID, nullable=False),
        sa.Column("wrapper_test", sa.Text(), nullable=True),
        sa.Column("wrapper_run", sa.Text(), nullable=True),
        sa.Column("wrapper_playground", sa.Text(), nullable=True),
        *_content_columns(),
        sa.ForeignKeyConstraint(
            ["chapter_id"], ["chapters.chapter_id"], name=op.f("fk_tasks_chapter_id_chapters")
        ),
        sa.PrimaryKeyConstraint("task_id", name=op.f("pk_tasks")),
    )
    op.create_index(op.f("ix_tasks_chapter_id"), "tasks", ["chapter_id"])
    op.create_table(
        "examples",
        sa.Column("chapter_id", ID, nullable=False),
        sa.Column("example_id", ID, nullable=False),
        sa.Column("wrapper_test", sa.Text(), nullable=True),
        sa.Column("wrapper_run", sa.Text(), nullable=True),
        sa.Column("wrapper_playground", sa.Text(), nullable=True),
        *_content_columns(),
        sa.ForeignKeyConstraint(
            ["chapter_id"], ["chapters.chapter_id"], name=op.f("fk_examples_chapter_id_chapters")
        ),
        sa.PrimaryKeyConstraint("chapter_id", "example_id", name=op.f("pk_examples")),
    )
    op.create_table(
        "practice_projects",
        sa.Column("project_id", ID, nullable=False),
        sa.Column("course_id", ID, nullable=False),
        sa.Column("chapter_id", ID, nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("main_file", sa.Text(), nullable=False),
        sa.Column("default_cmd_line_args", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("hint", sa.Text(), nullable=False),
        sa.Column("files", sa.Text(), nullable=False),
        *_content_columns(),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.course_id"],
            name=op.f("fk_practice_projects_course_id_courses"),
        ),
        sa.PrimaryKeyConstraint("project_id", name=op.f("pk_practice_projects")),
    )
    op.create_index(op.f("ix_practice_projects_course_id"), "practice_projects", ["course_id"])
    op.create_table(
        "course_progress",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("course_id", ID, nullable=False),
        sa.Column("status", STATUS, nullable=False),
        _stored_status_check("course_progress"),
        sa.ForeignKeyConstraint(
            ["course_id"], ["courses.course_id"], name=op.f("fk_course_progress_course_id_courses")
        ),
        sa.PrimaryKeyConstraint("user_id", "course_id", name=op.f("pk_course_progress")),
    )
    op.create_table(
        "chapter_progress",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("chapter_id", ID, nullable=False),
        sa.Column("course_id", ID, nullable=False),
        sa.Column("status", STATUS, nullable=False),
        _stored_status_check("chapter_progress"),
        sa.ForeignKeyConstraint(
            ["chapter_id"],
            ["chapters.chapter_id"],
            name=op.f("fk_chapter_progress_chapter_id_chapters"),
        ),
        sa.PrimaryKeyConstraint("user_id", "chapter_id", name=op.f("pk_chapter_progress")),
    )
    op.create_index(
        op.f("ix_chapter_progress_user_id_course_id"), "chapter_progress", ["user_id", "course_id"]
    )
    op.create_table(
        "task_progress",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("task_id", ID, nullable=False),
        sa.Column("chapter_id", ID, nullable=False),
        sa.Column("course_id", ID, nullable=False),
        sa.Column("status", STATUS, nullable=False),
        sa.Column("solution_text", sa.Text(), nullable=False),
        sa.Column("attempts_count", sa.Integer(), nullable=False, server_default="0"),
        _stored_status_check("task_progress"),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.task_id"], name=op.f("fk_task_progress_task_id_tasks")
        ),
        sa.PrimaryKeyConstraint("user_id", "task_id", name=op.f("pk_task_progress")),
    )
    op.create_index(
        op.f("ix_task_progress_user_id_chapter_id"), "task_progress", ["user_id", "chapter_id"]
    )
    op.create_index(
        op.f("ix_task_progress_user_id_course_id"), "task_progress", ["user_id", "course_id"]
    )
    op.create_table(
        "practice_progress",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("project_id", ID, nullable=False),
        sa.Column("course_id", ID, nullable=False),
        sa.Column("status", STATUS, nullable=False),
        sa.Column("solution_text", sa.Text(), nullable=False),
        sa.Column("attempts_count", sa.Integer(), nullable=False, server_default="0"),
        _stored_status_check("practice_progress"),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["practice_projects.project_id"],
            name=op.f("fk_practice_progress_project_id_practice_projects"),
        ),
        sa.PrimaryKeyConstraint("user_id", "project_id", name=op.f("pk_practice_progress")),
    )
    op.create_index(
        op.f("ix_practice_progress_user_id_course_id"),
        "practice_progress",
        ["user_id", "course_id"],
    )
    op.create_table(
        "attempts",
        sa.Column(
            "attempt_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("original_user_id", sa.BigInteger(), nullable=False),
        sa.Column("item_kind", sa.String(8), nullable=False),
        sa.Column("item_id", ID, nullable=False),
        sa.Column("course_id", ID, nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("item_kind IN ('task', 'project')", name=op.f("ck_attempts_item_kind")),
        sa.PrimaryKeyConstraint("attempt_id", name=op.f("pk_attempts")),
    )
    op.create_index(op.f("ix_attempts_user_id_created_at"), "attempts", ["user_id", "created_at"])
    op.create_index(
        op.f("ix_attempts_course_id_created_at"), "attempts", ["course_id", "created_at"]
    )
    op.create_table(
        "playgrounds",
        sa.Column("playground_id", ID, nullable=False),
        sa.Column("lang_id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("user_code", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_request_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("playground_id", name=op.f("pk_playgrounds")),
    )


def downgrade() -> None:
    for table in (
        "playgrounds",
        "attempts",
        "practice_progress",
        "task_progress",
        "chapter_progress",
        "course_progress",
        "practice_projects",
        "examples",
        "tasks",
        "chapters",
        "courses",
        "catalogue_state",
    ):
        op.drop_table(table)
