"""Shared helpers for the local sandbox tests: a runner (skipped where bubblewrap is missing,
a failure in CI), short-limit requests, and a /proc scan for processes a run left behind."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from handyman_core.run_protocol import Language, RunKind, RunLimits, RunRequest
from handyman_runner.local import LocalSandboxRunner, SandboxConfig, SandboxUnavailable
from tests.conftest import require

SHORT_WALL_SECONDS = 2.0
"""Wall limit of the tests' runs: long enough for a 2-core machine under load, short enough
that the timeout tests stay quick."""
SLACK_SECONDS = 1.5
"""How much later than its limit a killed run may come back on a busy machine."""


def sandbox_runner(slot_directory: Path, **config: Any) -> LocalSandboxRunner:
    require(
        shutil.which("bwrap") is not None,
        "bubblewrap is not installed (apt-get install bubblewrap)",
    )
    try:
        return LocalSandboxRunner(SandboxConfig(slot_directory=slot_directory, **config))
    except SandboxUnavailable as error:
        require(False, f"bubblewrap cannot build a sandbox on this machine: {error}")
        raise


def short_limits(**overrides: Any) -> RunLimits:
    values: dict[str, Any] = {"wall_seconds": SHORT_WALL_SECONDS, "cpu_seconds": 2.0}
    values.update(overrides)
    return RunLimits(**values)


def script(
    source: str,
    *,
    language: Language = Language.PYTHON,
    args: str = "",
    stdin: str = "",
    **limits: Any,
) -> RunRequest:
    return RunRequest(
        kind=RunKind.SCRIPT,
        language=language,
        source_run=source,
        cmd_line_args=args,
        stdin=stdin,
        limits=short_limits(**limits),
    )


def processes_with_marker(marker: str) -> list[int]:
    """Pids whose command line contains `marker` (this test process excluded)."""
    found = []
    needle = marker.encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                if needle in cmdline.read():
                    found.append(int(entry))
        except OSError:
            continue
    return found


def language_runner(slot_directory: Path, language: Language) -> LocalSandboxRunner:
    """A runner with `language`'s toolchain and its artefacts built (skipped where the toolchain
    is missing, a failure in CI, where .ci/run installs every toolchain)."""
    runner = sandbox_runner(slot_directory, prepare_in_background=False)
    discovery = next(found for found in runner.languages if found.language is language)
    require(
        discovery.available,
        f"{language.value} is not available here ({discovery.detail}); see "
        "`handyman runner languages` and the README's toolchain section",
    )
    problem = runner.prepare_artefacts().get(language)
    assert problem is None, f"building {language.value}'s artefacts failed:\n{problem}"
    return runner


def task_request(
    language: Language, source_run: str, source_test: str, **fields: Any
) -> RunRequest:
    """A task run with the defaults the site's requests get (tasks carry no limits)."""
    return RunRequest(
        kind=RunKind.TASK,
        language=language,
        source_run=source_run,
        source_test=source_test,
        **fields,
    )
