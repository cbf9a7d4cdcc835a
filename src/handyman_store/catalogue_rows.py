"""How each kind of catalogue item maps to a row of its table, and back.

The importer and the snapshot loader share these mappings, so what is written is exactly what is
read. Each row's `content_hash` is the sha256 of its canonical JSON (`canonical_json`), which
lets an import tell changed items from unchanged ones without comparing texts column by column.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

import orjson
from attrs import frozen

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
from handyman_store import catalogue_tables as tables
from handyman_store.catalogue_tables import CatalogueTable

Row = dict[str, Any]
Key = tuple[str, ...]
Item = TypeVar("Item")


@frozen
class ItemKind(Generic[Item]):
    """One kind of catalogue item: its table (`catalogue_tables`) and its row mapping."""

    table: CatalogueTable
    items_of: Callable[[Catalogue], tuple[Item, ...]]
    to_row: Callable[[Item], Row]
    """The item's columns, without `content_hash` and `retired`."""
    from_row: Callable[[Mapping[Any, Any]], Item]

    @property
    def name(self) -> str:
        return self.table.kind

    @property
    def key_columns(self) -> tuple[str, ...]:
        return self.table.key_columns

    @property
    def content_columns(self) -> tuple[str, ...]:
        return self.table.content_columns

    @property
    def columns(self) -> tuple[str, ...]:
        return self.table.columns

    def key_of(self, row: Mapping[Any, Any]) -> Key:
        return tuple(row[column] for column in self.key_columns)


def content_hash(row: Row) -> str:
    return hashlib.sha256(canonical_json(row)).hexdigest()


def canonical_json(row: Row) -> bytes:
    """The row as UTF-8 JSON with sorted keys and no spaces. orjson writes exactly what
    `json.dumps(row, sort_keys=True, ensure_ascii=False, separators=(",", ":"))` does, five
    times faster (a full import hashes every chapter text; `test_catalogue_rows.py` holds the
    two together); what orjson refuses (a lone surrogate) goes the standard library's way and
    fails there as it always did."""
    try:
        return orjson.dumps(row, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        return json.dumps(row, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


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


COURSES = ItemKind[Course](tables.COURSES, lambda c: c.courses, _course_row, _course)
CHAPTERS = ItemKind[Chapter](tables.CHAPTERS, lambda c: c.chapters, _chapter_row, _chapter)
TASKS = ItemKind[Task](tables.TASKS, lambda c: c.tasks, _task_row, _task)
EXAMPLES = ItemKind[Example](tables.EXAMPLES, lambda c: c.examples, _example_row, _example)
PROJECTS = ItemKind[PracticeProject](tables.PROJECTS, lambda c: c.projects, _project_row, _project)

KINDS: tuple[ItemKind[Any], ...] = (COURSES, CHAPTERS, TASKS, EXAMPLES, PROJECTS)
"""In foreign-key order: a kind's parents come before it."""
