"""Project trees (`{"name", "children": [{"name", "contents", "is_main_file"}, ...]}`; see
docs/behaviour.md, "Practice projects and project trees"): checked once here (names, depth,
sizes, one main file) before any adapter turns them into files."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from attrs import frozen

from handyman_core.catalogue import ProjectFile
from handyman_core.errors import InvalidInput
from handyman_core.strict_json import STRICT_CONVERTER, load_json_document, structure_json

MAX_PROJECT_ENTRIES = 256
"""Files and directories of one project tree, together."""
MAX_PROJECT_DEPTH = 16
"""Components of a path (`src/app/main.py` has 3)."""
MAX_PROJECT_BYTES = 1024 * 1024
"""UTF-8 bytes of all file contents together."""
MAX_NAME_BYTES = 255
"""The common file-system limit on one path component."""
DEFAULT_ROOT_NAME = "project"
"""The root directory's name in the trees scene sends, used when a tree is written back."""


@frozen
class ProjectTree:
    """A checked project: every path relative, normalised and unique; `main_file` is the path
    of the file marked `is_main_file`, or "" when none is."""

    files: tuple[ProjectFile, ...]
    main_file: str = ""
    root_name: str = DEFAULT_ROOT_NAME


@frozen
class _Node:
    """One entry of a project tree: a directory has `children`, a file has `contents`. Unknown
    keys are ignored (scene's editor adds a numeric `id` to every node)."""

    name: str
    contents: str | None = None
    children: tuple[_Node, ...] | None = None
    is_main_file: bool = False


def parse_project_tree(document: Mapping[str, Any] | str, field: str) -> ProjectTree:
    """Check a tree sent as JSON text or as the already parsed object; every problem is an
    InvalidInput on `field`."""
    value = load_json_document(document, field) if isinstance(document, str) else document
    _check_extent(value, field)
    root = structure_json(STRICT_CONVERTER, value, _Node, field)
    if root.children is None or root.contents is not None:
        raise InvalidInput.field(field, "the root must be a directory (with children)")
    _check_name(root.name, "the root", field)
    walk = _TreeWalk(field)
    walk.directory(root.children, ())
    return ProjectTree(files=tuple(walk.files), main_file=walk.main_file(), root_name=root.name)


def render_project_tree(
    files: tuple[ProjectFile, ...], main_file: str = "", root_name: str = DEFAULT_ROOT_NAME
) -> str:
    """The project-tree JSON of a file list, directories in order of first appearance; empty
    directories are not kept by `ProjectTree`, so none are written."""
    root: list[dict[str, Any]] = []
    directories: dict[tuple[str, ...], list[dict[str, Any]]] = {(): root}
    for file in files:
        parts = tuple(file.path.split("/"))
        for depth in range(1, len(parts)):
            if parts[:depth] not in directories:
                children: list[dict[str, Any]] = []
                directories[parts[: depth - 1]].append(
                    {"name": parts[depth - 1], "children": children}
                )
                directories[parts[:depth]] = children
        node: dict[str, Any] = {"name": parts[-1], "contents": file.contents}
        if file.path == main_file:
            node["is_main_file"] = True
        directories[parts[:-1]].append(node)
    return json.dumps({"name": root_name, "children": root}, ensure_ascii=False)


class _TreeWalk:
    """Collects files in document order while checking names, sizes and the main-file mark."""

    def __init__(self, field: str) -> None:
        self.field = field
        self.files: list[ProjectFile] = []
        self.main_files: list[str] = []
        self.entries = 0
        self.content_bytes = 0

    def directory(self, children: tuple[_Node, ...], parts: tuple[str, ...]) -> None:
        where = "/".join(parts) or "the root"
        seen: set[str] = set()
        for child in children:
            self._count()
            _check_name(child.name, f"an entry in {where}", self.field)
            if child.name in seen:
                raise self._invalid(f"{where} has two entries with the same name")
            seen.add(child.name)
            self._entry(child, (*parts, child.name))

    def main_file(self) -> str:
        if len(self.main_files) > 1:
            raise self._invalid("more than one file is marked is_main_file")
        return self.main_files[0] if self.main_files else ""

    def _entry(self, node: _Node, parts: tuple[str, ...]) -> None:
        path = "/".join(parts)
        if node.children is not None:
            if node.contents is not None or node.is_main_file:
                raise self._invalid(f"{path} has both children and file fields")
            self.directory(node.children, parts)
            return
        if node.contents is None:
            raise self._invalid(f"{path} has neither contents (a file) nor children (a directory)")
        self._file(path, node)

    def _file(self, path: str, node: _Node) -> None:
        contents = node.contents or ""
        if "\x00" in contents:
            raise self._invalid(f"{path} contains a NUL character")
        self.content_bytes += len(contents.encode())
        if self.content_bytes > MAX_PROJECT_BYTES:
            raise self._invalid(f"file contents exceed {MAX_PROJECT_BYTES} bytes in total")
        self.files.append(ProjectFile(path=path, contents=contents))
        if node.is_main_file:
            self.main_files.append(path)

    def _count(self) -> None:
        self.entries += 1
        if self.entries > MAX_PROJECT_ENTRIES:
            raise self._invalid(f"has more than {MAX_PROJECT_ENTRIES} entries")

    def _invalid(self, problem: str) -> InvalidInput:
        return InvalidInput.field(self.field, problem)


def _check_name(name: str, where: str, field: str) -> None:
    if not name:
        problem = "is empty"
    elif name in {".", ".."} or any(mark in name for mark in "/\\\x00"):
        problem = "must be a plain file name (no '/', '\\', NUL, '.' or '..')"
    elif len(name.encode()) > MAX_NAME_BYTES:
        problem = f"is longer than {MAX_NAME_BYTES} bytes"
    else:
        return
    raise InvalidInput.field(field, f"the name of {where} {problem}")


def _check_extent(value: object, field: str) -> None:
    """Bound nesting and object count before structuring, so that neither recursion nor a
    flood of nodes reaches cattrs."""
    pending: list[tuple[object, int]] = [(value, 1)]
    objects = 0
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list) and depth > 2 * MAX_PROJECT_DEPTH + 1:
            raise InvalidInput.field(field, f"has paths deeper than {MAX_PROJECT_DEPTH} levels")
        if isinstance(item, dict):
            objects += 1
            if objects > MAX_PROJECT_ENTRIES + 1:
                raise InvalidInput.field(field, f"has more than {MAX_PROJECT_ENTRIES} entries")
            pending.extend((member, depth + 1) for member in item.values())
        elif isinstance(item, list):
            pending.extend((member, depth + 1) for member in item)
