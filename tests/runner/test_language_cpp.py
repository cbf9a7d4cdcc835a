"""C++ in the local sandbox: tasks compile against the precompiled `std`, `boost.ut` and
`TestHelpers` modules with the course's flags; the test binary's exit status decides; practice
projects and the playground build with their own CMakeLists."""

from __future__ import annotations

from pathlib import Path

import pytest

from handyman_core.catalogue import Catalogue, ProjectFile
from handyman_core.run_protocol import Language, RunKind, RunRequest, Verdict
from handyman_runner.local import LocalSandboxRunner
from handyman_store.course_folder import read_course_folder
from tests.runner.sandbox_support import language_runner, task_request

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

SOLUTIONS = Path(__file__).parent / "practice_solutions"
SOLUTION = "double to_fahrenheit(double celsius) { return celsius * 9.0 / 5.0 + 32.0; }\n"
PROGRAM = (
    f'import std;\n\n{SOLUTION}\nint main() {{ std::println("{{}}", to_fahrenheit(100.0)); }}\n'
)


def wrapper(body: str, solution: str = SOLUTION) -> str:
    return (
        "import boost.ut;\nimport TestHelpers;\nimport std;\n\n"
        f"{solution}\nint main()\n{{\n    using namespace boost::ut;\n{body}\n}}\n"
    )


CONVERSION_TESTS = (
    '    "freezing"_test = [] {\n'
    '        expect(32.0_d == to_fahrenheit(0.0)) << "0 C is 32 F" << fatal;\n'
    '        expect(0.0_d == to_fahrenheit(-17.7778)) << "-17.7778 C is about 0 F";\n'
    "    };\n"
    '    "boiling"_test = [] {\n'
    '        expect(212.0_d == to_fahrenheit(100.0)) << "100 C is 212 F";\n'
    "    };\n"
)
CONVERSIONS = wrapper(CONVERSION_TESTS)


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> LocalSandboxRunner:
    return language_runner(tmp_path_factory.mktemp("slots"), Language.CPP)


@pytest.fixture(scope="module")
def catalogue(real_catalogue_path: Path) -> Catalogue:
    return read_course_folder(real_catalogue_path).catalogue


def cpp_task(source_run: str, source_test: str = CONVERSIONS, **fields: object) -> RunRequest:
    return task_request(Language.CPP, source_run, source_test, **fields)


def test_a_task_builds_runs_and_passes_its_tests(runner: LocalSandboxRunner) -> None:
    result = runner.run(cpp_task(PROGRAM))
    assert result.verdict is Verdict.PASSED, result.tests_output
    assert result.user_code_output == "212\n"
    assert result.tests_output == "All tests passed (3 asserts in 2 tests)\n"


def test_a_literal_compares_within_its_own_precision(runner: LocalSandboxRunner) -> None:
    near = wrapper('    "near"_test = [] { expect(1.5_d == 1.54); expect(1.50_d != 1.54); };')
    assert runner.run(cpp_task(PROGRAM, near)).verdict is Verdict.PASSED
    far = wrapper('    "far"_test = [] { expect(1.5_d == 1.61); };')
    result = runner.run(cpp_task(PROGRAM, far))
    assert result.verdict is Verdict.TESTS_FAILED
    assert "FAILED [1.5 == 1.61]" in result.tests_output


def test_a_failed_expectation_fails_the_tests_with_its_message(
    runner: LocalSandboxRunner,
) -> None:
    wrong = SOLUTION.replace("+ 32.0", "+ 30.0")
    result = runner.run(cpp_task(PROGRAM, wrapper(CONVERSION_TESTS, wrong)))
    assert result.verdict is Verdict.TESTS_FAILED
    assert "tests.cpp:" in result.tests_output
    assert "0 C is 32 F" in result.tests_output
    assert "tests:   2 | 2 failed" in result.tests_output


def test_a_fatal_failure_ends_its_test_and_the_next_test_runs(
    runner: LocalSandboxRunner,
) -> None:
    body = (
        '    "first"_test = [] { expect(false) << "stop here" << fatal; '
        'expect(false) << "never checked"; };\n'
        '    "second"_test = [] { expect(false) << "second ran"; };'
    )
    result = runner.run(cpp_task(PROGRAM, wrapper(body)))
    assert result.verdict is Verdict.TESTS_FAILED
    assert "stop here" in result.tests_output
    assert "never checked" not in result.tests_output
    assert "second ran" in result.tests_output


def test_exceptions_are_checked_with_throws(runner: LocalSandboxRunner) -> None:
    body = (
        '    "throws"_test = [] {\n'
        '        expect(throws<std::invalid_argument>([] { throw std::invalid_argument{"x"}; }));\n'
        "        expect(throws([] { throw 1; }));\n"
        "        expect(nothrow([] {}));\n"
        "    };"
    )
    assert runner.run(cpp_task(PROGRAM, wrapper(body))).verdict is Verdict.PASSED


