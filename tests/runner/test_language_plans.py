"""How each language turns a request into stages (no sandbox needed): what each stage sees,
which limits it gets, and that the learner's program never sees its test wrapper."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handyman_core.catalogue import ProjectFile
from handyman_core.run_protocol import Language, RunKind, RunRequest
from handyman_runner.bwrap_command import Bind
from handyman_runner.completion import PythonCompletion
from handyman_runner.languages import cpp, golang, haskell, rust
from handyman_runner.languages.plugin import Toolchain
from handyman_runner.languages.python import MYPY
from handyman_runner.languages.registry import PLUGINS, LanguageTable, plugin_for
from handyman_runner.run_plan import RunPlan, StageRole
from handyman_runner.sandbox_errors import LanguageUnavailable

TOOLCHAINS = (
    Toolchain(
        Language.PYTHON,
        "python 3.11",
        (("python3", "/usr/bin/python3"),),
        features=frozenset({MYPY}),
        completion=PythonCompletion.load(),
    ),
    Toolchain(
        Language.GOLANG, "go 1.25.0", (("go", "/opt/go/bin/go"),), features=frozenset({golang.RACE})
    ),
    Toolchain(
        Language.RUST, "rust 1.96.0", (("cargo", "/usr/bin/cargo"), ("rustc", "/usr/bin/rustc"))
    ),
    Toolchain(
        Language.CPP,
        "clang 22",
        (("clang++", "/usr/lib/llvm-22/bin/clang++"), ("cmake", "/opt/cmake/bin/cmake")),
        features=frozenset({cpp.PROJECTS}),
    ),
    Toolchain(
        Language.HASKELL, "ghc 9.0.2", (("ghc", "/usr/bin/ghc"), ("python3", "/usr/bin/python3"))
    ),
)
TABLE = LanguageTable.of(TOOLCHAINS)
COURSE_LANGUAGES = [toolchain.language for toolchain in TOOLCHAINS]
TEST_WRAPPER = "THE TEST WRAPPER WITH THE EXPECTED ANSWERS"


def plan(request: RunRequest, artefacts: str | None = "/var/cache/artefacts") -> RunPlan:
    return TABLE.plan(request, artefacts, 64 * 1024 * 1024)


def task(language: Language, source_run: str = "code", **fields: Any) -> RunRequest:
    return RunRequest(
        kind=RunKind.TASK,
        language=language,
        source_run=source_run,
        source_test=TEST_WRAPPER,
        **fields,
    )


def roles(run_plan: RunPlan) -> list[StageRole]:
    return [stage.role for stage in run_plan.stages]


def test_every_language_of_the_catalogue_has_a_plug_in() -> None:
    assert {plugin.language for plugin in PLUGINS} == set(Language)
    for language in Language:
        assert plugin_for(language).language is language


@given(
    st.sampled_from(COURSE_LANGUAGES),
    st.sampled_from(["code", "plain_text"]),
    st.sampled_from(["", "module Main where\nmain = pure ()\n", "fn main() {}", "x = 1"]),
)
def test_the_learner_s_program_never_sees_its_test_wrapper(
    language: Language, task_type: str, source_run: str
) -> None:
    run_plan = plan(task(language, source_run, task_type=task_type))
    for stage in run_plan.stages:
        if stage.role in (StageRole.TYPE_CHECK, StageRole.BUILD, StageRole.RUN):
            assert all(TEST_WRAPPER.encode() not in file.data for file in stage.files)
    assert run_plan.stages[-1].role is StageRole.TEST


@given(st.sampled_from(COURSE_LANGUAGES))
def test_a_plain_text_task_runs_no_program(language: Language) -> None:
    run_plan = plan(task(language, "answer", task_type="plain_text"))
    assert StageRole.RUN not in roles(run_plan)


@given(st.sampled_from([Language.GOLANG, Language.RUST, Language.CPP, Language.HASKELL]))
def test_compiling_stages_get_build_limits_and_programs_do_not(language: Language) -> None:
    run_plan = plan(task(language, "module Main where\n"))
    for stage in run_plan.stages:
        assert (stage.build_limits is not None) == stage.role.compiles
        assert stage.wall_seconds is not None


def test_a_go_task_builds_and_runs_the_program_then_builds_and_runs_the_tests() -> None:
    run_plan = plan(task(Language.GOLANG))
    assert roles(run_plan) == [StageRole.BUILD, StageRole.RUN, StageRole.TEST_BUILD, StageRole.TEST]
    build, run, test_build, test = run_plan.stages
    assert [file.path for file in build.files] == ["go.mod", "main.go"]
    assert [file.path for file in test_build.files] == ["go.mod", "main.go", "main_test.go"]
    assert build.exports == (golang.PROGRAM,) and run.argv == (golang.PROGRAM,)
    assert run.files == () and run.address_space_bytes == golang.PROGRAM_ADDRESS_SPACE
    assert test.argv == (golang.TESTS, "-test.v", "-test.paniconexit0")
    assert Bind("/var/cache/artefacts", golang.ARTEFACTS_MOUNT) in run_plan.view.binds


def test_go_practice_tests_run_with_the_race_detector_in_the_package_directory() -> None:
    request = RunRequest(
        kind=RunKind.PRACTICE_TEST,
        language=Language.GOLANG,
        files=(ProjectFile("go.mod", "module x\n"), ProjectFile("cmd/main.go", "")),
        main_file="cmd/main.go",
    )
    test_build, test = plan(request).stages
    assert test_build.argv[2] == golang.RACE_TEST_BUILD_SCRIPT
    assert test_build.argv[-3:] == (golang.WARM_RACE_CACHE, golang.TESTS, "./cmd")
    assert test.argv[4] == "cmd" and test.address_space_bytes == golang.RACE_ADDRESS_SPACE


def test_a_cpp_build_links_the_modules_its_source_imports() -> None:
    source = "import std;\nimport TestHelpers;\n\nint main() {}\n"
    build = plan(task(Language.CPP, source)).stages[0]
    assert f"{cpp.MODULES}/TestHelpers.o" in build.argv
    assert f"{cpp.MODULES}/boost.ut.o" not in build.argv
    assert "-Werror" in build.argv and "-std=c++23" in build.argv


def test_cpp_projects_need_cmake() -> None:
    without_cmake = LanguageTable.of([Toolchain(Language.CPP, "clang 22", TOOLCHAINS[3].programs)])
    request = RunRequest(
        kind=RunKind.PRACTICE_RUN,
        language=Language.CPP,
        files=(ProjectFile("CMakeLists.txt", ""),),
        main_file="CMakeLists.txt",
    )
    with pytest.raises(LanguageUnavailable):
        without_cmake.plan(request, None, 1 << 20)
    assert roles(plan(request)) == [StageRole.BUILD, StageRole.RUN]


def test_a_haskell_main_module_is_checked_on_its_captured_output() -> None:
    run_plan = plan(task(Language.HASKELL, "module Main where\nmain = print 1\n"))
    assert roles(run_plan) == [StageRole.BUILD, StageRole.RUN, StageRole.TEST]
    assert run_plan.stages[1].output_file == haskell.CAPTURE
    assert run_plan.stages[2].argv[-1] == haskell.CAPTURE


def test_a_haskell_library_is_tested_by_its_hspec_suite() -> None:
    run_plan = plan(task(Language.HASKELL, "module UserCode where\n"))
    assert roles(run_plan) == [StageRole.BUILD, StageRole.TEST_BUILD, StageRole.TEST]
    assert "-no-link" in run_plan.stages[0].argv
    assert {file.path for file in run_plan.stages[1].files} == {"UserCode.hs", "Spec.hs"}


def test_rust_has_no_practice() -> None:
    request = RunRequest(
        kind=RunKind.PRACTICE_RUN,
        language=Language.RUST,
        files=(ProjectFile("src/main.rs", ""),),
        main_file="src/main.rs",
    )
    with pytest.raises(LanguageUnavailable):
        plan(request)
    assert roles(plan(task(Language.RUST))) == [
        StageRole.BUILD,
        StageRole.RUN,
        StageRole.TEST_BUILD,
        StageRole.TEST,
    ]
    assert plan(task(Language.RUST)).stages[1].wall_seconds == rust.PROGRAM_WALL_SECONDS


def test_a_go_practice_test_leaves_out_the_learner_s_own_test_files() -> None:
    request = RunRequest(
        kind=RunKind.PRACTICE_TEST,
        language=Language.GOLANG,
        files=(
            ProjectFile("go.mod", "module x\n"),
            ProjectFile("cmd/main.go", ""),
            ProjectFile("cmd/main_test.go", "course"),
            ProjectFile("cmd/mine_test.go", "func TestMain(m *testing.M) { os.Exit(0) }"),
        ),
        main_file="cmd/main.go",
        test_files=("cmd/main_test.go",),
    )
    test_build, test = plan(request).stages
    assert [file.path for file in test_build.files] == ["go.mod", "cmd/main.go", "cmd/main_test.go"]
    assert "cmd/mine_test.go" not in [file.path for file in test.files]
