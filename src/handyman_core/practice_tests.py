"""Which files judge a practice project, and the tree a `test` run gets.

A project is completed when its tests pass, so the tests must be the course's, not the
learner's: a learner who writes a `test_*.py` that passes, or edits the course's test file,
must not complete the project. For `test`, the catalogue's test files are laid over the
learner's tree (a learner file at the same path is replaced; one that is in their way, such as
a file where the course has a test directory, is dropped), and only the catalogue's test
modules are run. A learner's extra test files stay in the tree but are never run in `test`
mode.

Per language: a test module is a file the language's test runner would discover (Python's
unittest: `test*.py`; Go: `*_test.go`; the C++ course: `tests.cpp`), and a test file is a test
module or any file under a directory the course names for fixtures (Python: `test*`, such as
`test_data/`; Go and C++: `testdata`). A language without a rule here gets no
overlay, and its runner decides what to run.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from pathlib import PurePosixPath

from attrs import frozen

from handyman_core.catalogue import ProjectFile
from handyman_core.run_protocol import Language


@frozen
class TestLayout:
    """How a language's project tests are found."""

    __test__ = False
    module_pattern: str
    """A file-name pattern (fnmatch) of the test modules its runner discovers."""
    directory_pattern: str
    """Directories whose whole contents belong to the tests (fixtures)."""


TEST_LAYOUTS = {
    Language.PYTHON: TestLayout(module_pattern="test*.py", directory_pattern="test*"),
    Language.GOLANG: TestLayout(module_pattern="*_test.go", directory_pattern="testdata"),
    Language.CPP: TestLayout(module_pattern="tests.cpp", directory_pattern="testdata"),
}
"""Go compiles every `_test.go` file of a package into its test binary, so its runner also
leaves out the learner's own test files (`languages/golang`); C++ builds the `tests` target
of the course's CMakeLists from `tests.cpp`."""


@frozen
class JudgedTree:
    files: tuple[ProjectFile, ...]
    """The learner's tree with the catalogue's test files laid over it."""
    test_files: tuple[str, ...]
    """The catalogue's test modules, the only ones to run; () when the language has no rule."""


def is_test_module(layout: TestLayout, path: str) -> bool:
    return fnmatch.fnmatchcase(PurePosixPath(path).name, layout.module_pattern)


def is_test_file(layout: TestLayout, path: str) -> bool:
    directories = PurePosixPath(path).parts[:-1]
    return is_test_module(layout, path) or any(
        fnmatch.fnmatchcase(directory, layout.directory_pattern) for directory in directories
    )


def judged_tree(
    language: Language,
    catalogue_files: Iterable[ProjectFile],
    learner_files: Iterable[ProjectFile],
) -> JudgedTree:
    """The tree and the test modules of a `test` run. Paths are compared as given (both trees
    are checked and normalised before they get here)."""
    learner = tuple(learner_files)
    layout = TEST_LAYOUTS.get(language)
    if layout is None:
        return JudgedTree(learner, ())
    judges = tuple(file for file in catalogue_files if is_test_file(layout, file.path))
    judge_paths = {file.path for file in judges}
    judge_directories = {
        str(parent) for path in judge_paths for parent in PurePosixPath(path).parents
    }
    kept = tuple(
        file
        for file in learner
        if file.path not in judge_paths
        and file.path not in judge_directories
        and not _under_any(file.path, judge_paths)
    )
    modules = tuple(sorted(file.path for file in judges if is_test_module(layout, file.path)))
    return JudgedTree(kept + judges, modules)


def _under_any(path: str, files: set[str]) -> bool:
    return any(str(parent) in files for parent in PurePosixPath(path).parents)
