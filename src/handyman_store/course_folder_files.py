"""Guarded access to the files of a course folder, collecting what is wrong instead of raising.

The folder is written by course authors, not by us: a symlink could point anywhere on the host, a
file could be huge, binary or in a legacy encoding, and a stray BOM would reach the runner. Every
read of the importer goes through `FolderFiles`, so those checks live in one place and every finding
names the file by its path relative to the folder root. The files themselves were read once,
by the walk that took the folder's snapshot (`course_folder_snapshot`); paths here are the
snapshot's relative strings (`course/chapter/text.md`).
"""

from __future__ import annotations

import codecs
from collections.abc import Mapping
from enum import Enum

from attrs import define, field, frozen

from handyman_store.course_folder_snapshot import (
    MAX_TEXT_BYTES,
    EntryKind,
    FolderSnapshot,
)


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


_NO_ENTRIES: Mapping[str, EntryKind] = {}


@define
class FolderFiles:
    """Reads from a snapshot; findings accumulate in `warnings` and `errors`, in reading order."""

    snapshot: FolderSnapshot
    warnings: list[str] = field(factory=list)
    errors: list[str] = field(factory=list)

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def error(self, message: str) -> None:
        self.errors.append(message)

    def scan(self, directory: str) -> Mapping[str, EntryKind]:
        """Entries of a directory by name, sorted, without following any symlink. Hidden
        entries and Python bytecode caches are not course content and were passed over
        silently by the walk (see `course_folder_snapshot.is_clutter`)."""
        listing = self.snapshot.listings.get(directory, _NO_ENTRIES)
        if isinstance(listing, str):
            self.error(f"{directory or '.'}: cannot list the folder ({listing})")
            return _NO_ENTRIES
        return listing

    def entries(self, directory: str) -> dict[str, EntryKind]:
        """Like `scan`, but symlinks and special files are reported and left out."""
        kept: dict[str, EntryKind] = {}
        for name, kind in self.scan(directory).items():
            if kind is EntryKind.SYMLINK:
                self.warn(f"{join(directory, name)}: symlink skipped")
            elif kind is EntryKind.OTHER:
                self.warn(f"{join(directory, name)}: special file skipped")
            else:
                kept[name] = kind
        return kept

    def decode(self, path: str, limit: int) -> DecodedText | TextProblem:
        """The file as UTF-8 text without its BOM; more than `limit` bytes is too large."""
        data = self.snapshot.contents.get(path)
        if data is None:
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

    def read_text(self, path: str) -> str | None:
        """A text file the folder cannot do without: any problem is an error, a BOM a warning."""
        decoded = self.decode(path, MAX_TEXT_BYTES)
        if isinstance(decoded, TextProblem):
            detail = (
                f"larger than {MAX_TEXT_BYTES} bytes"
                if decoded is TextProblem.TOO_LARGE
                else decoded.value
            )
            self.error(f"{path}: {detail}")
            return None
        if decoded.had_bom:
            self.warn(f"BOM removed from {path}")
        return decoded.text


def join(directory: str, name: str) -> str:
    """The relative path of `name` in `directory` ("" being the root)."""
    return f"{directory}/{name}" if directory else name
