"""Go in the local sandbox: tasks build and run, then their tests build and run; practice
projects run and test (with the race detector); the playground runs the site's project."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from handyman_core.catalogue import Catalogue, ProjectFile
from handyman_core.run_protocol import Language, RunKind, RunLimits, RunRequest, Verdict
from handyman_runner.languages.golang import BUILD_WALL_SECONDS
from handyman_runner.local import LocalSandboxRunner
from handyman_store.course_folder import read_course_folder
from tests.conftest import require
from tests.runner.sandbox_support import language_runner, task_request

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

SOLUTIONS = Path(__file__).parent / "practice_solutions"
PROGRAM = (
    'package main\n\nimport "fmt"\n\nfunc double(x int) int { return 2 * x }\n\n'
    "func main() {\n\tfmt.Println(double(21))\n}\n"
)
TESTS = (
    'package main\n\nimport "testing"\n\nfunc TestDouble(t *testing.T) {\n'
    '\tif double(2) != 4 {\n\t\tt.Fatalf("double(2) = %d", double(2))\n\t}\n}\n'
)


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> LocalSandboxRunner:
    return language_runner(tmp_path_factory.mktemp("slots"), Language.GOLANG)


@pytest.fixture(scope="module")
def catalogue(real_catalogue_path: Path) -> Catalogue:
    return read_course_folder(real_catalogue_path).catalogue


def go_task(source_run: str, source_test: str = TESTS, **fields: object) -> RunRequest:
    return task_request(Language.GOLANG, source_run, source_test, **fields)


def project(kind: RunKind, files: dict[str, str], main_file: str) -> RunRequest:
    return RunRequest(
        kind=kind,
        language=Language.GOLANG,
        files=tuple(ProjectFile(path, contents) for path, contents in files.items()),
        main_file=main_file,
    )


def test_a_task_builds_runs_and_passes_its_tests(runner: LocalSandboxRunner) -> None:
    result = runner.run(go_task(PROGRAM))
    assert result.verdict is Verdict.PASSED
    assert result.user_code_output == "42\n"
    assert "--- PASS: TestDouble" in result.tests_output


def test_a_failing_test_is_tests_failed(runner: LocalSandboxRunner) -> None:
    result = runner.run(go_task(PROGRAM.replace("2 * x", "3 * x")))
    assert result.verdict is Verdict.TESTS_FAILED
    assert "double(2) = 6" in result.tests_output


def test_a_program_that_does_not_compile_is_run_failed(runner: LocalSandboxRunner) -> None:
    result = runner.run(go_task(PROGRAM.replace("return 2 * x", "return 2 * y")))
    assert result.verdict is Verdict.RUN_FAILED
    assert "undefined: y" in result.user_code_output
    assert result.tests_output == ""


def test_vet_findings_fail_the_tests_as_go_test_does(runner: LocalSandboxRunner) -> None:
    printf = PROGRAM.replace("fmt.Println(double(21))", 'fmt.Printf("%d\\n", "x")')
    result = runner.run(go_task(printf))
    assert result.verdict is Verdict.TESTS_FAILED
    assert "wrong type string" in result.tests_output


def test_exiting_0_inside_a_test_fails_it(runner: LocalSandboxRunner) -> None:
    cheat = PROGRAM.replace(
        "func double(x int) int { return 2 * x }",
        "func double(x int) int { os.Exit(0); return 0 }",
    ).replace('import "fmt"', 'import (\n\t"fmt"\n\t"os"\n)')
    result = runner.run(go_task(cheat))
    assert result.verdict is Verdict.TESTS_FAILED
    assert "unexpected call to os.Exit(0) during test" in result.tests_output


def test_the_program_never_sees_the_test_wrapper(runner: LocalSandboxRunner) -> None:
    lister = (
        'package main\n\nimport (\n\t"fmt"\n\t"os"\n)\n\n'
        "func double(x int) int { return 2 * x }\n\n"
        'func main() {\n\tentries, _ := os.ReadDir(".")\n\tfor _, e := range entries {\n'
        "\t\tfmt.Println(e.Name())\n\t}\n}\n"
    )
    result = runner.run(go_task(lister))
    assert result.verdict is Verdict.PASSED
    assert "main_test.go" not in result.user_code_output
    assert "main.go" not in result.user_code_output


def test_a_program_that_runs_for_ever_is_stopped_at_its_wall_limit(
    runner: LocalSandboxRunner,
) -> None:
    endless = PROGRAM.replace("fmt.Println(double(21))", 'fmt.Println("started")\n\tfor {\n\t}')
    limits = RunLimits(wall_seconds=2.0)
    started = time.monotonic()
    result = runner.run(go_task(endless, limits=limits))
    assert result.verdict is Verdict.TIMEOUT
    assert result.user_code_output == "started\n"
    assert time.monotonic() - started < BUILD_WALL_SECONDS


def test_the_playground_runs_the_site_project_in_its_package_directory(
    runner: LocalSandboxRunner,
) -> None:
    files = {
        "go.mod": "module senjun/user/hello\n\ngo 1.22\n",
        "cmd/main.go": 'package main\n\nimport (\n\t"fmt"\n\t"os"\n)\n\nfunc main() {\n'
        '\twd, _ := os.Getwd()\n\tfmt.Println("hello from", wd)\n}\n',
    }
    result = runner.run(project(RunKind.PLAYGROUND, files, "cmd/main.go"))
    assert result.verdict is Verdict.PASSED
    assert result.user_code_output == "hello from /work/cmd\n"


def pipeline(catalogue: Catalogue, kind: RunKind, solved: bool = False) -> RunRequest:
    practice = catalogue.project("golang_pipeline")
    assert practice is not None
    files = {file.path: file.contents for file in practice.files}
    if solved:
        files["cmd/worker.go"] = (SOLUTIONS / "golang_pipeline_worker.go").read_text()
    return project(kind, files, "cmd/worker.go")


def test_the_practice_starting_project_runs(
    runner: LocalSandboxRunner, catalogue: Catalogue
) -> None:
    result = runner.run(pipeline(catalogue, RunKind.PRACTICE_RUN))
    assert result.verdict is Verdict.PASSED
    assert result.user_code_output.startswith("result: \n")


def test_the_practice_tests_of_the_starting_project_fail(
    runner: LocalSandboxRunner, catalogue: Catalogue
) -> None:
    result = runner.run(pipeline(catalogue, RunKind.PRACTICE_TEST))
    assert result.verdict is Verdict.TESTS_FAILED
    assert "results not match" in result.tests_output


def test_a_solved_practice_project_passes_its_race_checked_tests(
    runner: LocalSandboxRunner, catalogue: Catalogue
) -> None:
    result = runner.run(pipeline(catalogue, RunKind.PRACTICE_TEST, solved=True))
    assert result.verdict is Verdict.PASSED, result.tests_output
    assert "--- PASS: TestWorker" in result.tests_output
    assert "DATA RACE" not in result.tests_output


def test_a_tracked_run_of_one_go_file(runner: LocalSandboxRunner) -> None:
    request = RunRequest(
        kind=RunKind.SCRIPT, language=Language.GOLANG, source_run=PROGRAM, stdin="ignored"
    )
    result = runner.run(request)
    assert (result.verdict, result.user_code_output) == (Verdict.PASSED, "42\n")


def test_a_go_program_s_memory_is_the_request_s_despite_its_address_space(
    runner: LocalSandboxRunner,
) -> None:
    require(
        runner.resource_isolation.startswith("per run"),
        f"no cgroup bounds a run's memory here ({runner.resource_isolation})",
    )
    hog = PROGRAM.replace(
        "fmt.Println(double(21))",
        "data := make([]byte, 180<<20)\n\tfor i := range data {\n\t\tdata[i] = 1\n\t}\n"
        "\tfmt.Println(len(data))",
    )
    assert runner.run(go_task(hog)).verdict is Verdict.PASSED
    result = runner.run(go_task(hog, limits=RunLimits(memory_bytes=64 << 20)))
    assert result.verdict is Verdict.MEMORY_LIMIT
