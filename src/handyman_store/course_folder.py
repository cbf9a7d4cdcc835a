"""Read a course folder (the layout of the courses README) into the core's `Catalogue`.

The reader only reads: files, their encodings and JSON, and which folder entries are items (their
names must follow the id grammar). What makes the items valid is the core's
`catalogue_rules.check_catalogue`, applied to what was read; its warnings and errors join the
reader's.

Reading never raises over a bad folder: it collects everything it finds wrong, so an author sees
the whole list in one import report. Errors mean the folder is unusable and the importer writes
nothing; warnings describe what was skipped or repaired on the way.

Decisions where the original importer had none (or crashed):
- a chapter folder without `text.md` is imported with its id as title and an empty text (warning);
- entries that look like items but break the id grammar are skipped with a warning, because ids
  that fail the grammar can never be requested.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from attrs import Factory, define, frozen

from handyman_core.catalogue import (
    Catalogue,
    Chapter,
    Course,
    Example,
    PracticeProject,
    ProjectFile,
    Task,
    Wrappers,
    segment_in_tags,
)
from handyman_core.catalogue_rules import (
    TAKEN_FOR_A_CHAPTER,
    check_catalogue,
    taken_for_a_chapter,
)
from handyman_core.errors import InvalidInput
from handyman_core.ids import (
    ChapterId,
    CourseId,
    ProjectId,
    chapter_of_task,
    course_of_chapter,
    parse_chapter_id,
    parse_course_id,
    parse_example_id,
    parse_project_id,
    parse_task_id,
)
from handyman_core.jsonb_text import jsonb_text
from handyman_store.course_folder_files import (
    DecodedText,
    FolderFiles,
    TextProblem,
    join,
)
from handyman_store.course_folder_snapshot import EntryKind, FolderSnapshot, snapshot_folder

MAX_PROJECT_FILE_BYTES = 1024 * 1024
"""A project file above this is left out (with a warning): the site ships files to browsers."""
MAX_PROJECT_BYTES = 16 * 1024 * 1024
MAX_PROJECT_FILES = 1000

_Id = TypeVar("_Id", bound=str)


@frozen
class FolderReading:
    """What a course folder holds, and what is wrong with it (paths relative to its root)."""

    catalogue: Catalogue
    warnings: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    digest: str | None = None
    """The snapshot's digest (`course_folder_snapshot`): what recognises this folder next time."""

    @property
    def usable(self) -> bool:
        return not self.errors


def read_course_folder(root: Path | str) -> FolderReading:
    """Read every course under `root`, in sorted order so that the result is deterministic."""
    return read_snapshot(snapshot_folder(root))


def read_snapshot(snapshot: FolderSnapshot) -> FolderReading:
    """What `read_course_folder` makes of a folder, from its snapshot."""
    files = FolderFiles(snapshot)
    found = _Found()
    if not os.path.isdir(snapshot.root):
        files.error(f"{snapshot.root}: not a folder")
    else:
        for name, kind in files.entries("").items():
            if kind is EntryKind.DIRECTORY:
                _read_course(files, found, name)
    check = check_catalogue(found.catalogue())
    return FolderReading(
        check.catalogue,
        (*files.warnings, *check.warnings),
        (*files.errors, *check.errors),
        snapshot.digest,
    )


@define
class _Found:
    courses: list[Course] = Factory(list)
    chapters: list[Chapter] = Factory(list)
    tasks: list[Task] = Factory(list)
    examples: list[Example] = Factory(list)
    projects: list[PracticeProject] = Factory(list)

    def catalogue(self) -> Catalogue:
        return Catalogue(
            courses=self.courses,
            chapters=self.chapters,
            tasks=self.tasks,
            examples=self.examples,
            projects=self.projects,
        )


def _read_course(files: FolderFiles, found: _Found, directory: str) -> None:
    name = directory
    if "tags.json" not in files.scan(directory):
        files.warn(f"{name}: skipped, no tags.json (not a course)")
        return
    course_id = _parsed(parse_course_id, name)
    if course_id is None:
        files.error(f"{name}: the folder name is not a valid course id ([a-z][a-z0-9]*)")
        return
    entries = files.entries(directory)
    tags = _read_json_object(files, directory, "tags.json", entries)
    if tags is None:
        return
    title = tags.get("title", name.capitalize())
    if not isinstance(title, str):
        files.error(f"{name}/tags.json: title must be a string")
        return
    if _holds_nul(tags):
        files.error(f"{name}/tags.json: contains a NUL character, which jsonb cannot store")
        return
    try:
        segment_in_tags(tags)
    except InvalidInput as error:
        files.error(f"{name}/tags.json: segment {error.fields['segment']}")
        return
    if entries.get("description.md") is None:
        files.warn(f"{name}: no description.md; the description is empty")
    fallbacks = Wrappers(
        test=_optional_text(files, directory, entries, "wrapper_test_fallback"),
        run=_optional_text(files, directory, entries, "wrapper_run_fallback"),
        playground=_optional_text(files, directory, entries, "wrapper_playground_fallback"),
    )
    found.courses.append(
        Course(
            id=course_id,
            title=title,
            tags=jsonb_text(tags),
            description=_optional_text(files, directory, entries, "description.md") or "",
            fallbacks=fallbacks,
        )
    )
    for entry, kind in entries.items():
        if not entry.startswith(course_id):
            continue
        chapter_id = _parsed(parse_chapter_id, entry)
        if chapter_id is None or course_of_chapter(chapter_id) != course_id:
            files.warn(
                f"{name}/{entry}: starts with the course id but is not named "
                f"{course_id}_chapter_NNNN; skipped"
            )
        elif kind is not EntryKind.DIRECTORY:
            files.warn(f"{name}/{entry}: named like a chapter but not a folder; skipped")
        else:
            _read_chapter(
                files,
                found,
                course_id=course_id,
                chapter_id=chapter_id,
                directory=join(directory, entry),
            )
    if entries.get("practice") is EntryKind.DIRECTORY:
        _read_practice(files, found, course_id, join(directory, "practice"))


