"""The real catalogue, run on the local sandbox: every task's own answer (the `{.task_answer}`
block of its chapter) must pass, and a wrong answer (its starting code) must fail.

By default a fixed sample of each language runs (what CI runs); `HANDYMAN_SWEEP=full` runs
every answer (`nox -s sweep`), checks each language's pass count against its floor and
prints the counts. The answers that cannot pass are listed below with the reason; each is a
defect of the catalogue's answer, not of the runner, and
`test_catalogue_answer_defects_pass_once_corrected` shows the corrected answer passing where
one can be written.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from attrs import frozen

from handyman_core.catalogue import Catalogue
from handyman_core.errors import RunnerUnavailable
from handyman_core.run_protocol import Language, RunResult, Verdict
from handyman_runner.local import LocalSandboxRunner
from handyman_store.course_folder import read_course_folder
from tests.conftest import IN_CI, require
from tests.runner.catalogue_answers import CatalogueAnswer, catalogue_answers
from tests.runner.sandbox_support import sandbox_runner

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

SWEEP_VARIABLE = "HANDYMAN_SWEEP"
FULL_SWEEP = os.environ.get(SWEEP_VARIABLE, "").lower() == "full"
SAMPLE_SIZE = 6
"""Answers per language in the default (CI) run, spread evenly over the course."""

COURSE_LANGUAGES = (
    Language.PYTHON,
    Language.GOLANG,
    Language.RUST,
    Language.CPP,
    Language.HASKELL,
)

FLOORS = {
    Language.PYTHON: 194,
    Language.GOLANG: 54,
    Language.RUST: 25,
    Language.CPP: 174,
    Language.HASKELL: 76,
}
"""Answers that pass on a full sweep; the issue measured python 192, go 54, rust 25, cpp 173
(clang-19) or 174 (clang-22) and haskell 76 outside any sandbox."""

KNOWN_FAILURES = {
    "python_chapter_0140_task_0060": "the answer shows only the changed line; the starting "
    "code's print(common_letters), which the test checks, is left out",
    "python_chapter_0170_task_0020": "the answer leaves out the starting code's `t = Tail(); "
    "t.f()`, whose output the test checks",
    "python_chapter_0230_task_0020": "the answer leaves out the starting code's loop that "
    "prints `a=1`, `b=2`, whose output the test checks",
    "python_chapter_0150_task_0003": "the answer is `ota`; the task asks for the keys "
    "separated by spaces (`o t a`), which is what the test accepts",
    "python_chapter_0010_task_0040": "the answer leaves out the starting code's `matrix = list()`",
    "python_chapter_0240_task_0040": "the answer leaves out the starting code's lists `l1` and "
    "`l2`",
    "python_chapter_0270_task_0020": "the answer leaves out the starting code's imports of "
    "`random` and `string`",
    "python_chapter_0270_task_0030": "the answer leaves out the starting code's imports of "
    "`random` and `time`",
    "python_chapter_0300_task_0050": "the test wants 100 tasks of a 0.05 s sleep done in under "
    "2 s by a ProcessPoolExecutor, whose default worker count is the host's CPU count: it "
    "needs 3 or more CPUs and fails on a 2-CPU host (2.5 s at best)",
    "cpp_chapter_0157_task_0030": "the test wrapper is another task's (it tests an `Args` "
    "type this task's answer does not define)",
}
"""Catalogue answers that fail for a reason of their own (see the module docstring)."""

STARTING_CODE_PASSES = {
    "python_chapter_0240_task_0010": "the task asks for a list comprehension; the starting "
    "code's literal list has the same value, which is all the wrapper checks",
    "python_chapter_0240_task_0050": "the task asks for a nested comprehension; the starting "
    "code's literal has the same value, which is all the wrapper checks",
    "haskell_chapter_0050_task_0010": "the wrapper's check for nested if-then-else is "
    "`count(...) == -1`, never true, so the starting code's min/max clamp passes",
    "cpp_chapter_0023_task_0070": "the wrapper builds its test cases but never checks them",
    "cpp_chapter_0031_task_0030": "the task asks to rewrite a working max() with the ternary "
    "operator; the wrapper checks only what it returns",
    "cpp_chapter_0032_task_0060": "the task asks to rewrite a working function with "
    "switch-case; the wrapper checks only what it prints",
}
"""Tasks whose wrapper cannot tell their starting code from the answer; their wrong answer is
one that defines nothing."""

EXTRA_WORDS_PASS = {
    "python_chapter_0230_task_0010": "the wrapper looks for `false` anywhere in the text",
    "python_chapter_0250_task_0020": "the wrapper looks for `[0,2]` anywhere in the text",
    "python_chapter_0250_task_0060": "the wrapper looks for `['e','t']` anywhere in the text",
}
""""What does this print?" tasks whose wrapper accepts any text containing the answer, so the
answer with a word too many passes; their wrong answer is one that says nothing."""

CORRECTED_ANSWERS = {
    "python_chapter_0140_task_0060": lambda answer: answer + "print(common_letters)\n",
    "python_chapter_0170_task_0020": lambda answer: answer + "\n\nt = Tail()\nt.f()\n",
    "python_chapter_0230_task_0020": lambda answer: (
        answer + '\nd = {"a": 1, "b": 2}\n\nfor k, v in KVIterator(d):\n    print(f"{k}={v}")\n'
    ),
    "python_chapter_0150_task_0003": lambda answer: " ".join(answer.strip()),
    "python_chapter_0010_task_0040": lambda answer: "matrix = list()\n\n" + answer,
    "python_chapter_0240_task_0040": lambda answer: (
        "l1 = [1, 2, 3, 4, 5]\nl2 = [4, 5, 6, 7, 8]\n" + answer
    ),
    "python_chapter_0270_task_0020": lambda answer: "import random\nimport string\n\n" + answer,
    "python_chapter_0270_task_0030": lambda answer: "import random\nimport time\n\n" + answer,
}
"""How each defective answer reads once corrected (the starting code's missing lines put
back, the keys separated as the task asks); the wrapper's own test wrapper passes it."""


