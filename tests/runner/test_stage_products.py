"""What one stage of a run may hand the next: the files a build stage declares it produces, and
a stage's printed output where a language's tests read it. Nothing else crosses stages."""

from __future__ import annotations

import pytest

from handyman_runner.local import LocalSandboxRunner
from handyman_runner.run_plan import RunPlan, SandboxFile, Stage, StageRole
from tests.runner.sandbox_support import sandbox_runner, short_limits

pytestmark = pytest.mark.sandbox

SH = "/bin/sh"


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> LocalSandboxRunner:
    return sandbox_runner(tmp_path_factory.mktemp("slots"))


def run(runner: LocalSandboxRunner, *stages: Stage) -> str:
    result = runner.execute_plan(RunPlan(stages), short_limits())
    return f"{result.verdict.value}|{result.user_code_output}{result.tests_output}"


def shell(
    role: StageRole,
    script: str,
    *,
    files: tuple[SandboxFile, ...] = (),
    exports: tuple[str, ...] = (),
    output_file: str | None = None,
) -> Stage:
    return Stage(role, (SH, "-c", script), files, exports=exports, output_file=output_file)


def test_a_built_program_is_run_by_the_next_stage(runner: LocalSandboxRunner) -> None:
    build = shell(
        StageRole.BUILD,
        "mkdir build && printf '#!/bin/sh\\necho built program\\n' > build/main && "
        "chmod +x build/main",
        exports=("build/main",),
    )
    program = Stage(StageRole.RUN, ("build/main",), ())
    assert run(runner, build, program) == "passed|built program\n"


def test_a_build_that_leaves_no_product_fails_the_run(runner: LocalSandboxRunner) -> None:
    build = shell(StageRole.BUILD, "true", exports=("build/main",))
    outcome = run(runner, build, Stage(StageRole.RUN, ("build/main",), ()))
    assert outcome == "run_failed|the build did not leave build/main behind\n"


def test_a_failed_build_hands_nothing_on(runner: LocalSandboxRunner) -> None:
    build = shell(StageRole.BUILD, "touch main; echo broken; exit 3", exports=("main",))
    assert run(runner, build, Stage(StageRole.RUN, ("./main",), ())) == "run_failed|broken\n"


def test_a_failed_test_build_is_the_tests_failure(runner: LocalSandboxRunner) -> None:
    build = shell(StageRole.TEST_BUILD, "echo no tests; exit 1", exports=("tests",))
    assert run(runner, build) == "tests_failed|no tests\n"


def test_a_directory_is_not_a_product(runner: LocalSandboxRunner) -> None:
    build = shell(StageRole.BUILD, "mkdir -p out/x", exports=("out",))
    assert run(runner, build).startswith("run_failed|")


def test_files_a_stage_leaves_that_it_does_not_export_are_gone(
    runner: LocalSandboxRunner,
) -> None:
    build = shell(
        StageRole.BUILD, "echo a > kept; echo b > left; echo c > /tmp/left", exports=("kept",)
    )
    check = shell(StageRole.RUN, "cat kept; test ! -e left && test ! -e /tmp/left && echo clean")
    assert run(runner, build, check) == "passed|a\nclean\n"


def test_a_stage_does_not_see_an_earlier_stage_s_own_files(runner: LocalSandboxRunner) -> None:
    first = shell(StageRole.BUILD, "cat source", files=(SandboxFile("source", b"src\n"),))
    second = shell(StageRole.RUN, "test ! -e source && echo unseen")
    assert run(runner, first, second) == "passed|src\nunseen\n"


def test_a_stage_output_becomes_a_file_of_the_later_stages(runner: LocalSandboxRunner) -> None:
    program = shell(StageRole.RUN, "echo 42; echo answer", output_file="capture.txt")
    check = shell(StageRole.TEST, "grep -q '^answer$' capture.txt && echo checked")
    assert run(runner, program, check) == "passed|42\nanswer\nchecked\n"


def test_a_product_replaces_a_stage_file_of_the_same_path(runner: LocalSandboxRunner) -> None:
    build = shell(StageRole.BUILD, "echo new > data", exports=("data",))
    later = shell(StageRole.RUN, "cat data", files=(SandboxFile("data", b"old\n"),))
    assert run(runner, build, later) == "passed|new\n"


def test_a_product_keeps_whether_it_is_executable(runner: LocalSandboxRunner) -> None:
    build = shell(StageRole.BUILD, "echo x > data; cp /bin/true tool", exports=("data", "tool"))
    modes = shell(StageRole.RUN, "stat -c '%n %a' data tool")
    assert run(runner, build, modes) == "passed|data 644\ntool 755\n"
