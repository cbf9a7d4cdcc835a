"""A course folder's snapshot and digest: the digest changes with anything the reader could see
(names, kinds, contents, the code that reads them) and with nothing else (time stamps, clutter,
where the folder is)."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Mapping
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handyman_store import course_folder_snapshot
from handyman_store.course_folder import read_course_folder
from handyman_store.course_folder_snapshot import (
    KEPT_BYTES,
    EntryKind,
    snapshot_folder,
)
from tests.conftest import EXAMPLE_COURSES

_NAMES = st.sampled_from(["a", "b", "text.md", "wrapper_test", "d1", "d2"])
_TREES = st.dictionaries(
    st.lists(_NAMES, min_size=1, max_size=3).map("/".join),
    st.binary(max_size=40),
    min_size=1,
    max_size=6,
)


def write(root: Path, tree: Mapping[str, bytes]) -> Path:
    """The files of `tree` (later paths that need an earlier file as a folder are skipped)."""
    root.mkdir(parents=True)
    for relative, contents in tree.items():
        path = root / relative
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(contents)
        except (FileExistsError, NotADirectoryError, IsADirectoryError):
            continue
    return root


def digest_of(root: Path) -> str:
    return snapshot_folder(root).digest


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    folder = tmp_path / "courses"
    shutil.copytree(EXAMPLE_COURSES, folder)
    return folder


def test_two_copies_of_a_folder_have_one_digest(copy: Path) -> None:
    assert digest_of(copy) == digest_of(EXAMPLE_COURSES)


def test_time_stamps_play_no_part(copy: Path) -> None:
    before = digest_of(copy)
    for path in copy.rglob("*"):
        os.utime(path, (0, 0), follow_symlinks=False)

    assert digest_of(copy) == before


def test_clutter_plays_no_part(copy: Path) -> None:
    before = digest_of(copy)
    (copy / ".git").mkdir()
    (copy / ".git" / "HEAD").write_text("ref: refs/heads/main")
    (copy / "pythonstart" / "__pycache__").mkdir()
    (copy / "pythonstart" / "notes.pyc").write_bytes(b"\x00")

    assert digest_of(copy) == before


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tree=_TREES, data=st.data())
def test_any_change_of_a_files_contents_changes_the_digest(
    tmp_path_factory: pytest.TempPathFactory, tree: dict[str, bytes], data: st.DataObject
) -> None:
    root = write(tmp_path_factory.mktemp("tree") / "courses", tree)
    files = sorted(path for path in root.rglob("*") if path.is_file())
    before = digest_of(root)
    changed = data.draw(st.sampled_from(files))
    contents = data.draw(st.binary(max_size=40).filter(lambda new: new != changed.read_bytes()))

    changed.write_bytes(contents)

    assert digest_of(root) != before


@pytest.mark.parametrize(
    "change",
    [
        "rename a file",
        "rename a folder",
        "add an empty file",
        "add an empty folder",
        "remove a file",
        "move a file",
        "replace a file with a symlink to it",
    ],
)
def test_any_change_of_names_or_kinds_changes_the_digest(copy: Path, change: str) -> None:
    before = digest_of(copy)
    chapter = copy / "pythonstart" / "pythonstart_chapter_0010"
    text = chapter / "text.md"
    if change == "rename a file":
        text.rename(chapter / "text.markdown")
    elif change == "rename a folder":
        chapter.rename(copy / "pythonstart" / "pythonstart_chapter_0011")
    elif change == "add an empty file":
        (chapter / "notes").touch()
    elif change == "add an empty folder":
        (chapter / "drafts").mkdir()
    elif change == "remove a file":
        text.unlink()
    elif change == "move a file":
        text.rename(copy / "pythonstart" / "text.md")
    else:
        moved = copy.parent / "text.md"
        text.rename(moved)
        text.symlink_to(moved)

    assert digest_of(copy) != before


def test_the_code_that_reads_the_folder_is_part_of_the_digest(
    copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = digest_of(copy)
    fingerprint = course_folder_snapshot.code_fingerprint()
    monkeypatch.setattr(
        course_folder_snapshot, "code_fingerprint", lambda: bytes(reversed(fingerprint))
    )

    assert digest_of(copy) != before


def test_the_code_fingerprint_is_that_of_the_core_and_the_store() -> None:
    store = Path(course_folder_snapshot.__file__).parent

    assert course_folder_snapshot.code_directories() == [store.parent / "handyman_core", store]


@pytest.mark.parametrize("module", ["catalogue_rules.py", "nested/rules.py"])
def test_the_fingerprint_changes_with_any_source_file(tmp_path: Path, module: str) -> None:
    package = write(tmp_path / "package", {"__init__.py": b"", module: b"A = 1\n"})
    before = course_folder_snapshot.sources_fingerprint([package])
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\x00")
    assert course_folder_snapshot.sources_fingerprint([package]) == before

    (package / module).write_bytes(b"A = 2\n")

    assert course_folder_snapshot.sources_fingerprint([package]) != before


def test_a_package_installed_without_sources_is_fingerprinted_by_its_bytecode(
    tmp_path: Path,
) -> None:
    package = write(tmp_path / "package", {"__pycache__/rules.cpython-311.pyc": b"1"})
    before = course_folder_snapshot.sources_fingerprint([package])

    (package / "__pycache__" / "rules.cpython-311.pyc").write_bytes(b"2")

    assert course_folder_snapshot.sources_fingerprint([package]) != before


def test_a_file_is_kept_up_to_the_limit_and_hashed_whole(tmp_path: Path) -> None:
    big = b"x" * (KEPT_BYTES + 10)
    one = write(tmp_path / "one", {"big": big + b"1"})
    other = write(tmp_path / "other", {"big": big + b"2"})

    snapshot = snapshot_folder(one)

    assert snapshot.contents["big"] == big[:KEPT_BYTES]
    assert snapshot.digest != digest_of(other)


def test_the_snapshot_holds_what_a_walk_of_the_folder_finds(tmp_path: Path) -> None:
    root = write(tmp_path / "courses", {"c/tags.json": b"{}", "c/ch/text.md": b"# T"})
    (root / "c" / "link").symlink_to(root / "c" / "tags.json")

    snapshot = snapshot_folder(root)

    assert snapshot.listings == {
        "": {"c": EntryKind.DIRECTORY},
        "c": {"ch": EntryKind.DIRECTORY, "link": EntryKind.SYMLINK, "tags.json": EntryKind.FILE},
        "c/ch": {"text.md": EntryKind.FILE},
    }
    assert snapshot.contents == {"c/tags.json": b"{}", "c/ch/text.md": b"# T"}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="the platform has no FIFOs")
def test_a_fifo_in_the_folder_is_listed_and_never_opened(tmp_path: Path) -> None:
    root = write(tmp_path / "courses", {"c/tags.json": b"{}"})
    os.mkfifo(root / "c" / "pipe")
    result: list[object] = []
    walker = threading.Thread(target=lambda: result.append(snapshot_folder(root)), daemon=True)

    walker.start()
    walker.join(timeout=10)

    assert result, "the walk blocked on the FIFO"
    assert snapshot_folder(root).listings["c"] == {
        "pipe": EntryKind.OTHER,
        "tags.json": EntryKind.FILE,
    }


def test_a_reading_carries_its_folders_digest(copy: Path) -> None:
    assert read_course_folder(copy).digest == digest_of(copy)


def test_a_folder_that_cannot_be_listed_is_recorded_with_the_reason(tmp_path: Path) -> None:
    snapshot = snapshot_folder(tmp_path / "nowhere")

    assert isinstance(snapshot.listings[""], str)
    assert snapshot.contents == {}
