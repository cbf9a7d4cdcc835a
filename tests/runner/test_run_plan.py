"""How requests become sandbox files and stages (no sandbox needed)."""

from __future__ import annotations

import posixpath
import shlex
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handyman_core.catalogue import ProjectFile
from handyman_core.errors import InvalidInput
from handyman_core.run_protocol import Language, RunKind, RunRequest
from handyman_runner.completion import PythonCompletion
from handyman_runner.languages.plugin import Toolchain
from handyman_runner.languages.python import MYPY, TYPE_CHECK_SKIPPED_NOTE
from handyman_runner.languages.registry import LanguageTable
from handyman_runner.run_plan import RunPlan, StageRole, checked_project_path
from handyman_runner.sandbox_errors import LanguageUnavailable

BASH = Toolchain(Language.BASH, "bash 5", (("bash", "/usr/bin/bash"),))


def python(*, type_checker: bool) -> Toolchain:
    return Toolchain(
        Language.PYTHON,
        "python 3",
        (("python3", "/usr/bin/python3"),),
        features=frozenset({MYPY}) if type_checker else frozenset(),
        completion=PythonCompletion.load(),
    )


def plan(
    request: RunRequest, *, type_checker: bool = False, max_total_bytes: int = 1024 * 1024
) -> RunPlan:
    table = LanguageTable.of([python(type_checker=type_checker), BASH])
    return table.plan(request, None, max_total_bytes)


def task(**fields: Any) -> RunRequest:
    values: dict[str, Any] = {"source_run": "print(1)", "source_test": "pass"}
    values.update(fields)
    return RunRequest(kind=RunKind.TASK, language=Language.PYTHON, **values)


def roles(run_plan: RunPlan) -> list[StageRole]:
    return [stage.role for stage in run_plan.stages]


def test_a_code_task_runs_the_program_then_the_tests() -> None:
    run_plan = plan(task())
    assert roles(run_plan) == [StageRole.RUN, StageRole.TEST]
    assert [stage.argv[1:] for stage in run_plan.stages] == [("task",), ("task_tests",)]


def test_each_stage_sees_only_the_file_it_runs() -> None:
    run_plan = plan(task(type_check=True), type_checker=True)
    assert [[file.path for file in stage.files] for stage in run_plan.stages] == [
        ["task"],
        ["task"],
        ["task_tests"],
    ]


def test_only_the_test_stage_runs_under_the_completion_harness() -> None:
    run_plan = plan(task())
    assert [stage.completion is not None for stage in run_plan.stages] == [False, True]


def test_a_language_without_a_harness_is_judged_by_exit_status() -> None:
    request = RunRequest(kind=RunKind.TASK, language=Language.BASH, source_test="true")
    (stage,) = plan(request).stages
    assert stage.completion is None


def test_a_plain_text_task_has_only_a_test_stage() -> None:
    assert roles(plan(task(task_type="plain_text"))) == [StageRole.TEST]


def test_a_task_without_a_run_source_writes_no_task_file() -> None:
    run_plan = plan(task(source_run=""))
    assert [file.path for stage in run_plan.stages for file in stage.files] == ["task_tests"]
    assert roles(run_plan) == [StageRole.TEST]


def test_a_task_without_tests_is_invalid() -> None:
    with pytest.raises(InvalidInput) as raised:
        plan(task(source_test=""))
    assert set(raised.value.fields) == {"source_test"}


def test_a_type_checked_python_task_runs_mypy_strict_first() -> None:
    run_plan = plan(task(type_check=True), type_checker=True)
    assert roles(run_plan) == [StageRole.TYPE_CHECK, StageRole.RUN, StageRole.TEST]
    assert "--strict" in run_plan.stages[0].argv
    assert run_plan.stages[0].argv[-1] == "task"


def test_a_type_check_without_mypy_is_skipped_with_a_note() -> None:
    run_plan = plan(task(type_check=True), type_checker=False)
    assert roles(run_plan) == [StageRole.RUN, StageRole.TEST]
    assert run_plan.note == TYPE_CHECK_SKIPPED_NOTE


def test_only_the_program_stage_reads_stdin() -> None:
    run_plan = plan(task(stdin="42\n"))
    assert [stage.stdin for stage in run_plan.stages] == [b"42\n", None]


def test_lone_surrogates_in_code_do_not_fail_the_plan() -> None:
    run_plan = plan(task(source_run="print('\ud800')"))
    assert run_plan.stages[0].files[0].data == b"print('?')"


@pytest.mark.parametrize("language", [Language.GOLANG, Language.CPP])
def test_a_language_without_a_toolchain_is_unavailable(language: Language) -> None:
    with pytest.raises(LanguageUnavailable, match=f"runner: {language.value}$"):
        plan(RunRequest(kind=RunKind.TASK, language=language, source_test="x"))