def _read_chapter(
    files: FolderFiles,
    found: _Found,
    *,
    course_id: CourseId,
    chapter_id: ChapterId,
    directory: str,
) -> None:
    where = directory
    entries = files.entries(directory)
    text = _optional_text(files, directory, entries, "text.md")
    title: str = chapter_id
    if text is None:
        if entries.get("text.md") is None:
            files.warn(f"{where}: no text.md; imported with its id as title and an empty text")
        text = ""
    elif _title_of(text):
        title = _title_of(text)
    else:
        files.warn(f"{where}/text.md: the first line holds no title; the chapter id is used")
    found.chapters.append(Chapter(id=chapter_id, course_id=course_id, title=title, text=text))

    if entries.get("tasks") is EntryKind.DIRECTORY:
        found.tasks.extend(_read_tasks(files, chapter_id, join(directory, "tasks")))
    if entries.get("examples") is EntryKind.DIRECTORY:
        found.examples.extend(_read_examples(files, chapter_id, join(directory, "examples")))


def _read_tasks(files: FolderFiles, chapter_id: ChapterId, directory: str) -> list[Task]:
    tasks = []
    for name, kind in _item_entries(files, directory):
        where = join(directory, name)
        task_id = _parsed(parse_task_id, name)
        if task_id is None:
            files.warn(f"{where}: not named {chapter_id}_task_NNNN; skipped")
            continue
        if chapter_of_task(task_id) != chapter_id:
            files.warn(f"{where}: belongs to another chapter; skipped")
            continue
        if kind is not EntryKind.DIRECTORY:
            files.warn(f"{where}: not a folder; skipped")
            continue
        wrappers = _read_wrappers(files, where, files.entries(where))
        tasks.append(Task(id=task_id, chapter_id=chapter_id, wrappers=wrappers))
    return tasks


def _read_examples(files: FolderFiles, chapter_id: ChapterId, directory: str) -> list[Example]:
    examples = []
    for name, kind in _item_entries(files, directory):
        where = join(directory, name)
        example_id = _parsed(parse_example_id, name)
        if example_id is None:
            files.warn(f"{where}: not a valid example id ([a-z0-9_]+); skipped")
            continue
        if kind is not EntryKind.DIRECTORY:
            files.warn(f"{where}: not a folder; skipped")
            continue
        wrappers = _read_wrappers(files, where, files.entries(where))
        examples.append(Example(id=example_id, chapter_id=chapter_id, wrappers=wrappers))
    return examples


def _read_practice(files: FolderFiles, found: _Found, course_id: CourseId, directory: str) -> None:
    for name, kind in _item_entries(files, directory):
        where = join(directory, name)
        project_id = _parsed(parse_project_id, name)
        if project_id is None or not name.startswith(f"{course_id}_"):
            files.warn(f"{where}: not named {course_id}_<name> ([a-z0-9_]); skipped")
        elif taken_for_a_chapter(name):
            files.warn(f"{where}: {TAKEN_FOR_A_CHAPTER}")
        elif kind is not EntryKind.DIRECTORY:
            files.warn(f"{where}: not a folder; skipped")
        else:
            project = _read_project(files, course_id, project_id, where)
            if project is not None:
                found.projects.append(project)


