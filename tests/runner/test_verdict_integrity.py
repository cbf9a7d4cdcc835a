"""A learner must not pass a task without solving it: each way found to forge a verdict, with the
verdict it must get (security suite, issue 10 items 1-4)."""

from __future__ import annotations

import json
import platform
import textwrap
from pathlib import Path

import pytest
from attrs import evolve

from handyman_core.catalogue import Catalogue, ProjectFile
from handyman_core.injection import inject_test
from handyman_core.project_tree import render_project_tree
from handyman_core.run_protocol import Language, RunKind, RunRequest, RunResult, Verdict
from handyman_core.task_runs import prepare_practice_run, prepare_task_run
from handyman_runner.completion import NOT_COMPLETED_NOTE
from handyman_runner.local import LocalSandboxRunner
from handyman_runner.seccomp_filter import DENIED_WITH_ENOSYS, DENIED_WITH_EPERM
from handyman_store.course_folder import read_course_folder
from tests.conftest import EXAMPLE_COURSES, PROJECT_ROOT
from tests.runner.sandbox_support import sandbox_runner, script, short_limits

pytestmark = pytest.mark.sandbox

TASK_ID = "pythonstart_chapter_0010_task_0010"
"""Expects `width = 7`, `height = 6` and `area` computed from them; fails with sys.exit(1)."""
CORRECT = "width = 7\nheight = 6\narea = width * height\n"
WRONG = "width = 1\nheight = 1\narea = 1\n"

CHECKS = """\
import sys
#INJECT-b585472fa
if answer != 42:
    print("wrong answer")
    {exit}(1)
"""
"""The real course's style: a failed check calls `exit(1)` (or `sys.exit(1)`)."""

FORGE_EXIT_STATUS_THROUGH_PID_1 = """\
import ctypes, errno, os, struct
libc = ctypes.CDLL(None, use_errno=True)
SYS_pidfd_open, SYS_pidfd_getfd = 434, 438
init = libc.syscall(SYS_pidfd_open, 1, 0)
for number in range(3, 64):
    fd = libc.syscall(SYS_pidfd_getfd, init, number, 0)
    if fd < 0:
        print("pidfd_getfd:", errno.errorcode[ctypes.get_errno()])
        break
    if os.readlink(f"/proc/self/fd/{fd}") == "anon_inode:[eventfd]":
        os.write(fd, struct.pack("Q", 1))
        print("wrote exit status 0 to bwrap's eventfd")
"""

PTRACE_PID_1 = """\
import ctypes, errno
libc = ctypes.CDLL(None, use_errno=True)
PTRACE_ATTACH = 16
result = libc.ptrace(PTRACE_ATTACH, 1, None, None)
print("ptrace:", result, errno.errorcode.get(ctypes.get_errno(), ctypes.get_errno()))
"""


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> LocalSandboxRunner:
    return sandbox_runner(tmp_path_factory.mktemp("slots"))


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return read_course_folder(EXAMPLE_COURSES).catalogue


def run_solution(runner: LocalSandboxRunner, catalogue: Catalogue, code: str) -> RunResult:
    request = prepare_task_run(catalogue, TASK_ID, code, limits=short_limits())
    return runner.run(request)


def wrapper_only(source_test: str) -> RunRequest:
    return RunRequest(
        kind=RunKind.TASK, language=Language.PYTHON, source_test=source_test, limits=short_limits()
    )


def test_a_correct_solution_still_passes(runner: LocalSandboxRunner, catalogue: Catalogue) -> None:
    result = run_solution(runner, catalogue, CORRECT)
    assert result.verdict is Verdict.PASSED, result


# --- item 1: forging bwrap's exit status ---------------------------------------------------


def test_forging_the_exit_status_through_bwraps_init_fails_the_tests(
    runner: LocalSandboxRunner, catalogue: Catalogue
) -> None:
    result = run_solution(runner, catalogue, WRONG + FORGE_EXIT_STATUS_THROUGH_PID_1)
    assert result.verdict is Verdict.TESTS_FAILED
    assert "pidfd_getfd: EPERM" in result.user_code_output


def test_forging_the_exit_status_of_a_failing_script_is_still_a_failed_run(
    runner: LocalSandboxRunner,
) -> None:
    result = runner.run(script(FORGE_EXIT_STATUS_THROUGH_PID_1 + "raise SystemExit(1)\n"))
    assert result.verdict is Verdict.RUN_FAILED
    assert result.exit_code == 1
    assert "pidfd_getfd: EPERM" in result.user_code_output


def test_ptrace_attaching_to_bwraps_init_is_refused(runner: LocalSandboxRunner) -> None:
    result = runner.run(script(PTRACE_PID_1 + "raise SystemExit(1)\n"))
    assert result.verdict is Verdict.RUN_FAILED
    assert result.user_code_output == "ptrace: -1 EPERM\n"