@frozen
class Outcome:
    answer: CatalogueAnswer
    right: RunResult | str
    """The answer's result, or why no verdict came (the runner was unavailable)."""
    wrong: RunResult | str

    @property
    def passed(self) -> bool:
        return isinstance(self.right, RunResult) and self.right.verdict is Verdict.PASSED

    @property
    def wrong_failed(self) -> bool:
        return isinstance(self.wrong, RunResult) and self.wrong.verdict is not Verdict.PASSED


@pytest.fixture(scope="module")
def catalogue(real_catalogue_path: Path) -> Catalogue:
    return read_course_folder(real_catalogue_path).catalogue


@pytest.fixture(scope="module")
def answers(real_catalogue_path: Path) -> dict[Language, list[CatalogueAnswer]]:
    found: dict[Language, list[CatalogueAnswer]] = {language: [] for language in COURSE_LANGUAGES}
    for answer in catalogue_answers(real_catalogue_path):
        found[answer.language].append(answer)
    return found


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSandboxRunner]:
    runner = sandbox_runner(
        tmp_path_factory.mktemp("slots"), prepare_in_background=False, queue_timeout=600.0
    )
    failures = {lang: output for lang, output in runner.prepare_artefacts().items() if output}
    assert not failures, f"building the languages' artefacts failed: {failures}"
    yield runner


def chosen(answers: list[CatalogueAnswer]) -> list[CatalogueAnswer]:
    if FULL_SWEEP:
        return answers
    candidates = [answer for answer in answers if answer.task_id not in KNOWN_FAILURES]
    step = max(len(candidates) // SAMPLE_SIZE, 1)
    return candidates[::step][:SAMPLE_SIZE]


def run(runner: LocalSandboxRunner, catalogue: Catalogue, answer: CatalogueAnswer) -> Outcome:
    def one(code: str) -> RunResult | str:
        try:
            return runner.run(answer.request(catalogue, code))
        except RunnerUnavailable as error:
            return error.message

    wrong = answer.wrong_answer
    if answer.task_id in STARTING_CODE_PASSES or answer.task_id in EXTRA_WORDS_PASS:
        wrong = answer.empty_answer
    return Outcome(answer, one(answer.answer), one(wrong))


def describe(result: RunResult | str) -> str:
    if isinstance(result, str):
        return f"no verdict: {result}"
    output = (result.user_code_output + result.tests_output).strip()
    return f"{result.verdict.value}: {output[-600:]}"


@pytest.mark.parametrize("task_id", sorted(CORRECTED_ANSWERS))
def test_catalogue_answer_defects_pass_once_corrected(
    task_id: str,
    runner: LocalSandboxRunner,
    catalogue: Catalogue,
    answers: dict[Language, list[CatalogueAnswer]],
) -> None:
    answer = next(found for found in answers[Language.PYTHON] if found.task_id == task_id)
    assert run(runner, catalogue, answer).passed is False
    corrected = CORRECTED_ANSWERS[task_id](answer.answer)
    result = runner.run(answer.request(catalogue, corrected))
    assert result.verdict is Verdict.PASSED, describe(result)


@pytest.mark.timeout(0 if FULL_SWEEP else 900)
@pytest.mark.parametrize("language", COURSE_LANGUAGES, ids=lambda language: language.value)
def test_catalogue_answers_pass_and_wrong_answers_fail(
    language: Language,
    runner: LocalSandboxRunner,
    catalogue: Catalogue,
    answers: dict[Language, list[CatalogueAnswer]],
) -> None:
    require(
        language in runner.available_languages,
        f"{language.value} is not available on this machine (handyman runner languages)",
    )
    selected = chosen(answers[language])
    with ThreadPoolExecutor(max_workers=runner.config.max_concurrent_runs) as pool:
        outcomes = list(pool.map(lambda answer: run(runner, catalogue, answer), selected))
    passed = [outcome for outcome in outcomes if outcome.passed]
    unexpected = [
        f"{outcome.answer.task_id}: {describe(outcome.right)}"
        for outcome in outcomes
        if not outcome.passed and outcome.answer.task_id not in KNOWN_FAILURES
    ]
    wrong_passed = [outcome.answer.task_id for outcome in outcomes if not outcome.wrong_failed]
    print(
        f"\n{language.value}: {len(passed)}/{len(outcomes)} answers passed, "
        f"{sum(outcome.wrong_failed for outcome in outcomes)}/{len(outcomes)} wrong answers "
        f"failed ({'full sweep' if FULL_SWEEP else 'sample'})"
    )
    for line in unexpected:
        print(f"  unexpected failure {line}")
    for task_id in wrong_passed:
        print(f"  wrong answer passed {task_id}")
    assert not unexpected, "answers that should pass failed:\n" + "\n".join(unexpected)
    assert not wrong_passed, f"wrong answers that passed: {wrong_passed}"
    if FULL_SWEEP:
        assert len(passed) >= FLOORS[language]
    elif IN_CI:
        assert len(outcomes) == min(SAMPLE_SIZE, len(answers[language]))
