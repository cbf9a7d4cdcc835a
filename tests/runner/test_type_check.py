"""`run_static_type_checker` runs `mypy --strict` on the learner's code inside the sandbox before
the program, as the original runner's `-t strict` did. Needs Debian's `mypy` (apt-get install
mypy) for /usr/bin/python3."""

from __future__ import annotations

from pathlib import Path

import pytest

from handyman_core.run_protocol import Language, RunKind, RunLimits, RunRequest, Verdict
from handyman_runner.local import LocalSandboxRunner
from tests.conftest import require
from tests.runner.sandbox_support import sandbox_runner

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

TYPE_CHECK_LIMITS = RunLimits(wall_seconds=60.0, cpu_seconds=30.0)
"""mypy takes about a second here, more on a loaded machine."""


@pytest.fixture
def runner(tmp_path: Path) -> LocalSandboxRunner:
    runner = sandbox_runner(tmp_path / "slots")
    require(
        runner.type_checker_available,
        "mypy is not installed for the sandbox's python3 (apt-get install mypy)",
    )
    return runner


def checked_task(source: str) -> RunRequest:
    return RunRequest(
        kind=RunKind.TASK,
        language=Language.PYTHON,
        source_run=source,
        source_test="print('tests ran')\n",
        type_check=True,
        limits=TYPE_CHECK_LIMITS,
    )


def test_well_typed_code_passes_the_type_check_and_runs(runner: LocalSandboxRunner) -> None:
    result = runner.run(checked_task("count: int = 3\nprint(count)\n"))
    assert result.verdict is Verdict.PASSED
    assert "3\n" in result.user_code_output


def test_a_type_error_is_a_run_failure_that_names_it(runner: LocalSandboxRunner) -> None:
    result = runner.run(checked_task("count: int = 'three'\nprint(count)\n"))
    assert result.verdict is Verdict.RUN_FAILED
    assert "Incompatible types in assignment" in result.user_code_output
    assert "tests ran" not in result.tests_output


def test_without_the_flag_the_same_code_is_not_type_checked(runner: LocalSandboxRunner) -> None:
    request = checked_task("count: int = 'three'\nprint(count)\n")
    unchecked = RunRequest(
        kind=request.kind,
        language=request.language,
        source_run=request.source_run,
        source_test=request.source_test,
        limits=request.limits,
    )
    assert runner.run(unchecked).verdict is Verdict.PASSED
