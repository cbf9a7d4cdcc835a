"""A course folder read in one walk: every entry's kind, every regular file's bytes, and a digest
of it all.

The reader (`course_folder`) works on this snapshot instead of on the file system, and the
import recognises a folder it has already imported by the digest alone, without parsing
anything (`catalogue_recognition`): the digest covers what the reader could see, namely every
entry that is not clutter (`is_clutter`), by its path relative to the root and its kind, each
regular file's full contents, every folder that could not be listed and every file that could
not be read, and the code that turns a folder into rows (`CODE_PACKAGES`). Modification times
play no part: a file rewritten with the same contents leaves the digest as it was, a file whose
contents changed changes it whatever its time stamp says.

The walk follows no symlink and opens regular files only (`O_NOFOLLOW | O_NONBLOCK`, checked
again with `fstat`), so a link or a FIFO planted in the folder can neither lead the walk out of
it nor block it. It keeps at most `KEPT_BYTES` of a file, more than any reading uses (the
reader refuses longer text files); the rest of a longer file is hashed and dropped.

Paths are plain strings (`course/chapter/text.md`), joined once per entry: the walk visits every
one of the catalogue's ~3,000 entries, and `pathlib` would cost more than the walk itself.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import stat
from collections.abc import Mapping
from enum import Enum
from pathlib import Path
from typing import Any

from attrs import frozen

MAX_TEXT_BYTES = 4 * 1024 * 1024
"""A wrapper, text or JSON file above this is refused: it would be stored and served as it is."""
KEPT_BYTES = MAX_TEXT_BYTES + 1
"""What the snapshot keeps of a file: enough to tell that a file is above every reading's limit."""
CODE_PACKAGES = ("handyman_core", "handyman_store")
"""Packages whose source is part of every digest: the reader, the catalogue rules, the row
mapping, the import and the schema's migrations. A new release that changes any of them makes
the next import of an unchanged folder a full one, so new rules apply at once."""
DIGEST_FORMAT = b"handyman course folder digest 1\n"

BYTECODE_CACHE = "__pycache__"
_BYTECODE_SUFFIXES = (".pyc", ".pyo")
_OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
_CHUNK = 1024 * 1024


class EntryKind(Enum):
    FILE = "file"
    DIRECTORY = "directory"
    SYMLINK = "symlink"
    OTHER = "other"


_FILE = b"f"
_LONG_FILE = b"F"
_DIRECTORY = b"d"
_TAGS = {EntryKind.SYMLINK: b"l", EntryKind.OTHER: b"o"}
_UNLISTABLE = b"E"
_UNREADABLE = b"U"

Listing = Mapping[str, EntryKind]


@frozen
class FolderSnapshot:
    """What the walk found below `root`. Keys are paths relative to the root ("" is the root)."""

    root: str
    listings: Mapping[str, Listing | str]
    """Each folder's entries by name, sorted, clutter left out; or why it could not be listed
    (the system's message)."""
    contents: Mapping[str, bytes | None]
    """Each regular file's first `KEPT_BYTES`; None when it could not be read."""
    digest: str
    """sha256 (hex) of the code fingerprint and of every entry, in walk order (see `_Walk`)."""


def is_clutter(name: str) -> bool:
    """Hidden files and folders (`.git`, `.DS_Store`, editor swap files) and Python bytecode
    (`__pycache__/`, `*.pyc`): tools leave them in a folder, authors never write them. pip
    compiles the example course's project files when it installs the package, so an installed
    copy always has a `__pycache__` the source checkout lacks."""
    return name.startswith(".") or name == BYTECODE_CACHE or name.endswith(_BYTECODE_SUFFIXES)


def snapshot_folder(root: str | os.PathLike[str]) -> FolderSnapshot:
    """Walk `root` (which need not exist: then its listing holds the reason) depth first, in
    sorted order."""
    walk = _Walk(os.fspath(root))
    walk.folder("", walk.root)
    return FolderSnapshot(
        root=walk.root, listings=walk.listings, contents=walk.contents, digest=walk.digest()
    )


def code_fingerprint() -> bytes:
    """The fingerprint of `CODE_PACKAGES` as installed."""
    return sources_fingerprint(code_directories())


def code_directories() -> list[Path]:
    """Where `CODE_PACKAGES` are, found without importing them."""
    directories: list[Path] = []
    for package in CODE_PACKAGES:
        spec = importlib.util.find_spec(package)
        if spec is not None:
            directories.extend(Path(location) for location in spec.submodule_search_locations or ())
    return directories


def sources_fingerprint(directories: list[Path]) -> bytes:
    """sha256 over every Python source below `directories`, by directory name and path."""
    hasher = hashlib.sha256()
    for directory in directories:
        hasher.update(directory.name.encode() + b"\0")
        for relative, absolute in _sources(str(directory)):
            with open(absolute, "rb") as source:
                contents = source.read()
            hasher.update(relative.encode() + b"\0" + hashlib.sha256(contents).digest())
    return hasher.digest()


