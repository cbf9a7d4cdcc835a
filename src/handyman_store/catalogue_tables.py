"""Which tables hold the catalogue, and their columns: keys first, then the item's content, then
the import's bookkeeping (`content_hash`, `retired`).

Named here as plain strings, apart from both the schema (SQLAlchemy) and the catalogue model,
so that recognising an unchanged folder (`catalogue_recognition`) loads neither;
`catalogue_rows` maps items to these columns and `tests/store/test_catalogue_rows.py` holds the
names to `schema`'s tables.
"""

from __future__ import annotations

from attrs import frozen

BOOKKEEPING_COLUMNS = ("content_hash", "retired")


@frozen
class CatalogueTable:
    kind: str
    """The kind of item, as `Catalogue` names the field that holds them."""
    name: str
    key_columns: tuple[str, ...]
    content_columns: tuple[str, ...]
    """Every column the item's content fills, keys and bookkeeping excluded."""

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column, in the order of the import's rows: keys, content, bookkeeping."""
        return (*self.key_columns, *self.content_columns, *BOOKKEEPING_COLUMNS)


_WRAPPERS = ("wrapper_test", "wrapper_run", "wrapper_playground")

COURSES = CatalogueTable(
    "courses",
    "courses",
    ("course_id",),
    (
        "title",
        "tags",
        "description",
        "wrapper_run_fallback",
        "wrapper_test_fallback",
        "wrapper_playground_fallback",
    ),
)
CHAPTERS = CatalogueTable("chapters", "chapters", ("chapter_id",), ("course_id", "title", "text"))
TASKS = CatalogueTable("tasks", "tasks", ("task_id",), ("chapter_id", *_WRAPPERS))
EXAMPLES = CatalogueTable("examples", "examples", ("chapter_id", "example_id"), _WRAPPERS)
PROJECTS = CatalogueTable(
    "projects",
    "practice_projects",
    ("project_id",),
    (
        "course_id",
        "chapter_id",
        "title",
        "main_file",
        "default_cmd_line_args",
        "text",
        "hint",
        "files",
    ),
)

TABLES: tuple[CatalogueTable, ...] = (COURSES, CHAPTERS, TASKS, EXAMPLES, PROJECTS)
"""In foreign-key order: a kind's parents come before it."""