def test_practice_tests_run_unittest_discovery() -> None:
    request = RunRequest(
        kind=RunKind.PRACTICE_TEST,
        language=Language.PYTHON,
        files=(ProjectFile("calc.py", ""), ProjectFile("test_calc.py", "")),
    )
    (stage,) = plan(request).stages
    assert stage.role is StageRole.TEST
    assert stage.argv[1:] == ("-m", "unittest")


def test_practice_tests_run_only_the_named_test_modules() -> None:
    request = RunRequest(
        kind=RunKind.PRACTICE_TEST,
        language=Language.PYTHON,
        files=(
            ProjectFile("calc.py", ""),
            ProjectFile("test_calc.py", ""),
            ProjectFile("tests/test_more.py", ""),
            ProjectFile("test_mine.py", ""),
        ),
        test_files=("test_calc.py", "tests/test_more.py"),
    )
    (stage,) = plan(request).stages
    assert stage.argv[1:] == ("-m", "unittest", "test_calc", "tests.test_more")
    assert stage.completion is not None


@pytest.mark.parametrize("test_file", ["missing.py", "calc.txt", "../test_calc.py"])
def test_a_test_module_that_is_not_a_python_file_of_the_project_is_invalid(
    test_file: str,
) -> None:
    request = RunRequest(
        kind=RunKind.PRACTICE_TEST,
        language=Language.PYTHON,
        files=(ProjectFile("calc.py", ""), ProjectFile("calc.txt", "")),
        test_files=(test_file,),
    )
    with pytest.raises(InvalidInput) as raised:
        plan(request)
    assert set(raised.value.fields) == {"test_files"}


def test_practice_tests_need_python() -> None:
    request = RunRequest(
        kind=RunKind.PRACTICE_TEST, language=Language.BASH, files=(ProjectFile("a.sh", ""),)
    )
    with pytest.raises(LanguageUnavailable):
        plan(request)


arguments = st.lists(st.text(st.characters(blacklist_characters="\0"), max_size=10), max_size=5)


@given(arguments)
def test_command_line_arguments_are_split_like_a_shell(expected: list[str]) -> None:
    request = RunRequest(
        kind=RunKind.PLAYGROUND,
        language=Language.PYTHON,
        files=(ProjectFile("main.py", ""),),
        main_file="main.py",
        cmd_line_args=shlex.join(expected),
    )
    (stage,) = plan(request).stages
    assert list(stage.argv[2:]) == expected


def test_unbalanced_quotes_in_arguments_are_invalid() -> None:
    request = RunRequest(
        kind=RunKind.SCRIPT, language=Language.BASH, source_run="echo", cmd_line_args="'open"
    )
    with pytest.raises(InvalidInput) as raised:
        plan(request)
    assert set(raised.value.fields) == {"cmd_line_args"}


def project(*paths: str, main_file: str = "") -> RunRequest:
    return RunRequest(
        kind=RunKind.PRACTICE_RUN,
        language=Language.PYTHON,
        files=tuple(ProjectFile(path, "") for path in paths),
        main_file=main_file or paths[0],
    )


@pytest.mark.parametrize(
    "paths",
    [("a.py", "a.py"), ("pkg", "pkg/mod.py"), ("../x.py",), ("/etc/x.py",), ("a//b.py",)],
)
def test_project_files_that_cannot_be_laid_out_are_invalid(paths: tuple[str, ...]) -> None:
    with pytest.raises(InvalidInput):
        plan(project(*paths))


def test_the_main_file_must_be_one_of_the_files() -> None:
    with pytest.raises(InvalidInput) as raised:
        plan(project("main.py", main_file="other.py"))
    assert set(raised.value.fields) == {"main_file"}


def test_a_project_larger_than_the_work_dir_is_invalid() -> None:
    request = RunRequest(
        kind=RunKind.PRACTICE_RUN,
        language=Language.PYTHON,
        files=(ProjectFile("main.py", "x" * 2048),),
        main_file="main.py",
    )
    with pytest.raises(InvalidInput):
        plan(request, max_total_bytes=1024)


path_parts = st.sampled_from(["a", "b.py", "..", ".", "", "pkg", "~", "-x", "é"])


@given(st.lists(path_parts, min_size=1, max_size=5).map("/".join))
def test_an_accepted_path_stays_inside_the_work_dir(path: str) -> None:
    try:
        checked = checked_project_path(path, "files")
    except InvalidInput:
        return
    resolved = posixpath.normpath(posixpath.join("/work", checked))
    assert resolved.startswith("/work/")
    assert resolved == f"/work/{checked}"
