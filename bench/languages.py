"""`python -m bench.languages`: what one task run costs in each language of the local sandbox.

For every course language this host can run, a small task of that language (a function, a
program printing it, and a test wrapper checking it; every stage the course's tasks have) runs
through `LocalSandboxRunner.run`, with the language's artefacts ready (warm). Where a language
keeps a cache among its artefacts (Go's build cache), the same task also runs planned without
them (cold cache), and the artefacts are built once from nothing in a scratch directory, which
is what a new host pays once. Medians of wall-clock seconds per whole run; `nox -s
bench-runner` runs it after `bench.runner`.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Sequence
from pathlib import Path

from attrs import evolve, frozen
from rich.console import Console
from rich.table import Table

from bench.errors import BenchmarkError
from bench.machine import describe_machine
from bench.measure import Timings, format_seconds, timed
from bench.report_run import run_report
from handyman_core.run_protocol import Language, RunKind, RunLimits, RunRequest, Verdict
from handyman_runner.local import LocalSandboxRunner, SandboxUnavailable
from handyman_runner.sandbox_config import SandboxConfig

DEFAULT_WARM = 5
DEFAULT_COLD = 3
LIMITS = RunLimits(wall_seconds=30.0, cpu_seconds=20.0)
"""The task runs' own stages are short; the generous program limits keep a busy machine from
turning a slow run into a timeout that would not be timed."""

_TASKS: dict[Language, tuple[str, str]] = {
    Language.PYTHON: (
        "def square(x: int) -> int:\n    return x * x\n\nprint(square(7))\n",
        "def square(x: int) -> int:\n    return x * x\n\nassert square(3) == 9\n",
    ),
    Language.GOLANG: (
        'package main\n\nimport "fmt"\n\nfunc square(x int) int { return x * x }\n\n'
        "func main() { fmt.Println(square(7)) }\n",
        'package main\n\nimport "testing"\n\nfunc TestSquare(t *testing.T) {\n'
        '\tif square(3) != 9 {\n\t\tt.Fatal("square(3) != 9")\n\t}\n}\n',
    ),
    Language.RUST: (
        "fn square(x: i64) -> i64 {\n    x * x\n}\n\n"
        'fn main() {\n    println!("{}", square(7));\n}\n',
        "fn square(x: i64) -> i64 {\n    x * x\n}\n\nfn main() -> Result<(), String> {\n"
        '    if square(3) != 9 {\n        return Err("square(3) != 9".into());\n    }\n'
        "    Ok(())\n}\n",
    ),
    Language.CPP: (
        'import std;\n\nint square(int x) { return x * x; }\n\nint main() { std::println("{}", '
        "square(7)); }\n",
        "import boost.ut;\n\nint square(int x) { return x * x; }\n\nint main()\n{\n"
        "    using namespace boost::ut;\n"
        '    "square"_test = [] { expect(square(3) == 9) << fatal; };\n}\n',
    ),
    Language.HASKELL: (
        "module Main where\n\nsquare :: Int -> Int\nsquare x = x * x\n\nmain :: IO ()\n"
        "main = print (square 7)\n",
        "import sys\n\nwith open(sys.argv[1]) as f:\n    sys.exit(f.read() != '49\\n')\n",
    ),
}


@frozen
class LanguageTimes:
    language: Language
    toolchain: str
    warm: Timings
    cold: Timings | None
    """Runs planned without the language's artefacts; None where it cannot run without them or
    has none."""
    prepare_seconds: float | None
    """Building the artefacts once from nothing; None where there are none (or --quick)."""


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return run_report(
        "bench.languages", "nothing left running", lambda console: _report(args, console)
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.languages", description=__doc__)
    parser.add_argument(
        "--warm", type=int, default=DEFAULT_WARM, help="timed warm runs per language"
    )
    parser.add_argument("--cold", type=int, default=DEFAULT_COLD, help="timed cold-cache runs")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="one warm run per language, no cold runs and no artefact builds: to try it out",
    )
    return parser


def _report(args: argparse.Namespace, console: Console) -> int:
    warm, cold = (1, 0) if args.quick else (args.warm, args.cold)
    if warm < 1 or cold < 0:
        raise BenchmarkError("--warm must be at least 1 and --cold at least 0")
    with console.status("starting the sandbox and preparing the languages' artefacts"):
        runner = _runner(SandboxConfig(prepare_in_background=False))
        failures = {
            language: problem for language, problem in runner.prepare_artefacts().items() if problem
        }
    if failures:
        raise BenchmarkError(f"building artefacts failed for {', '.join(map(str, failures))}")
    console.rule("Handyman per-language run times")
    console.print(f"Machine: {describe_machine()}")
    console.print(
        f"Each: build, run, test build and tests of a small task; medians of {warm} warm runs"
        + (f" and {cold} cold-cache runs" if cold else "")
    )
    results = []
    for language, (program, tests) in _TASKS.items():
        if language not in runner.available_languages:
            console.print(f"[yellow]{language.value}: not available on this host, skipped[/]")
            continue
        with console.status(f"{language.value}: timing"):
            results.append(
                _time_language(
                    runner, language, program, tests, warm=warm, cold=cold, quick=args.quick
                )
            )
    console.print(_table(results, warm, cold))
    return 0


def _time_language(
    runner: LocalSandboxRunner,
    language: Language,
    program: str,
    tests: str,
    *,
    warm: int,
    cold: int,
    quick: bool,
) -> LanguageTimes:
    request = RunRequest(
        kind=RunKind.TASK, language=language, source_run=program, source_test=tests, limits=LIMITS
    )
    _checked(runner.run(request).verdict, language, "warm")
    warm_times = Timings(
        tuple(
            timed(lambda: _checked(runner.run(request).verdict, language, "warm"))[1]
            for _ in range(warm)
        )
    )
    toolchain = next(found.detail for found in runner.languages if found.language is language)
    needs_artefacts = runner.artefact_status(language) != "not needed"
    cold_times = None
    if needs_artefacts and cold and runner.runs_without_artefacts(language):
        plan = runner.plan(request, with_artefacts=False)
        cold_times = Timings(
            tuple(
                timed(
                    lambda: _checked(runner.execute_plan(plan, LIMITS).verdict, language, "cold")
                )[1]
                for _ in range(cold)
            )
        )
    prepare = None
    if needs_artefacts and not quick:
        prepare = _prepare_seconds(runner, language)
    return LanguageTimes(language, toolchain, warm_times, cold_times, prepare)


def _prepare_seconds(runner: LocalSandboxRunner, language: Language) -> float:
    with tempfile.TemporaryDirectory(prefix="handyman-bench-artefacts-") as scratch:
        Path(scratch).chmod(0o755)
        fresh = _runner(
            evolve(runner.config, artefact_directory=Path(scratch), prepare_in_background=False)
        )
        problem, seconds = timed(lambda: fresh.prepare_artefacts().get(language))
        if problem is not None:
            raise BenchmarkError(f"building {language.value}'s artefacts failed: {problem[-500:]}")
        return seconds


def _checked(verdict: Verdict, language: Language, what: str) -> Verdict:
    if verdict is not Verdict.PASSED:
        raise BenchmarkError(f"the {language.value} task did not pass ({what}): {verdict.value}")
    return verdict


def _runner(config: SandboxConfig) -> LocalSandboxRunner:
    try:
        return LocalSandboxRunner(config)
    except SandboxUnavailable as error:
        raise BenchmarkError(f"the local sandbox cannot run here: {error.message}") from None


def _table(results: list[LanguageTimes], warm: int, cold: int) -> Table:
    table = Table(title="Seconds per task run (build, run, test build, tests)")
    table.add_column("language")
    table.add_column("toolchain")
    table.add_column(f"warm median (of {warm})", justify="right")
    table.add_column("warm fastest…slowest", justify="right")
    table.add_column(f"cold cache median (of {cold})" if cold else "cold cache", justify="right")
    table.add_column("artefacts built once", justify="right")
    for result in results:
        table.add_row(
            result.language.value,
            result.toolchain,
            format_seconds(result.warm.median),
            f"{format_seconds(result.warm.fastest)}…{format_seconds(result.warm.slowest)}",
            "-" if result.cold is None else format_seconds(result.cold.median),
            "-" if result.prepare_seconds is None else format_seconds(result.prepare_seconds),
        )
    return table


if __name__ == "__main__":
    raise SystemExit(main())
