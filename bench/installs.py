"""The Handyman installs a benchmark compares: this checkout, and optionally a baseline built
from a git revision, so that "before" and "after" come from one run on one machine.

A baseline is the revision's tree (`git archive`) installed into a venv of its own, both kept
under `.bench-cache/baseline-<commit>/` so the next run reuses them. Each install has its own
`handyman` command; the benchmark starts servers and imports with it, so every side runs its
own code, migrations included.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from attrs import frozen
from rich.console import Console

from bench.errors import BenchmarkError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CACHE = PROJECT_ROOT / ".bench-cache"
_READY = "installed.ok"


@frozen
class Install:
    label: str
    """"before" or "after" in reports."""
    revision: str
    """A commit id, or "working tree" for this checkout."""
    handyman: Path
    """Its `handyman` command."""


def current_install() -> Install:
    beside_python = Path(sys.executable).with_name("handyman")
    found = beside_python if beside_python.is_file() else shutil.which("handyman")
    if found is None:
        raise BenchmarkError("the handyman command is not installed: pip install -e .")
    return Install("after", f"{_describe_head()} + working tree", Path(found))


def baseline_install(reference: str, console: Console) -> Install:
    """The install of `reference` (any git revision), built on first use."""
    commit = _git("rev-parse", "--verify", f"{reference}^{{commit}}").strip()
    home = CACHE / f"baseline-{commit[:12]}"
    handyman = home / "venv" / "bin" / "handyman"
    if not (home / _READY).is_file():
        with console.status(f"installing baseline {reference} ({commit[:12]}) into {home}"):
            _build(commit, home)
    return Install("before", f"{reference} ({commit[:12]})", handyman)


def _build(commit: str, home: Path) -> None:
    shutil.rmtree(home, ignore_errors=True)
    source = home / "source"
    source.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as scratch:
        archive = Path(scratch) / "tree.tar"
        _git("archive", "--format=tar", f"--output={archive}", commit)
        with tarfile.open(archive) as tree:
            tree.extractall(source, filter="data")
    venv = home / "venv"
    _run([sys.executable, "-m", "venv", str(venv)])
    _run([str(venv / "bin" / "pip"), "install", "-q", str(source)])
    (home / _READY).write_text(commit + "\n")


def _describe_head() -> str:
    try:
        return _git("rev-parse", "--short=12", "HEAD").strip()
    except BenchmarkError:
        return "unknown commit"


def _git(*arguments: str) -> str:
    completed = subprocess.run(
        ["git", "-C", str(PROJECT_ROOT), *arguments], capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise BenchmarkError(f"git {' '.join(arguments)} failed: {completed.stderr.strip()}")
    return completed.stdout


def _run(command: list[str]) -> None:
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise BenchmarkError(
            f"{' '.join(command)} failed:\n{completed.stdout[-2000:]}{completed.stderr[-2000:]}"
        )
