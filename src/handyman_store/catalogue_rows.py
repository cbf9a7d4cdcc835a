"""How each kind of catalogue item maps to a row of its table, and back.

The importer and the snapshot loader share these mappings, so what is written is exactly what is
read. Each row's `content_hash` is the sha256 of its canonical JSON, which lets an import tell
changed items from unchanged ones without comparing texts column by column.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

from attrs import frozen
from sqlalchemy import Table

from handyman_core.catalogue import (
    Catalogue,
    Chapter,
    Course,
    Example,
    PracticeProject,
    ProjectFile,
    Task,
    Wrappers,
)
from handyman_core.ids import ChapterId, CourseId, ExampleId, ProjectId, TaskId
from handyman_store import schema

Row = dict[str, Any]
Key = tuple[str, ...]
Item = TypeVar("Item")


@frozen
class ItemKind(Generic[Item]):
    """One kind of catalogue item: its table, its key columns and its row mapping."""

    name: str
    table: Table
    key_columns: tuple[str, ...]
    items_of: Callable[[Catalogue], tuple[Item, ...]]
    to_row: Callable[[Item], Row]
    """The item's columns, without `content_hash` and `retired`."""
    from_row: Callable[[Mapping[Any, Any]], Item]

    def key_of(self, row: Mapping[Any, Any]) -> Key:
        return tuple(row[column] for column in self.key_columns)

    @property
    def content_columns(self) -> tuple[str, ...]:
        """Every column the item's content fills, keys excluded."""
        return tuple(
            column.name
            for column in self.table.columns
            if column.name not in self.key_columns
            and column.name not in {"content_hash", "retired"}
        )


def content_hash(row: Row) -> str:
    canonical = json.dumps(row, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _course_row(course: Course) -> Row:
    return {
        "course_id": course.id,
        "title": course.title,
        "tags": course.tags,
        "description": course.description,
        "wrapper_run_fallback": course.fallbacks.run,
        "wrapper_test_fallback": course.fallbacks.test,
        "wrapper_playground_fallback": course.fallbacks.playground,
    }


def _course(row: Mapping[Any, Any]) -> Course:
    return Course(
        id=CourseId(row["course_id"]),
        title=row["title"],
        tags=row["tags"],
        description=row["description"],
        fallbacks=Wrappers(
            test=row["wrapper_test_fallback"],
            run=row["wrapper_run_fallback"],
            playground=row["wrapper_playground_fallback"],
        ),
    )


def _chapter_row(chapter: Chapter) -> Row:
    return {
        "chapter_id": chapter.id,
        "course_id": chapter.course_id,
        "title": chapter.title,
        "text": chapter.text,
    }


def _chapter(row: Mapping[Any, Any]) -> Chapter:
    return Chapter(
        id=ChapterId(row["chapter_id"]),
        course_id=CourseId(row["course_id"]),
        title=row["title"],
        text=row["text"],
    )


def _wrapper_columns(wrappers: Wrappers) -> Row:
    return {
        "wrapper_test": wrappers.test,
        "wrapper_run": wrappers.run,
        "wrapper_playground": wrappers.playground,
    }


def _wrappers(row: Mapping[Any, Any]) -> Wrappers:
    return Wrappers(
        test=row["wrapper_test"], run=row["wrapper_run"], playground=row["wrapper_playground"]
    )


def _task_row(task: Task) -> Row:
    return {"task_id": task.id, "chapter_id": task.chapter_id, **_wrapper_columns(task.wrappers)}


def _task(row: Mapping[Any, Any]) -> Task:
    return Task(
        id=TaskId(row["task_id"]), chapter_id=ChapterId(row["chapter_id"]), wrappers=_wrappers(row)
    )


def _example_row(example: Example) -> Row:
    return {
        "chapter_id": example.chapter_id,
        "example_id": example.id,
        **_wrapper_columns(example.wrappers),
    }


def _example(row: Mapping[Any, Any]) -> Example:
    return Example(
        id=ExampleId(row["example_id"]),
        chapter_id=ChapterId(row["chapter_id"]),
        wrappers=_wrappers(row),
    )


def _project_row(project: PracticeProject) -> Row:
    files = [{"path": file.path, "contents": file.contents} for file in project.files]
    return {
        "project_id": project.id,
        "course_id": project.course_id,
        "chapter_id": project.chapter_id,
        "title": project.title,
        "main_file": project.main_file,
        "default_cmd_line_args": project.default_cmd_line_args,
        "text": project.text,
        "hint": project.hint,
        "files": json.dumps(files, ensure_ascii=False),
    }


def _project(row: Mapping[Any, Any]) -> PracticeProject:
    files = tuple(
        ProjectFile(path=file["path"], contents=file["contents"])
        for file in json.loads(row["files"])
    )
    return PracticeProject(
        id=ProjectId(row["project_id"]),
        course_id=CourseId(row["course_id"]),
        chapter_id=ChapterId(row["chapter_id"]),
        title=row["title"],
        main_file=row["main_file"],
        default_cmd_line_args=row["default_cmd_line_args"],
        text=row["text"],
        hint=row["hint"],
        files=files,
    )


COURSES = ItemKind[Course](
    "courses", schema.courses, ("course_id",), lambda c: c.courses, _course_row, _course
)
CHAPTERS = ItemKind[Chapter](
    "chapters", schema.chapters, ("chapter_id",), lambda c: c.chapters, _chapter_row, _chapter
)
TASKS = ItemKind[Task]("tasks", schema.tasks, ("task_id",), lambda c: c.tasks, _task_row, _task)
EXAMPLES = ItemKind[Example](
    "examples",
    schema.examples,
    ("chapter_id", "example_id"),
    lambda c: c.examples,
    _example_row,
    _example,
)
PROJECTS = ItemKind[PracticeProject](
    "projects",
    schema.practice_projects,
    ("project_id",),
    lambda c: c.projects,
    _project_row,
    _project,
)

KINDS: tuple[ItemKind[Any], ...] = (COURSES, CHAPTERS, TASKS, EXAMPLES, PROJECTS)
"""In foreign-key order: a kind's parents come before it."""
