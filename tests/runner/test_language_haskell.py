"""Haskell in the local sandbox: a task declaring `module Main` runs and its Python checker
reads what it printed; any other task is a library tested by its hspec wrapper; a "what does
this print?" task runs its checker on the answer."""

from __future__ import annotations

import pytest

from handyman_core.catalogue import ProjectFile
from handyman_core.run_protocol import Language, RunKind, RunRequest, Verdict
from handyman_runner.local import LocalSandboxRunner
from tests.runner.sandbox_support import language_runner, task_request

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

PROGRAM = "module Main where\n\nmain :: IO ()\nmain = mapM_ print [1 :: Int, 2, 6, 24]\n"
CHECKER = (
    "import sys\n\nwith open(sys.argv[1]) as f:\n    printed = f.read()\n"
    'if printed != "1\\n2\\n6\\n24\\n":\n    print(f"Unexpected output: {printed!r}")\n'
    "    sys.exit(1)\n"
)
LIBRARY = (
    "module UserCode where\n\nclamp :: Int -> Int -> Int -> Int\nclamp lo hi = max lo . min hi\n"
)
SPEC = (
    "module Main where\nimport Test.Hspec\nimport Test.QuickCheck\n\nimport UserCode\n\n"
    'main :: IO ()\nmain = hspec $ describe "clamp" $ do\n'
    '    it "stays within bounds" $ property $ \\x -> clamp 0 10 x `elem` [0 .. 10]\n'
    '    it "keeps values inside" $ clamp 0 10 5 `shouldBe` 5\n'
)
ANSWER_CHECKER = (
    's = r"""\n#INJECT-ESCAPED-b585472fa\n""".strip().lower()\nif s != "24":\n    exit(1)\n'
)


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> LocalSandboxRunner:
    return language_runner(tmp_path_factory.mktemp("slots"), Language.HASKELL)


def test_a_program_runs_and_its_checker_reads_its_output(runner: LocalSandboxRunner) -> None:
    result = runner.run(task_request(Language.HASKELL, PROGRAM, CHECKER))
    assert result.verdict is Verdict.PASSED, result.tests_output
    assert result.user_code_output == "1\n2\n6\n24\n"


def test_a_program_printing_the_wrong_thing_fails_its_checker(
    runner: LocalSandboxRunner,
) -> None:
    result = runner.run(task_request(Language.HASKELL, PROGRAM.replace("24", "25"), CHECKER))
    assert result.verdict is Verdict.TESTS_FAILED
    assert "Unexpected output" in result.tests_output


def test_a_library_is_tested_by_its_hspec_wrapper(runner: LocalSandboxRunner) -> None:
    result = runner.run(task_request(Language.HASKELL, LIBRARY, SPEC))
    assert result.verdict is Verdict.PASSED, result.tests_output
    assert "2 examples, 0 failures" in result.tests_output


def test_a_wrong_library_fails_its_hspec_wrapper(runner: LocalSandboxRunner) -> None:
    wrong = LIBRARY.replace("max lo . min hi", "min hi . max lo . (+ 1)")
    result = runner.run(task_request(Language.HASKELL, wrong, SPEC))
    assert result.verdict is Verdict.TESTS_FAILED
    assert "1 failure" in result.tests_output or "2 failures" in result.tests_output


def test_a_library_that_does_not_compile_is_run_failed(runner: LocalSandboxRunner) -> None:
    result = runner.run(task_request(Language.HASKELL, LIBRARY.replace("max", "maxx"), SPEC))
    assert result.verdict is Verdict.RUN_FAILED
    assert "maxx" in result.user_code_output


def test_a_plain_text_answer_is_checked(runner: LocalSandboxRunner) -> None:
    def answer(text: str) -> Verdict:
        source_test = ANSWER_CHECKER.replace("#INJECT-ESCAPED-b585472fa", text)
        request = task_request(Language.HASKELL, "", source_test, task_type="plain_text")
        return runner.run(request).verdict

    assert (answer("24"), answer("25")) == (Verdict.PASSED, Verdict.TESTS_FAILED)


def test_the_playground_runs_the_site_s_project(runner: LocalSandboxRunner) -> None:
    main = 'module Main where\n\nmain :: IO ()\nmain = putStrLn "Hello world!"\n'
    request = RunRequest(
        kind=RunKind.PLAYGROUND,
        language=Language.HASKELL,
        files=(ProjectFile("app/Main.hs", main), ProjectFile("README.md", "# project\n")),
        main_file="app/Main.hs",
    )
    result = runner.run(request)
    assert (result.verdict, result.user_code_output) == (Verdict.PASSED, "Hello world!\n")
