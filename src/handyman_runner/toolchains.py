"""Which languages the sandbox can run, found on the host's system trees (the only ones the
sandbox sees), never on the service's own PATH: a virtualenv's or pyenv's python lives under
/root or /home, which stays hidden.

Only interpreted languages are offered. The courses' C++ wrappers `import std;`, `boost.ut` and
a `TestHelpers` module, so a stock g++ cannot build them; Go, Rust and Haskell need their course
images' toolchains and caches. Until a launcher for them exists, asking for them is
`LanguageUnavailable`, whatever happens to be installed.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping

from attrs import frozen

from handyman_core.run_protocol import Language
from handyman_runner.completion import Completion, PythonCompletion

SANDBOX_PATH = "/usr/local/bin:/usr/bin:/bin"
SYSTEM_TREES = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
"""Host trees the sandbox mounts read-only (or recreates as symlinks into /usr)."""

_INTERPRETERS = ((Language.PYTHON, "python3"), (Language.BASH, "bash"))


@frozen
class Toolchain:
    language: Language
    interpreter: str
    """Absolute path, valid inside the sandbox."""
    completion: Completion | None = None
    """How this language's test stage proves it ran to the end; None: by its exit status."""


def discover_toolchains() -> Mapping[Language, Toolchain]:
    found: dict[Language, Toolchain] = {}
    for language, program in _INTERPRETERS:
        path = shutil.which(program, path=SANDBOX_PATH)
        if path is not None and visible_in_sandbox(path):
            completion = PythonCompletion.load() if language is Language.PYTHON else None
            found[language] = Toolchain(language, path, completion)
    return found


def visible_in_sandbox(path: str) -> bool:
    real = os.path.realpath(path)
    return any(real == tree or real.startswith(tree + "/") for tree in SYSTEM_TREES)
