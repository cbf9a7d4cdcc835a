"""Guarded access to the files of a course folder, collecting what is wrong instead of raising.

The folder is written by course authors, not by us: a symlink could point anywhere on the host, a
file could be huge, binary or in a legacy encoding, and a stray BOM would reach the runner. Every
read of the importer goes through `FolderFiles`, so those checks live in one place and every finding
names the file by its path relative to the folder root.
"""

from __future__ import annotations

import codecs
import os
from enum import Enum
from pathlib import Path, PurePosixPath

from attrs import define, field, frozen

MAX_TEXT_BYTES = 4 * 1024 * 1024
"""A wrapper, text or JSON file above this is refused: it would be stored and served as it is."""


class EntryKind(Enum):
    FILE = "file"
    DIRECTORY = "directory"
    SYMLINK = "symlink"
    OTHER = "other"


class TextProblem(Enum):
    """Why `FolderFiles.decode` gave no text."""

    TOO_LARGE = "too large"
    NOT_UTF8 = "not UTF-8 text"
    BINARY = "binary (contains NUL bytes)"
    UNREADABLE = "unreadable"


@frozen
class DecodedText:
    text: str
    had_bom: bool


@define
class FolderFiles:
    """Reads under `root`; findings accumulate in `warnings` and `errors`, in reading order."""

    root: Path
    warnings: list[str] = field(factory=list)
    errors: list[str] = field(factory=list)

    def relative(self, path: Path) -> str:
        """The POSIX path of `path` below the root, as findings name files."""
        return PurePosixPath(*path.relative_to(self.root).parts).as_posix()

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def error(self, message: str) -> None:
        self.errors.append(message)

    def scan(self, directory: Path) -> dict[str, EntryKind]:
        """Entries of a directory by name, sorted, without following any symlink. Hidden
        entries and Python bytecode caches are not course content and are passed over
        silently (see `is_clutter`)."""
        try:
            with os.scandir(directory) as listing:
                kinds = {
                    entry.name: _kind_of(entry) for entry in listing if not is_clutter(entry.name)
                }
        except OSError as problem:
            self.error(f"{self.relative(directory)}: cannot list the folder ({problem.strerror})")
            return {}
        return dict(sorted(kinds.items()))

    def entries(self, directory: Path) -> dict[str, EntryKind]:
        """Like `scan`, but symlinks and special files are reported and left out."""
        kept: dict[str, EntryKind] = {}
        for name, kind in self.scan(directory).items():
            if kind is EntryKind.SYMLINK:
                self.warn(f"{self.relative(directory / name)}: symlink skipped")
            elif kind is EntryKind.OTHER:
                self.warn(f"{self.relative(directory / name)}: special file skipped")
            else:
                kept[name] = kind
        return kept

    def decode(self, path: Path, limit: int) -> DecodedText | TextProblem:
        """The file as UTF-8 text without its BOM; reads at most `limit` + 1 bytes."""
        try:
            with path.open("rb") as stream:
                data = stream.read(limit + 1)
        except OSError:
            return TextProblem.UNREADABLE
        if len(data) > limit:
            return TextProblem.TOO_LARGE
        had_bom = data.startswith(codecs.BOM_UTF8)
        if had_bom:
            data = data[len(codecs.BOM_UTF8) :]
        if b"\x00" in data:
            return TextProblem.BINARY
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return TextProblem.NOT_UTF8
        return DecodedText(text, had_bom)

    def read_text(self, path: Path) -> str | None:
        """A text file the folder cannot do without: any problem is an error, a BOM a warning."""
        decoded = self.decode(path, MAX_TEXT_BYTES)
        if isinstance(decoded, TextProblem):
            detail = (
                f"larger than {MAX_TEXT_BYTES} bytes"
                if decoded is TextProblem.TOO_LARGE
                else decoded.value
            )
            self.error(f"{self.relative(path)}: {detail}")
            return None
        if decoded.had_bom:
            self.warn(f"BOM removed from {self.relative(path)}")
        return decoded.text


BYTECODE_CACHE = "__pycache__"
_BYTECODE_SUFFIXES = (".pyc", ".pyo")


def is_clutter(name: str) -> bool:
    """Hidden files and folders (`.git`, `.DS_Store`, editor swap files) and Python bytecode
    (`__pycache__/`, `*.pyc`): tools leave them in a folder, authors never write them. pip
    compiles the example course's project files when it installs the package, so an installed
    copy always has a `__pycache__` the source checkout lacks."""
    return name.startswith(".") or name == BYTECODE_CACHE or name.endswith(_BYTECODE_SUFFIXES)


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
