"""What the local sandbox runner does with each kind of request: stages, verdicts, outputs,
arguments, stdin, stopping, waiting for a slot."""

from __future__ import annotations

import os
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from attrs import evolve

from handyman_core.catalogue import ProjectFile
from handyman_core.errors import InvalidInput, RunnerUnavailable
from handyman_core.run_protocol import Language, RunKind, RunRequest, Verdict
from handyman_runner.languages.python import TYPE_CHECK_SKIPPED_NOTE
from handyman_runner.local import LanguageUnavailable, LocalSandboxRunner
from handyman_runner.sandbox_config import DEFAULT_MAX_LIMITS
from tests.conftest import require
from tests.runner.sandbox_support import (
    SHORT_WALL_SECONDS,
    SLACK_SECONDS,
    sandbox_runner,
    script,
    short_limits,
)

pytestmark = pytest.mark.sandbox

INJECT = "#INJECT-b585472fa"


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> LocalSandboxRunner:
    return sandbox_runner(tmp_path_factory.mktemp("slots"))


def task(source_run: str, source_test: str, **fields: Any) -> RunRequest:
    return RunRequest(
        kind=RunKind.TASK,
        language=Language.PYTHON,
        source_run=source_run,
        source_test=source_test,
        limits=short_limits(),
        **fields,
    )


def project(kind: RunKind, files: dict[str, str], **fields: Any) -> RunRequest:
    return RunRequest(
        kind=kind,
        language=Language.PYTHON,
        files=tuple(ProjectFile(path, contents) for path, contents in files.items()),
        limits=short_limits(),
        **fields,
    )


def test_a_passing_task_reports_both_outputs(runner: LocalSandboxRunner) -> None:
    result = runner.run(task("print('hello')", "print('all tests passed')"))
    assert result.verdict is Verdict.PASSED
    assert result.user_code_output == "hello\n"
    assert result.tests_output == "all tests passed\n"
    assert result.exit_code == 0


def test_a_failing_test_stage_is_tests_failed_with_its_output(runner: LocalSandboxRunner) -> None:
    result = runner.run(task("x = 1", "print('x should be 2')\nraise SystemExit(1)"))
    assert result.verdict is Verdict.TESTS_FAILED
    assert result.tests_output == "x should be 2\n"
    assert result.exit_code == 1


def test_a_crashing_program_is_run_failed_and_the_tests_do_not_run(
    runner: LocalSandboxRunner,
) -> None:
    result = runner.run(task("print('before')\n1 / 0", "print('tests ran')"))
    assert result.verdict is Verdict.RUN_FAILED
    assert result.user_code_output.startswith("before\n")
    assert "ZeroDivisionError" in result.user_code_output
    assert result.tests_output == ""


def test_a_plain_text_task_runs_only_its_tests(runner: LocalSandboxRunner) -> None:
    result = runner.run(task("print('program ran')", "print('tests ran')", task_type="plain_text"))
    assert result.verdict is Verdict.PASSED
    assert result.user_code_output == ""
    assert result.tests_output == "tests ran\n"


def test_a_task_without_a_run_source_runs_only_its_tests(runner: LocalSandboxRunner) -> None:
    result = runner.run(task("", "print('tests ran')"))
    assert result.verdict is Verdict.PASSED
    assert result.tests_output == "tests ran\n"


def test_the_program_reads_the_requests_stdin(runner: LocalSandboxRunner) -> None:
    result = runner.run(task("print(input()[::-1])", "pass", stdin="stressed\n"))
    assert result.user_code_output == "desserts\n"


def test_a_strict_type_check_is_enforced_or_reported_as_skipped(
    runner: LocalSandboxRunner,
) -> None:
    request = task("def f(x):\n    return x\nprint(f(1))", "pass", type_check=True)
    mypy_is_slow = short_limits(wall_seconds=30.0, cpu_seconds=30.0)
    result = runner.run(evolve(request, limits=mypy_is_slow))
    if runner.type_checker_available:
        assert result.verdict is Verdict.RUN_FAILED
        assert "no-untyped-def" in result.user_code_output
    else:
        assert result.verdict is Verdict.PASSED
        assert result.user_code_output == TYPE_CHECK_SKIPPED_NOTE + "1\n"


def test_a_bash_script_runs_with_bash(runner: LocalSandboxRunner) -> None:
    result = runner.run(script('echo "$BASH_VERSION" | cut -c1', language=Language.BASH))
    assert result.verdict is Verdict.PASSED
    assert result.user_code_output.strip().isdigit()