def test_exiting_while_a_test_runs_fails_the_tests(runner: LocalSandboxRunner) -> None:
    cheat = "double to_fahrenheit(double) { std::exit(0); }\n"
    result = runner.run(cpp_task(PROGRAM, wrapper(CONVERSION_TESTS, cheat)))
    assert result.verdict is Verdict.TESTS_FAILED
    assert 'exited while test "freezing" was running' in result.tests_output


def test_a_warning_is_an_error_as_in_the_course(runner: LocalSandboxRunner) -> None:
    unused = PROGRAM.replace("int main() {", "int main() { 1 + 1;")
    result = runner.run(cpp_task(unused))
    assert result.verdict is Verdict.RUN_FAILED
    assert "expression result unused" in result.user_code_output


def test_the_test_wrapper_can_run_the_learner_s_program(runner: LocalSandboxRunner) -> None:
    body = (
        '    "program output"_test = [] {\n'
        '        expect(hlp::normalize(hlp::exec_user_solution()) == "212") << fatal;\n'
        "    };"
    )
    assert runner.run(cpp_task(PROGRAM, wrapper(body))).verdict is Verdict.PASSED


def test_printed_output_can_be_captured_by_the_tests(runner: LocalSandboxRunner) -> None:
    body = (
        '    "capture"_test = [] {\n'
        "        std::string captured;\n"
        "        {\n"
        "            hlp::stdout_capture_t capture([&captured](std::string&& text) {"
        " captured = std::move(text); });\n"
        '            std::println("inside");\n'
        "        }\n"
        '        std::println("outside");\n'
        '        expect(captured == "inside\\n") << captured;\n'
        "    };"
    )
    result = runner.run(cpp_task(PROGRAM, wrapper(body)))
    assert result.verdict is Verdict.PASSED
    assert result.tests_output.startswith("outside\n")


def practice(catalogue: Catalogue, kind: RunKind, *, solved: bool) -> RunRequest:
    project = catalogue.project("cpp_div_without_div")
    assert project is not None
    files = {file.path: file.contents for file in project.files}
    if solved:
        files["div.cppm"] = (SOLUTIONS / "cpp_div.cppm").read_text()
    return RunRequest(
        kind=kind,
        language=Language.CPP,
        files=tuple(ProjectFile(path, contents) for path, contents in files.items()),
        main_file="div.cppm",
    )


def test_the_practice_starting_project_does_not_build(
    runner: LocalSandboxRunner, catalogue: Catalogue
) -> None:
    result = runner.run(practice(catalogue, RunKind.PRACTICE_RUN, solved=False))
    assert result.verdict is Verdict.RUN_FAILED
    assert "does not return a value" in result.user_code_output


def test_a_solved_practice_project_runs(runner: LocalSandboxRunner, catalogue: Catalogue) -> None:
    result = runner.run(practice(catalogue, RunKind.PRACTICE_RUN, solved=True))
    assert (result.verdict, result.user_code_output) == (Verdict.PASSED, "2\n0\n")


def test_a_solved_practice_project_passes_its_tests(
    runner: LocalSandboxRunner, catalogue: Catalogue
) -> None:
    result = runner.run(practice(catalogue, RunKind.PRACTICE_TEST, solved=True))
    assert result.verdict is Verdict.PASSED, result.user_code_output + result.tests_output
    assert result.tests_output.startswith("All tests passed")


def test_the_playground_builds_the_site_s_default_project(runner: LocalSandboxRunner) -> None:
    """The site's default C++ playground project, in short: one target, `std` by its pcm."""
    cmake = (
        "cmake_minimum_required(VERSION 3.30.0 FATAL_ERROR)\n"
        "project(cpp_experiments LANGUAGES CXX)\n"
        "set(CMAKE_CXX_COMPILER clang++)\nset(CMAKE_CXX_EXTENSIONS OFF)\n"
        "set(CMAKE_CXX_STANDARD 23)\nset(CMAKE_CXX_STANDARD_REQUIRED ON)\n"
        'set(CMAKE_CXX_FLAGS "${CMAKE_CXX_FLAGS} -stdlib=libc++ -Werror -Wall '
        '-fmodule-file=std=/usr/local/lib/std.pcm")\n'
        "add_executable(cpp_experiments main.cpp)\n"
    )
    main = 'import std;\n\nint main() { std::println("Hello from the playground"); }\n'
    request = RunRequest(
        kind=RunKind.PLAYGROUND,
        language=Language.CPP,
        files=(ProjectFile("CMakeLists.txt", cmake), ProjectFile("main.cpp", main)),
        main_file="main.cpp",
    )
    result = runner.run(request)
    assert (result.verdict, result.user_code_output) == (
        Verdict.PASSED,
        "Hello from the playground\n",
    )