def test_every_denied_syscall_answers_its_errno(runner: LocalSandboxRunner) -> None:
    import pyseccomp

    numbers = {
        name: pyseccomp.resolve_syscall(pyseccomp.Arch.NATIVE, name)
        for name in DENIED_WITH_EPERM + DENIED_WITH_ENOSYS
    }
    source = f"""\
        import ctypes, errno
        libc = ctypes.CDLL(None, use_errno=True)
        for name, number in {numbers!r}.items():
            ctypes.set_errno(0)
            result = libc.syscall(number, 0, 0, 0, 0, 0, 0)
            print(name, result, errno.errorcode.get(ctypes.get_errno()))
        """
    result = runner.run(script(textwrap.dedent(source)))
    expected = [f"{name} -1 EPERM" for name in DENIED_WITH_EPERM]
    expected += [f"{name} -1 ENOSYS" for name in DENIED_WITH_ENOSYS]
    assert result.user_code_output.splitlines() == expected


x86_64_only = pytest.mark.skipif(
    platform.machine() != "x86_64", reason="foreign ABIs are tested on x86_64"
)


@x86_64_only
def test_an_x32_syscall_kills_the_program(runner: LocalSandboxRunner) -> None:
    source = """\
        import ctypes
        X32_SYSCALL_BIT, SYS_getpid = 0x40000000, 39
        print("calling", flush=True)
        ctypes.CDLL(None).syscall(X32_SYSCALL_BIT | SYS_getpid)
        print("survived")
        """
    result = runner.run(script(textwrap.dedent(source)))
    assert result.verdict is Verdict.RUN_FAILED
    assert result.signal == 31, "SIGSYS"
    assert result.user_code_output == "calling\n"


@x86_64_only
def test_a_32_bit_int_0x80_syscall_kills_the_program(runner: LocalSandboxRunner) -> None:
    source = """\
        import ctypes, mmap
        # mov eax, 20 (i386 getpid); int 0x80; ret
        code = bytes([0xB8, 20, 0, 0, 0, 0xCD, 0x80, 0xC3])
        page = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
        page.write(code)
        address = ctypes.addressof(ctypes.c_char.from_buffer(page))
        print("calling", flush=True)
        ctypes.CFUNCTYPE(ctypes.c_int)(address)()
        print("survived")
        """
    result = runner.run(script(textwrap.dedent(source)))
    assert result.verdict is Verdict.RUN_FAILED
    assert result.signal == 31, "SIGSYS"
    assert result.user_code_output == "calling\n"


# --- item 2: ending the process before the checks ----------------------------------------------


@pytest.mark.parametrize(
    "escape",
    [
        "import sys\nsys.exit(0)\n",
        "raise SystemExit\n",
        "exit()\n",
        "import os\nos._exit(0)\n",
        "import atexit, sys\natexit.register(sys.exit, 0)\n",
        "import atexit, os\natexit.register(os._exit, 0)\n",
    ],
    ids=["sys.exit", "SystemExit", "exit", "os._exit", "atexit-sys.exit", "atexit-os._exit"],
)
def test_ending_the_process_before_the_checks_fails_the_tests(
    runner: LocalSandboxRunner, catalogue: Catalogue, escape: str
) -> None:
    result = run_solution(runner, catalogue, WRONG + escape)
    assert result.verdict is Verdict.TESTS_FAILED, result


def test_a_correct_solution_that_exits_early_does_not_pass_and_says_why(
    runner: LocalSandboxRunner, catalogue: Catalogue
) -> None:
    result = run_solution(runner, catalogue, CORRECT + "import sys\nsys.exit(0)\n")
    assert result.verdict is Verdict.TESTS_FAILED
    assert result.exit_code == 0
    assert result.tests_output == NOT_COMPLETED_NOTE


@pytest.mark.parametrize(
    ("failure_call", "rebinding"),
    [
        ("sys.exit", "import sys\nsys.exit = print\n"),
        ("exit", "exit = print\n"),
        ("exit", "import builtins\nbuiltins.exit = print\n"),
        ("exit", "def exit(*args):\n    pass\n"),
    ],
    ids=["sys.exit", "global-exit", "builtins.exit", "def-exit"],
)
def test_replacing_the_failure_function_of_the_checks_fails_the_tests(
    runner: LocalSandboxRunner, failure_call: str, rebinding: str
) -> None:
    wrapper = CHECKS.format(exit=failure_call)
    result = runner.run(wrapper_only(inject_test(wrapper, "answer = 41\n" + rebinding)))
    assert result.verdict is Verdict.TESTS_FAILED, result
    assert result.tests_output.startswith("wrong answer\n")
    assert "the solution replaced" in result.tests_output


def test_writing_to_every_descriptor_then_exiting_fails_the_tests(
    runner: LocalSandboxRunner, catalogue: Catalogue
) -> None:
    forge = """\
import os
for name in os.listdir("/proc/self/fd"):
    try:
        os.write(int(name), b"0123456789abcdef0123456789abcdef")
    except OSError:
        pass
os._exit(0)
"""
    result = run_solution(runner, catalogue, WRONG + forge)
    assert result.verdict is Verdict.TESTS_FAILED


def test_a_non_callable_name_like_quit_does_not_fail_a_correct_solution(
    runner: LocalSandboxRunner, catalogue: Catalogue
) -> None:
    result = run_solution(runner, catalogue, "quit = False\n" + CORRECT)
    assert result.verdict is Verdict.PASSED, result


