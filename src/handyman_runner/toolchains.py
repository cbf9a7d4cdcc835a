"""Which host paths the sandbox sees: the system trees, mounted read-only in every stage.
Language plug-ins (`handyman_runner.languages`) look for toolchains there (and in the
operator's toolchain directory), never on the service's own PATH: a virtualenv's or pyenv's
python lives under /root or /home, which stays hidden."""

from __future__ import annotations

import os

SANDBOX_PATH = "/usr/local/bin:/usr/bin:/bin"
SYSTEM_TREES = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
"""Host trees the sandbox mounts read-only (or recreates as symlinks into /usr)."""


def visible_in_sandbox(path: str) -> bool:
    real = os.path.realpath(path)
    return any(real == tree or real.startswith(tree + "/") for tree in SYSTEM_TREES)
