"""The runner refuses to start without a working bubblewrap: it never runs code unsandboxed."""

from __future__ import annotations

from pathlib import Path

import pytest

from handyman_runner.local import LocalSandboxRunner, SandboxConfig, SandboxUnavailable


def _config(tmp_path: Path, bwrap: str) -> SandboxConfig:
    return SandboxConfig(bwrap_path=bwrap, slot_directory=tmp_path / "slots")


def _fake_bwrap(tmp_path: Path, body: str) -> str:
    fake = tmp_path / "bwrap"
    fake.write_text(f"#!/bin/sh\n{body}\n")
    fake.chmod(0o755)
    return str(fake)


def test_a_missing_bwrap_says_how_to_install_it(tmp_path: Path) -> None:
    with pytest.raises(SandboxUnavailable, match="apt-get install bubblewrap"):
        LocalSandboxRunner(_config(tmp_path, str(tmp_path / "no-such-bwrap")))


def test_a_bwrap_not_on_path_says_how_to_install_it(tmp_path: Path) -> None:
    with pytest.raises(SandboxUnavailable, match="apt-get install bubblewrap"):
        LocalSandboxRunner(_config(tmp_path, "handyman-no-such-bwrap"))


def test_a_bwrap_without_size_capped_tmpfs_is_too_old(tmp_path: Path) -> None:
    fake = _fake_bwrap(tmp_path, 'echo "usage: bwrap [OPTIONS...] [--] COMMAND [ARGS...]"')
    with pytest.raises(SandboxUnavailable, match=r"0\.8\.0 or newer"):
        LocalSandboxRunner(_config(tmp_path, fake))


def test_a_bwrap_that_cannot_build_a_sandbox_is_refused(tmp_path: Path) -> None:
    options = "--size --perms --disable-userns --json-status-fd"
    fake = _fake_bwrap(
        tmp_path,
        f'if [ "$1" = --help ]; then echo "{options}"; exit 0; fi\n'
        'echo "bwrap: No permissions to create a new namespace" >&2; exit 1',
    )
    with pytest.raises(SandboxUnavailable, match="cannot build a sandbox"):
        LocalSandboxRunner(_config(tmp_path, fake))