def test_a_failing_script_is_run_failed_with_its_exit_code(runner: LocalSandboxRunner) -> None:
    result = runner.run(script("echo oops >&2\nexit 3", language=Language.BASH))
    assert result.verdict is Verdict.RUN_FAILED
    assert result.user_code_output == "oops\n"
    assert result.exit_code == 3


def test_a_playground_runs_its_main_file_with_shell_split_arguments(
    runner: LocalSandboxRunner,
) -> None:
    files = {
        "app/main.py": "import sys\nfrom helpers import greet\nprint(greet(sys.argv[1:]))\n",
        "app/helpers.py": "def greet(names):\n    return ' & '.join(names)\n",
    }
    request = project(
        RunKind.PLAYGROUND, files, main_file="app/main.py", cmd_line_args="'Ada Lovelace' Alan"
    )
    result = runner.run(request)
    assert result.verdict is Verdict.PASSED
    assert result.user_code_output == "Ada Lovelace & Alan\n"


CALC = "def add(a, b):\n    return a + b\n"
CALC_TESTS = textwrap.dedent(
    """\
    import unittest
    from calc import add

    class TestAdd(unittest.TestCase):
        def test_adds(self):
            self.assertEqual(add(2, 3), 5)
    """
)


def test_a_practice_test_passes_when_the_unittest_file_passes(
    runner: LocalSandboxRunner,
) -> None:
    request = project(RunKind.PRACTICE_TEST, {"calc.py": CALC, "test_calc.py": CALC_TESTS})
    result = runner.run(request)
    assert result.verdict is Verdict.PASSED
    assert "Ran 1 test" in result.tests_output


def test_a_practice_test_fails_when_the_unittest_file_fails(runner: LocalSandboxRunner) -> None:
    broken = CALC.replace("a + b", "a - b")
    request = project(RunKind.PRACTICE_TEST, {"calc.py": broken, "test_calc.py": CALC_TESTS})
    result = runner.run(request)
    assert result.verdict is Verdict.TESTS_FAILED
    assert "FAILED (failures=1)" in result.tests_output


def test_a_real_course_task_passes_with_a_correct_solution(
    runner: LocalSandboxRunner, real_catalogue_path: Path
) -> None:
    wrapper = _first_task_wrapper(real_catalogue_path)
    solution = "err_service_unavailable = 503"
    result = runner.run(task(solution, wrapper.replace(INJECT, solution)))
    assert result.verdict is Verdict.PASSED


def test_a_real_course_task_fails_with_a_wrong_solution(
    runner: LocalSandboxRunner, real_catalogue_path: Path
) -> None:
    wrapper = _first_task_wrapper(real_catalogue_path)
    solution = "err_service_unavailable = 500"
    result = runner.run(task(solution, wrapper.replace(INJECT, solution)))
    assert result.verdict is Verdict.TESTS_FAILED
    assert result.tests_output == "Variable value is not 503\n"


def _first_task_wrapper(catalogue: Path) -> str:
    path = catalogue / "python/python_chapter_0010/tasks/python_chapter_0010_task_0010"
    return (path / "wrapper_test").read_text(encoding="utf-8")


def _real_project(catalogue: Path, project_id: str) -> dict[str, str]:
    root = catalogue / "python" / "practice" / project_id / "project"
    return {
        str(path.relative_to(root)): path.read_text(encoding="utf-8")
        for path in sorted(root.rglob("*.py"))
    }


def test_a_real_practice_project_stub_fails_its_tests(
    runner: LocalSandboxRunner, real_catalogue_path: Path
) -> None:
    files = _real_project(real_catalogue_path, "python_calculator")
    result = runner.run(project(RunKind.PRACTICE_TEST, files))
    assert result.verdict is Verdict.TESTS_FAILED
    assert "Ran 7 tests" in result.tests_output


def test_a_real_practice_project_runs_its_main_file(
    runner: LocalSandboxRunner, real_catalogue_path: Path
) -> None:
    files = _real_project(real_catalogue_path, "python_calculator")
    result = runner.run(project(RunKind.PRACTICE_RUN, files, main_file="calc.py"))
    assert result.verdict is Verdict.PASSED
    assert result.user_code_output.startswith("2+3 = None\n")


