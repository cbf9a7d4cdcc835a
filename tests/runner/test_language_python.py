"""The python plug-in: the host's /usr/bin/python3 with what the original image added (its
PYTHON_VERSION variable, the operator's extra packages on PYTHONPATH)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from handyman_core.run_protocol import Language, Verdict
from handyman_runner.languages.plugin import HostProbe
from handyman_runner.languages.python import PACKAGES_DIRECTORY, PythonPlugin
from tests.runner.sandbox_support import sandbox_runner, script

pytestmark = pytest.mark.sandbox


@pytest.fixture
def toolchain_root() -> Iterator[Path]:
    """A toolchain directory the sandbox's host uid can read (pytest's tmp_path is private)."""
    root = Path(tempfile.mkdtemp(prefix="handyman-toolchains-"))
    os.chmod(root, 0o755)
    try:
        yield root
    finally:
        shutil.rmtree(root)


def test_the_sandbox_sets_python_version_as_the_original_image_did(tmp_path: Path) -> None:
    runner = sandbox_runner(tmp_path)
    result = runner.run(script("import os, sys\nprint(os.environ['PYTHON_VERSION'])\n"))
    assert result.verdict is Verdict.PASSED
    expected = PythonPlugin().discover(HostProbe(str(tmp_path))).detail.split()[-1]
    assert result.user_code_output == f"{expected}\n"


def test_packages_in_the_toolchain_directory_are_importable(
    tmp_path: Path, toolchain_root: Path
) -> None:
    packages = toolchain_root / PACKAGES_DIRECTORY
    packages.mkdir(mode=0o755)
    (packages / "extra_module.py").write_text("ANSWER = 42\n")
    os.chmod(packages / "extra_module.py", 0o644)
    runner = sandbox_runner(tmp_path, toolchain_directory=str(toolchain_root))
    result = runner.run(script("import extra_module\nprint(extra_module.ANSWER)\n"))
    assert (result.verdict, result.user_code_output) == (Verdict.PASSED, "42\n")


def test_without_a_packages_directory_discovery_says_what_fails(toolchain_root: Path) -> None:
    discovery = PythonPlugin().discover(HostProbe(str(toolchain_root)))
    assert discovery.language is Language.PYTHON
    assert discovery.available
    assert any("pympler" in note for note in discovery.notes)


def test_the_packages_directory_stays_read_only(tmp_path: Path, toolchain_root: Path) -> None:
    (toolchain_root / PACKAGES_DIRECTORY).mkdir(mode=0o777)
    runner = sandbox_runner(tmp_path, toolchain_directory=str(toolchain_root))
    source = f"open('{toolchain_root / PACKAGES_DIRECTORY}/planted.py', 'w')\n"
    result = runner.run(script(source))
    assert result.verdict is Verdict.RUN_FAILED
    assert "Read-only file system" in result.user_code_output
