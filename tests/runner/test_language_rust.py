"""Rust in the local sandbox: the task's `main.rs` builds with cargo (edition 2024) and runs,
then the test wrapper's `main.rs` does; every stage is bounded, unlike the original's `cargo
run`."""

from __future__ import annotations

import time

import pytest

from handyman_core.catalogue import ProjectFile
from handyman_core.errors import RunnerUnavailable
from handyman_core.run_protocol import Language, RunKind, RunLimits, RunRequest, Verdict
from handyman_runner.languages.rust import BUILD_WALL_SECONDS
from handyman_runner.local import LocalSandboxRunner
from tests.runner.sandbox_support import language_runner, task_request

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

SOLUTION = "fn square(x: i64) -> i64 {\n    x * x\n}\n"
PROGRAM = SOLUTION + 'fn main() {\n    println!("{}", square(7));\n}\n'
TESTS = (
    SOLUTION + "fn main() -> Result<(), String> {\n"
    '    if square(3) != 9 {\n        return Err(format!("square(3) = {}", square(3)));\n    }\n'
    '    println!("all checks passed");\n    Ok(())\n}\n'
)


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> LocalSandboxRunner:
    return language_runner(tmp_path_factory.mktemp("slots"), Language.RUST)


def test_a_task_builds_runs_and_passes_its_tests(runner: LocalSandboxRunner) -> None:
    result = runner.run(task_request(Language.RUST, PROGRAM, TESTS))
    assert result.verdict is Verdict.PASSED
    assert result.user_code_output == "49\n"
    assert result.tests_output == "all checks passed\n"


def test_a_wrapper_whose_main_returns_err_is_tests_failed(runner: LocalSandboxRunner) -> None:
    wrong = TESTS.replace("x * x", "x + x")
    result = runner.run(task_request(Language.RUST, PROGRAM, wrong))
    assert result.verdict is Verdict.TESTS_FAILED
    assert 'Error: "square(3) = 6"' in result.tests_output


def test_a_compile_error_is_run_failed_with_the_compiler_s_message(
    runner: LocalSandboxRunner,
) -> None:
    result = runner.run(task_request(Language.RUST, PROGRAM.replace("x * x", "x * y"), TESTS))
    assert result.verdict is Verdict.RUN_FAILED
    assert "cannot find value `y`" in result.user_code_output


def test_a_program_that_runs_for_ever_is_stopped(runner: LocalSandboxRunner) -> None:
    endless = SOLUTION + 'fn main() {\n    println!("started");\n    loop {}\n}\n'
    started = time.monotonic()
    result = runner.run(
        task_request(Language.RUST, endless, TESTS, limits=RunLimits(wall_seconds=2.0))
    )
    assert result.verdict is Verdict.TIMEOUT
    assert result.user_code_output.endswith("started\n")
    assert time.monotonic() - started < BUILD_WALL_SECONDS


def test_the_playground_runs_the_site_s_cargo_project(runner: LocalSandboxRunner) -> None:
    cargo = '[package]\nname = "proj_rust"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\n'
    request = RunRequest(
        kind=RunKind.PLAYGROUND,
        language=Language.RUST,
        files=(ProjectFile("Cargo.toml", cargo), ProjectFile("src/main.rs", PROGRAM)),
        main_file="src/main.rs",
    )
    result = runner.run(request)
    assert (result.verdict, result.user_code_output) == (Verdict.PASSED, "49\n")


def test_there_is_no_rust_practice(runner: LocalSandboxRunner) -> None:
    request = RunRequest(
        kind=RunKind.PRACTICE_TEST,
        language=Language.RUST,
        files=(ProjectFile("src/main.rs", PROGRAM),),
        main_file="src/main.rs",
    )
    with pytest.raises(RunnerUnavailable):
        runner.run(request)