def _read_project(
    files: FolderFiles,
    course_id: CourseId,
    project_id: ProjectId,
    directory: str,
) -> PracticeProject | None:
    where = directory
    entries = files.entries(directory)
    data = _read_json_object(files, directory, "data.json", entries)
    if data is None:
        return None
    chapter_id = data.get("chapter_id")
    main_file = data.get("main_file")
    arguments = data.get("default_cmd_line_args", "")
    usable = True
    if not isinstance(chapter_id, str):
        files.error(f"{where}/data.json: chapter_id {chapter_id!r} is not a chapter of {course_id}")
        usable = False
    if not isinstance(main_file, str) or not main_file:
        files.error(f"{where}/data.json: main_file must be a non-empty string")
        usable = False
    if not isinstance(arguments, str):
        files.error(f"{where}/data.json: default_cmd_line_args must be a string")
        usable = False
    if not (usable and isinstance(chapter_id, str) and isinstance(main_file, str)):
        return None

    text = _optional_text(files, directory, entries, "text.md")
    if text is None and entries.get("text.md") is None:
        files.warn(f"{where}: no text.md; the project id is used as title")
    title = _title_of(text or "") or project_id
    hint = _optional_text(files, directory, entries, "hint.md")
    if hint is None and entries.get("hint.md") is None:
        files.warn(f"{where}: no hint.md; the hint is empty")

    project_files: tuple[ProjectFile, ...] = ()
    if entries.get("project") is EntryKind.DIRECTORY:
        project_files = _read_project_tree(files, join(directory, "project"))
    else:
        files.warn(f"{where}: no project/ folder; the project starts empty")
    return PracticeProject(
        id=project_id,
        course_id=course_id,
        title=title,
        chapter_id=ChapterId(chapter_id),
        main_file=main_file,
        default_cmd_line_args=str(arguments),
        text=text or "",
        hint=hint or "",
        files=project_files,
    )


def _read_project_tree(files: FolderFiles, root: str) -> tuple[ProjectFile, ...]:
    """Every UTF-8 text file below `root`; binary and oversized ones are left out with a warning."""
    read: list[ProjectFile] = []
    total_bytes = 0
    pending = [root]
    below_root = len(root) + 1
    while pending:
        directory = pending.pop()
        for name, kind in files.entries(directory).items():
            path = join(directory, name)
            if kind is EntryKind.DIRECTORY:
                pending.append(path)
                continue
            if len(read) >= MAX_PROJECT_FILES:
                files.error(f"{root}: more than {MAX_PROJECT_FILES} files")
                return ()
            decoded = files.decode(path, MAX_PROJECT_FILE_BYTES)
            contents = _project_file_text(files, path, decoded)
            if contents is None:
                continue
            total_bytes += len(contents.encode())
            if total_bytes > MAX_PROJECT_BYTES:
                files.error(f"{root}: more than {MAX_PROJECT_BYTES} bytes of text")
                return ()
            read.append(ProjectFile(path=path[below_root:], contents=contents))
    return tuple(sorted(read, key=lambda file: file.path))


def _project_file_text(
    files: FolderFiles, path: str, decoded: DecodedText | TextProblem
) -> str | None:
    where = path
    if decoded is TextProblem.UNREADABLE:
        files.error(f"{where}: unreadable")
        return None
    if decoded is TextProblem.TOO_LARGE:
        files.warn(f"{where}: larger than {MAX_PROJECT_FILE_BYTES} bytes; left out of the project")
        return None
    if isinstance(decoded, TextProblem):
        files.warn(f"{where}: {decoded.value}; left out of the project")
        return None
    if decoded.had_bom:
        files.warn(f"BOM removed from {where}")
    return decoded.text


def _read_wrappers(
    files: FolderFiles, directory: str, entries: Mapping[str, EntryKind]
) -> Wrappers:
    return Wrappers(
        test=_optional_text(files, directory, entries, "wrapper_test"),
        run=_optional_text(files, directory, entries, "wrapper_run"),
        playground=_optional_text(files, directory, entries, "wrapper_playground"),
    )


def _optional_text(
    files: FolderFiles, directory: str, entries: Mapping[str, EntryKind], name: str
) -> str | None:
    """The text of `directory/name` if it is a file; None if absent (or unreadable: an error)."""
    kind = entries.get(name)
    if kind is None:
        return None
    if kind is not EntryKind.FILE:
        files.warn(f"{join(directory, name)}: a folder where a file belongs; ignored")
        return None
    return files.read_text(join(directory, name))


def _read_json_object(
    files: FolderFiles, directory: str, name: str, entries: Mapping[str, EntryKind]
) -> dict[str, Any] | None:
    where = join(directory, name)
    if entries.get(name) is not EntryKind.FILE:
        files.error(f"{where}: missing or not a regular file")
        return None
    text = files.read_text(where)
    if text is None:
        return None
    try:
        value = json.loads(text, parse_constant=_reject_non_finite)
    except ValueError as problem:
        files.error(f"{where}: invalid JSON ({problem})")
        return None
    if not isinstance(value, dict):
        files.error(f"{where}: must hold a JSON object")
        return None
    return value


def _reject_non_finite(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def _holds_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


def _item_entries(files: FolderFiles, directory: str) -> list[tuple[str, EntryKind]]:
    """Entries of a folder of items (tasks, examples, projects); dot-files are never items."""
    return [(n, k) for n, k in files.entries(directory).items() if not n.startswith(".")]


def _title_of(text: str) -> str:
    """The original importer's rule: the first line, `#` stripped from both ends, then blanks."""
    first_line = text.partition("\n")[0].rstrip("\r")
    return first_line.strip("#").strip()


def _parsed(parse: Callable[[str], _Id], value: str) -> _Id | None:
    try:
        return parse(value)
    except InvalidInput:
        return None