def _sources(directory: str) -> list[tuple[str, str]]:
    """The package's Python sources, by path within it; its bytecode when it was installed
    without them."""
    sources: list[tuple[str, str]] = []
    bytecode: list[tuple[str, str]] = []
    pending = [("", directory)]
    while pending:
        relative, where = pending.pop()
        with os.scandir(where) as listing:
            for entry in listing:
                path = f"{relative}/{entry.name}" if relative else entry.name
                if entry.is_dir(follow_symlinks=False):
                    if not entry.name.startswith("."):
                        pending.append((path, entry.path))
                elif entry.name.endswith(".pyc"):
                    bytecode.append((path, entry.path))
                elif entry.name.endswith(".py") and not is_clutter(entry.name):
                    sources.append((path, entry.path))
    return sorted(sources or bytecode)


class _Walk:
    """One pass over the folder. Hot: it runs once per entry of the catalogue, so paths are
    joined by hand, `DirEntry.path` is used where the system built one already, and what the
    digest covers is gathered in a list and hashed once at the end.

    Digested per entry, in walk order: a tag for its kind, its relative path, NUL, then for a
    regular file its length (8 bytes) and contents, or for one longer than `KEPT_BYTES` the
    sha256 of its contents; a folder that cannot be listed or a file that cannot be read is a
    tag and its path alone."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.listings: dict[str, Listing | str] = {}
        self.contents: dict[str, bytes | None] = {}
        self.digested: list[bytes] = [DIGEST_FORMAT, code_fingerprint()]

    def digest(self) -> str:
        return hashlib.sha256(b"".join(self.digested)).hexdigest()

    def folder(self, relative: str, where: str) -> None:
        try:
            with os.scandir(where) as listing:
                found = [
                    (entry.name, _kind_of(entry), entry.path)
                    for entry in listing
                    if not is_clutter(entry.name)
                ]
        except OSError as problem:
            self.listings[relative] = problem.strerror or str(problem)
            self.digested.append(_UNLISTABLE + _encoded(relative) + b"\0")
            return
        found.sort()
        self.listings[relative] = {name: kind for name, kind, _ in found}
        prefix = relative + "/" if relative else ""
        for name, kind, absolute in found:
            path = prefix + name
            if kind is EntryKind.DIRECTORY:
                self.digested.append(_DIRECTORY + _encoded(path) + b"\0")
                self.folder(path, absolute)
            elif kind is EntryKind.FILE:
                self.file(path, absolute)
            else:
                self.digested.append(_TAGS[kind] + _encoded(path) + b"\0")

    def file(self, relative: str, absolute: str) -> None:
        """Keeps the file's first `KEPT_BYTES` and digests it."""
        try:
            descriptor = os.open(absolute, _OPEN_FLAGS)
        except OSError:
            self._unreadable(relative)
            return
        try:
            status = os.fstat(descriptor)
            if not stat.S_ISREG(status.st_mode):
                raise OSError("not a regular file")
            # Sized by fstat, so a small file is one read (and one more that finds its end).
            kept = os.read(descriptor, min(status.st_size, KEPT_BYTES) + 1)
            longer: Any = None
            while chunk := os.read(descriptor, _CHUNK):
                if longer is None:
                    longer = hashlib.sha256(kept)
                longer.update(chunk)
                if len(kept) < KEPT_BYTES:
                    kept += chunk[: KEPT_BYTES - len(kept)]
        except OSError:
            self._unreadable(relative)
            return
        finally:
            os.close(descriptor)
        if longer is None and len(kept) <= KEPT_BYTES:
            self.contents[relative] = kept
            self.digested.append(
                _FILE + _encoded(relative) + b"\0" + len(kept).to_bytes(8, "big") + kept
            )
            return
        if longer is None:
            longer = hashlib.sha256(kept)
        self.contents[relative] = kept[:KEPT_BYTES]
        self.digested.append(_LONG_FILE + _encoded(relative) + b"\0" + longer.digest())

    def _unreadable(self, relative: str) -> None:
        self.contents[relative] = None
        self.digested.append(_UNREADABLE + _encoded(relative) + b"\0")


def _encoded(path: str) -> bytes:
    return path.encode("utf-8", "surrogateescape")


def _kind_of(entry: os.DirEntry[str]) -> EntryKind:
    try:
        if entry.is_symlink():
            return EntryKind.SYMLINK
        if entry.is_dir(follow_symlinks=False):
            return EntryKind.DIRECTORY
        if entry.is_file(follow_symlinks=False):
            return EntryKind.FILE
    except OSError:
        pass
    return EntryKind.OTHER