def test_an_uncaught_exception_in_the_checks_reads_as_without_the_harness(
    runner: LocalSandboxRunner,
) -> None:
    result = runner.run(wrapper_only("def check():\n    raise ValueError('bad answer')\ncheck()\n"))
    assert result.verdict is Verdict.TESTS_FAILED
    assert result.exit_code == 1
    assert result.tests_output.startswith("Traceback (most recent call last):\n")
    assert '  File "/work/task_tests", line 3, in <module>\n' in result.tests_output
    assert "harness" not in result.tests_output
    assert result.tests_output.endswith("ValueError: bad answer\n")


def test_the_test_wrappers_exit_status_passes_through(runner: LocalSandboxRunner) -> None:
    result = runner.run(wrapper_only("print('checked')\nraise SystemExit(3)\n"))
    assert result.verdict is Verdict.TESTS_FAILED
    assert result.exit_code == 3
    assert result.tests_output == "checked\n"


def test_a_real_course_task_is_not_passed_by_exiting_early(
    runner: LocalSandboxRunner, real_catalogue_path: Path
) -> None:
    catalogue = read_course_folder(real_catalogue_path).catalogue
    request = prepare_task_run(
        catalogue,
        "python_chapter_0010_task_0010",
        "err_service_unavailable = 500\nimport sys\nsys.exit(0)\n",
        limits=short_limits(),
    )
    assert runner.run(request).verdict is Verdict.TESTS_FAILED


# --- item 4: the program's stages never see the test wrapper ------------------------------------


def test_the_program_stage_sees_only_its_own_file(
    runner: LocalSandboxRunner, catalogue: Catalogue
) -> None:
    result = run_solution(runner, catalogue, "import os\nprint(sorted(os.listdir('.')))\n")
    assert result.user_code_output == "['task']\n"


# --- item 3: practice projects are judged by the course's tests ------------------------------

PROJECT_ID = "pythonstart_word_count"
MAIN_FILE = "word_count.py"
PASSING_TEST = (
    "import unittest\n\nclass T(unittest.TestCase):\n    def test_ok(self):\n        pass\n"
)


def practice_test(
    runner: LocalSandboxRunner, catalogue: Catalogue, learner: dict[str, str]
) -> RunResult:
    project = catalogue.project(PROJECT_ID)
    assert project is not None
    files = tuple(ProjectFile(path, text) for path, text in learner.items())
    tree = render_project_tree(files, MAIN_FILE)
    request = prepare_practice_run(project, tree, "test", "")
    return runner.run(evolve(request, limits=short_limits()))


def starting_tree(catalogue: Catalogue) -> dict[str, str]:
    project = catalogue.project(PROJECT_ID)
    assert project is not None
    return {file.path: file.contents for file in project.files}


def solved_tree(catalogue: Catalogue) -> dict[str, str]:
    solutions = json.loads((PROJECT_ROOT / "examples/solutions/pythonstart.json").read_text())
    return starting_tree(catalogue) | solutions[PROJECT_ID]


def test_a_solved_practice_project_passes_the_course_tests(
    runner: LocalSandboxRunner, catalogue: Catalogue
) -> None:
    result = practice_test(runner, catalogue, solved_tree(catalogue))
    assert result.verdict is Verdict.PASSED, result.tests_output


def test_a_learners_own_passing_test_file_does_not_pass_the_project(
    runner: LocalSandboxRunner, catalogue: Catalogue
) -> None:
    learner = starting_tree(catalogue) | {"test_mine.py": PASSING_TEST}
    result = practice_test(runner, catalogue, learner)
    assert result.verdict is Verdict.TESTS_FAILED


def test_replacing_the_course_tests_with_passing_ones_does_not_pass_the_project(
    runner: LocalSandboxRunner, catalogue: Catalogue
) -> None:
    learner = starting_tree(catalogue) | {"test_word_count.py": PASSING_TEST}
    result = practice_test(runner, catalogue, learner)
    assert result.verdict is Verdict.TESTS_FAILED


def test_deleting_the_course_tests_does_not_pass_the_project(
    runner: LocalSandboxRunner, catalogue: Catalogue
) -> None:
    learner = {MAIN_FILE: starting_tree(catalogue)[MAIN_FILE]}
    result = practice_test(runner, catalogue, learner)
    assert result.verdict is Verdict.TESTS_FAILED


def test_shadowing_unittest_with_a_learner_module_does_not_pass_the_project(
    runner: LocalSandboxRunner, catalogue: Catalogue
) -> None:
    learner = starting_tree(catalogue) | {"unittest.py": "import sys\nsys.exit(0)\n"}
    result = practice_test(runner, catalogue, learner)
    assert result.verdict is Verdict.TESTS_FAILED


def test_exiting_when_the_tests_import_the_solution_does_not_pass_the_project(
    runner: LocalSandboxRunner, catalogue: Catalogue
) -> None:
    learner = starting_tree(catalogue) | {MAIN_FILE: "import os\nos._exit(0)\n"}
    result = practice_test(runner, catalogue, learner)
    assert result.verdict is Verdict.TESTS_FAILED