def test_a_language_whose_toolchain_is_missing_is_unavailable_and_only_it(
    tmp_path: Path,
) -> None:
    require(
        not any(os.path.exists(path) for path in ("/usr/bin/go", "/usr/local/go/bin/go")),
        "a system-wide Go is installed; this test needs one only in the toolchain directory",
    )
    empty = tmp_path / "toolchains"
    empty.mkdir()
    runner = sandbox_runner(tmp_path / "slots", toolchain_directory=str(empty))
    with pytest.raises(LanguageUnavailable) as raised:
        runner.run(RunRequest(kind=RunKind.SCRIPT, language=Language.GOLANG, source_run="main"))
    assert raised.value.message == "language not available on this runner: golang"
    assert runner.run(script("print('still here')")).user_code_output == "still here\n"


def test_a_main_file_outside_the_project_is_invalid_input(runner: LocalSandboxRunner) -> None:
    request = project(RunKind.PLAYGROUND, {"main.py": "print(1)"}, main_file="../main.py")
    with pytest.raises(InvalidInput) as raised:
        runner.run(request)
    assert set(raised.value.fields) == {"main_file"}


def test_output_so_far_shows_what_a_running_program_printed(runner: LocalSandboxRunner) -> None:
    handle = runner.start(script("import time\nprint('first')\ntime.sleep(10)\n"))
    try:
        deadline = time.monotonic() + SHORT_WALL_SECONDS
        while "first\n" not in handle.output_so_far() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert handle.output_so_far() == "first\n"
        assert not handle.done
    finally:
        handle.stop()
        handle.wait()


def test_stop_kills_a_running_sandbox_at_once(runner: LocalSandboxRunner) -> None:
    handle = runner.start(script("import time\nprint('working')\ntime.sleep(10)\n"))
    deadline = time.monotonic() + SHORT_WALL_SECONDS
    while "working\n" not in handle.output_so_far() and time.monotonic() < deadline:
        time.sleep(0.02)
    stopped_at = time.monotonic()
    handle.stop()
    result = handle.wait(timeout=SHORT_WALL_SECONDS)
    assert time.monotonic() - stopped_at < 0.5
    assert handle.stopped
    assert result.verdict is Verdict.RUN_FAILED
    assert result.user_code_output == "working\n"


def test_waiting_on_a_running_run_times_out(runner: LocalSandboxRunner) -> None:
    handle = runner.start(script("import time\ntime.sleep(10)\n"))
    try:
        with pytest.raises(TimeoutError):
            handle.wait(timeout=0.1)
    finally:
        handle.stop()
        handle.wait()


def test_concurrent_runs_keep_their_outputs_apart(runner: LocalSandboxRunner) -> None:
    first = runner.start(script("import time\ntime.sleep(0.3)\nprint('first')\n"))
    second = runner.start(script("import time\ntime.sleep(0.3)\nprint('second')\n"))
    assert first.wait().user_code_output == "first\n"
    assert second.wait().user_code_output == "second\n"


def test_a_request_cannot_exceed_the_wall_maximum(tmp_path: Path) -> None:
    capped = sandbox_runner(tmp_path, max_limits=evolve(DEFAULT_MAX_LIMITS, wall_seconds=1.0))
    started = time.monotonic()
    result = capped.run(script("import time\ntime.sleep(60)\n", wall_seconds=60.0))
    assert result.verdict is Verdict.TIMEOUT
    assert time.monotonic() - started < 1.0 + SLACK_SECONDS


def test_a_busy_host_answers_runner_unavailable_with_retry_after(tmp_path: Path) -> None:
    single = sandbox_runner(tmp_path, max_concurrent_runs=1, queue_timeout=0.2)
    handle = single.start(script("import time\ntime.sleep(10)\n"))
    try:
        with pytest.raises(RunnerUnavailable) as raised:
            single.run(script("print('second')"))
        assert raised.value.retry_after == single.config.retry_after_seconds
    finally:
        handle.stop()
        handle.wait()
    assert single.run(script("print('second')")).user_code_output == "second\n"


def test_a_place_is_taken_at_once_only_while_a_slot_is_free(tmp_path: Path) -> None:
    single = sandbox_runner(tmp_path, max_concurrent_runs=1, queue_timeout=0.2)
    first = single.reserve(script("print('first')"), wait=False)
    assert first is not None
    assert single.reserve(script("print('second')"), wait=False) is None

    first.release()
    second = single.reserve(script("print('second')"), wait=False)
    assert second is not None
    assert second.start().wait().user_code_output == "second\n"


def test_a_place_given_back_runs_nothing_and_cannot_be_started(tmp_path: Path) -> None:
    single = sandbox_runner(tmp_path, max_concurrent_runs=1)
    place = single.reserve(script("print('never')"), wait=True)
    assert place is not None
    place.release()
    with pytest.raises(RunnerUnavailable):
        place.start()
