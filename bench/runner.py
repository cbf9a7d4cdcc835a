"""`python -m bench.runner`: what running a learner's code through Handyman costs.

A trivial passing Python task (`pythonstart_chapter_0010_task_0010` of the example course, with
its solution from examples/solutions) is run three ways, interleaved round by round so that a
burst of other work on the machine hits each way alike: the two files the API would run, by the
sandbox's own python3 straight on the host (the baseline); `LocalSandboxRunner.run` in this
process (the sandbox alone); and `POST /run_task` to `handyman serve --runner local` on SQLite
(the whole path). The overhead is the API's median minus the baseline's, against a 60 ms
target. Smaller runs split that overhead into its parts, 8 concurrent clients measure
throughput, and a flood of 20 clients looping runs for 30 s measures whether reads stay fast
(`bench.run_flood`). Run from the project root.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import requests
from attrs import frozen
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from bench.courses import EXAMPLE_COURSES, PROJECT_ROOT, read_usable_folder
from bench.errors import BenchmarkError
from bench.handyman_server import RunningServer, ServerOptions, handyman_server
from bench.machine import busy_cpu_seconds, describe_machine
from bench.measure import Timings, format_seconds, timed
from bench.report_run import run_report
from bench.run_flood import MEDIAN_FACTOR_TARGET, P99_TARGET_S, Flood, FloodResult
from handyman_cli.run_admission import DEFAULT_THREADS
from handyman_core.run_protocol import Language, RunKind, RunRequest, RunResult, Verdict
from handyman_core.solution import decode_submitted_code
from handyman_core.task_runs import prepare_task_run
from handyman_runner.bwrap_command import ENVIRONMENT
from handyman_runner.languages.plugin import HostProbe
from handyman_runner.languages.python import PythonPlugin
from handyman_runner.local import LocalSandboxRunner, SandboxUnavailable
from handyman_runner.run_plan import TASK_FILE, TESTS_FILE
from handyman_runner.sandbox_config import DEFAULT_TOOLCHAIN_DIRECTORY
from handyman_store.database import DatabaseUrl, create_engine
from handyman_store.schema import attempts

TASK_ID = "pythonstart_chapter_0010_task_0010"
SOLUTIONS = PROJECT_ROOT / "examples" / "solutions" / "pythonstart.json"
OVERHEAD_TARGET_S = 0.060
DEFAULT_REPEAT = 30
DEFAULT_DURATION_S = 15.0
QUICK_DURATION_S = 3.0
DEFAULT_CLIENTS = 8
FLOOD_CLIENTS = 20
FLOOD_DURATION_S = 30.0
QUICK_FLOOD_DURATION_S = 5.0
WARM_UP_ROUNDS = 3
REQUEST_TIMEOUT_S = 60.0
SEQUENTIAL_USER = 1
FIRST_CLIENT_USER = 1001
"""Client n of the throughput run is user FIRST_CLIENT_USER + n: each has its own rows."""

HOST = "host"
SANDBOX = "sandbox"
API = "api"
HOST_PYTHON = "host python3"
SANDBOX_PYTHON = "sandbox python3"
SANDBOX_BARE = "sandbox bare"
API_SAVE = "api save_task"


@frozen
class Probe:
    """One way of doing something, run once per round; `run_once` raises BenchmarkError when
    the answer is wrong, so a fast failure never counts as a fast run."""

    key: str
    run_once: Callable[[], object]


@frozen
class Rounds:
    """Per probe key: wall-clock and CPU seconds of each timed run."""

    wall: dict[str, Timings]
    cpu: dict[str, Timings]


@frozen
class StageDurations:
    """The sandbox's stages of the task as the runner clocks them (`RunResult.duration_ms`)."""

    in_process: Timings
    in_server: Timings | None


@frozen
class Answer:
    seconds: float
    http_status: int | None
    """None: no answer at all (connection error or timeout)."""
    status_code: int | None
    """The body's `status_code`, when the answer was 200 JSON."""
    problem: str = ""

    @property
    def passed(self) -> bool:
        return self.http_status == 200 and self.status_code == 0

    @property
    def busy(self) -> bool:
        return self.http_status == 503


@frozen
class LoadResult:
    clients: int
    elapsed_s: float
    answers: tuple[Answer, ...]
    busy_cpu_s: float
    """Non-idle CPU time of the whole machine over the load."""

    @property
    def passing(self) -> tuple[Answer, ...]:
        return tuple(answer for answer in self.answers if answer.passed)

    @property
    def busy_answers(self) -> int:
        return sum(answer.busy for answer in self.answers)

    @property
    def failed(self) -> tuple[Answer, ...]:
        """Neither a pass nor a busy answer: a wrong verdict, an error status or no answer."""
        return tuple(a for a in self.answers if not a.passed and not a.busy)

    @property
    def runs_per_second(self) -> float:
        return len(self.passing) / self.elapsed_s


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return run_report("bench.runner", "server stopped", lambda console: _report(args, console))


def _report(args: argparse.Namespace, console: Console) -> int:
    load = _run(args, console)
    if load.failed:
        console.print(
            f"[bold red]{len(load.failed)} runs under load did not pass "
            f"(first: {load.failed[0].problem}): the run is invalid.[/]"
        )
        return 1
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.runner", description=__doc__)
    parser.add_argument(
        "--repeat", type=int, default=DEFAULT_REPEAT, help="timed rounds of the sequential runs"
    )
    parser.add_argument(
        "--duration",
        type=float,
        help=f"seconds of concurrent load (default {DEFAULT_DURATION_S:g})",
    )
    parser.add_argument(
        "--quick", action="store_true", help=f"{QUICK_DURATION_S:g} s of load, to try it out"
    )
    parser.add_argument("--clients", type=int, default=DEFAULT_CLIENTS, help="concurrent clients")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--worker-threads", type=int, default=DEFAULT_THREADS, help="threads per worker"
    )
    parser.add_argument(
        "--flood-clients", type=int, default=FLOOD_CLIENTS, help="clients looping runs"
    )
    parser.add_argument(
        "--flood-duration",
        type=float,
        help=f"seconds of the run flood (default {FLOOD_DURATION_S:g}; --quick "
        f"{QUICK_FLOOD_DURATION_S:g})",
    )
    return parser


def _run(args: argparse.Namespace, console: Console) -> LoadResult:
    if args.repeat < 1 or args.clients < 1:
        raise BenchmarkError("--repeat and --clients must be at least 1")
    duration = args.duration or (QUICK_DURATION_S if args.quick else DEFAULT_DURATION_S)
    with console.status("checking the sandbox"):
        runner = _local_runner()
    interpreter = _python_interpreter()
    catalogue = read_usable_folder(EXAMPLE_COURSES).catalogue
    solution_text = _solution_text(TASK_ID)
    request = prepare_task_run(catalogue, TASK_ID, decode_submitted_code(solution_text))
    with tempfile.TemporaryDirectory(prefix="handyman-bench-runner-") as work_name:
        work = Path(work_name)
        options = ServerOptions(
            database_url=f"sqlite:///{work / 'handyman.db'}",
            courses=EXAMPLE_COURSES,
            workers=args.workers,
            threads=args.worker_threads,
            work_directory=work,
            runner="local",
        )
        with contextlib.ExitStack() as running:
            with console.status("starting handyman serve --runner local"):
                server = running.enter_context(handyman_server(options))
            _print_setup(
                console,
                args,
                runner=runner,
                server=server,
                interpreter=interpreter,
                duration=duration,
            )
            api = running.enter_context(contextlib.closing(_Api(server, solution_text)))
            sandbox_task = _SandboxTask(runner, request)
            probes = _probes(
                runner=runner,
                sandbox_task=sandbox_task,
                api=api,
                host_task=_HostRun(interpreter, work / "host", request),
                host_python=_HostRun.empty_program(interpreter, work / "empty"),
            )
            with console.status(f"{args.repeat} interleaved rounds of sequential runs"):
                rounds = _interleaved(probes, args.repeat)
            stages = StageDurations(
                in_process=sandbox_task.durations(args.repeat),
                in_server=_recorded_durations(options.database_url, args.repeat),
            )
            with console.status(f"{args.clients} concurrent clients for {duration:g} s"):
                load = _Load(server, solution_text, args.clients, duration).run()
            flood_duration = args.flood_duration or (
                QUICK_FLOOD_DURATION_S if args.quick else FLOOD_DURATION_S
            )
            flood = Flood(
                server,
                options.database_url,
                solution_text,
                TASK_ID,
                clients=args.flood_clients,
                duration_s=flood_duration,
            )
            with console.status(
                f"{args.flood_clients} clients looping runs for {flood_duration:g} s, "
                "get_courses timed meanwhile"
            ):
                flooded = flood.run()
    console.print(_sequential_report(rounds, args.repeat))
    console.print(_breakdown_report(rounds.wall, stages))
    console.print(_load_report(load, runner, rounds, duration))
    console.print(_flood_report(flooded))
    return load


def _probes(
    *,
    runner: LocalSandboxRunner,
    sandbox_task: _SandboxTask,
    api: _Api,
    host_task: _HostRun,
    host_python: _HostRun,
) -> list[Probe]:
    """The three ways of running the task, and the smaller runs that take its cost apart."""
    probes = [
        Probe(HOST, host_task.run_once),
        Probe(SANDBOX, sandbox_task.run_once),
        Probe(API, api.run_task),
        Probe(HOST_PYTHON, host_python.run_once),
        Probe(SANDBOX_PYTHON, lambda: _sandbox_run(runner, _script(Language.PYTHON))),
        Probe(API_SAVE, api.save_task),
    ]
    if Language.BASH in runner.available_languages:
        probes.append(Probe(SANDBOX_BARE, lambda: _sandbox_run(runner, _script())))
    return probes


def _local_runner() -> LocalSandboxRunner:
    try:
        return LocalSandboxRunner()
    except SandboxUnavailable as error:
        raise BenchmarkError(f"the local sandbox cannot run here: {error.message}") from None


def _python_interpreter() -> str:
    """The python3 the sandbox runs (Debian's, under /usr), so the baseline differs from the
    sandboxed run by the sandbox only."""
    toolchain = PythonPlugin().discover(HostProbe(DEFAULT_TOOLCHAIN_DIRECTORY)).toolchain
    if toolchain is None:
        raise BenchmarkError("no python3 under /usr for the sandbox: apt-get install python3")
    return toolchain.program("python3")


def _solution_text(task_id: str) -> str:
    """The solution as the site sends it: base64 of the UTF-8 code."""
    solutions = json.loads(SOLUTIONS.read_text(encoding="utf-8"))
    return base64.b64encode(solutions[task_id].encode()).decode()


def _print_setup(
    console: Console,
    args: argparse.Namespace,
    *,
    runner: LocalSandboxRunner,
    server: RunningServer,
    interpreter: str,
    duration: float,
) -> None:
    console.rule("Handyman runner benchmark")
    console.print(f"Task: {TASK_ID} of {EXAMPLE_COURSES} with its solution from {SOLUTIONS.name}")
    console.print(f"Machine: {describe_machine()}")
    console.print(f"Server: {' '.join(server.command)}")
    console.print(
        f"Baseline: {interpreter} {TASK_FILE}, then {interpreter} {TESTS_FILE}, as subprocesses "
        "with the sandbox's environment variables"
    )
    console.print(
        f"Sequential: {WARM_UP_ROUNDS} warm-up and {args.repeat} timed rounds, each way once per "
        f"round; load: {args.clients} clients for {duration:g} s"
    )
    console.print(
        f"[yellow]This machine has {os.cpu_count()} cores, and the sandbox runs at most "
        f"{runner.config.max_concurrent_runs} at once (one per core). The clients, gunicorn "
        f"({args.workers} workers x {args.worker_threads} threads), SQLite and the sandboxes share "
        "them with whatever else runs here.[/]"
    )


class _HostRun:
    """The files of a run in a directory on the host, each run by python3 in turn."""

    def __init__(self, interpreter: str, directory: Path, request: RunRequest) -> None:
        directory.mkdir()
        files = ((TASK_FILE, request.source_run), (TESTS_FILE, request.source_test))
        for name, source in files:
            (directory / name).write_text(source, encoding="utf-8")
        self._commands = [(interpreter, name) for name, source in files if source]
        self._directory = directory
        self._environment = dict(ENVIRONMENT) | {"HOME": str(directory)}

    @classmethod
    def empty_program(cls, interpreter: str, directory: Path) -> _HostRun:
        return cls(interpreter, directory, _script(Language.PYTHON))

    def run_once(self) -> None:
        for command in self._commands:
            completed = subprocess.run(
                command,
                cwd=self._directory,
                env=self._environment,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                check=False,
            )
            if completed.returncode != 0:
                raise BenchmarkError(
                    f"{' '.join(command)} on the host exited with {completed.returncode}:\n"
                    f"{completed.stdout.decode(errors='replace')[:2000]}"
                )


def _script(language: Language = Language.BASH) -> RunRequest:
    """A one-stage run of a program that does nothing: what a stage costs around it."""
    return RunRequest(
        RunKind.SCRIPT, language, source_run="pass\n" if language is Language.PYTHON else ":\n"
    )


def _sandbox_run(runner: LocalSandboxRunner, request: RunRequest) -> RunResult:
    result = runner.run(request)
    if result.verdict is not Verdict.PASSED:
        raise BenchmarkError(
            f"the sandbox gave {result.verdict.value} for a {request.kind} run that passes: "
            f"{result.user_code_output[:1000]}{result.tests_output[:1000]}"
        )
    return result


class _SandboxTask:
    """The task in the sandbox, in this process, keeping the runner's own `duration_ms` of each
    run (its stages only: no slot lock, no thread start) to set beside the server's."""

    def __init__(self, runner: LocalSandboxRunner, request: RunRequest) -> None:
        self._runner = runner
        self._request = request
        self._durations_ms: list[int] = []

    def run_once(self) -> None:
        self._durations_ms.append(_sandbox_run(self._runner, self._request).duration_ms)

    def durations(self, last: int) -> Timings:
        return Timings(tuple(ms / 1000 for ms in self._durations_ms[-last:]))


def _recorded_durations(database_url: str, last: int) -> Timings | None:
    """`duration_ms` of the sequential user's last task runs as the server logged them: the
    same stages, run by a gunicorn worker. None if the log holds none."""
    engine = create_engine(DatabaseUrl.parse(database_url))
    try:
        with engine.connect() as connection:
            durations = connection.execute(
                select(attempts.c.duration_ms)
                .where(attempts.c.user_id == SEQUENTIAL_USER, attempts.c.item_kind == "task")
                .order_by(attempts.c.attempt_id.desc())
                .limit(last)
            ).scalars()
            seconds = tuple(ms / 1000 for ms in durations)
    finally:
        engine.dispose()
    return Timings(seconds) if seconds else None


class _Api:
    """Requests on one keep-alive connection, each checked before it counts."""

    def __init__(self, server: RunningServer, solution_text: str) -> None:
        self._server = server
        self._session = requests.Session()
        self._body = {"task_id": TASK_ID, "solution_text": solution_text}

    def run_task(self) -> None:
        answer = self._post("run_task")
        if answer.json().get("status_code") != 0:
            raise BenchmarkError(f"run_task did not pass the task: {answer.text[:2000]}")

    def save_task(self) -> None:
        self._post("save_task")

    def close(self) -> None:
        self._session.close()

    def _post(self, endpoint: str) -> requests.Response:
        url = f"{self._server.base_url}/{endpoint}?user_id={SEQUENTIAL_USER}"
        answer = self._session.post(url, json=self._body, timeout=REQUEST_TIMEOUT_S)
        if answer.status_code != 200:
            raise BenchmarkError(
                f"{endpoint} answered {answer.status_code}: {answer.text[:1000]}\n"
                f"Server log:\n{self._server.log_tail()}"
            )
        return answer


def _interleaved(probes: Sequence[Probe], repeat: int) -> Rounds:
    """Each probe once per round, the order rotating from round to round, after warm-up rounds
    that fill caches and open the connection."""
    for _ in range(WARM_UP_ROUNDS):
        for probe in probes:
            probe.run_once()
    wall: dict[str, list[float]] = {probe.key: [] for probe in probes}
    cpu: dict[str, list[float]] = {probe.key: [] for probe in probes}
    for round_number in range(repeat):
        start = round_number % len(probes)
        for probe in [*probes[start:], *probes[:start]]:
            cpu_before = _own_cpu_seconds()
            _, elapsed = timed(probe.run_once)
            wall[probe.key].append(elapsed)
            cpu[probe.key].append(_own_cpu_seconds() - cpu_before)
    return Rounds(
        wall={key: Timings(tuple(values)) for key, values in wall.items()},
        cpu={key: Timings(tuple(values)) for key, values in cpu.items()},
    )


def _own_cpu_seconds() -> float:
    """User and system time of this process and of every child it has reaped: the host's
    python3 processes, and all of a sandbox's, since the runner makes this process their
    subreaper. Not the server's, which is reaped only when it stops."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class _Load:
    """Clients in threads, each with its own keep-alive session and user, sending run_task back
    to back until the time is up; every answer is kept with its latency."""

    def __init__(
        self, server: RunningServer, solution_text: str, clients: int, duration_s: float
    ) -> None:
        self._url = f"{server.base_url}/run_task"
        self._body = {"task_id": TASK_ID, "solution_text": solution_text}
        self._clients = clients
        self._duration_s = duration_s
        self._go = threading.Event()
        self._stop_at = 0.0

    def run(self) -> LoadResult:
        answers: list[list[Answer]] = [[] for _ in range(self._clients)]
        threads = [
            threading.Thread(
                target=self._client,
                args=(FIRST_CLIENT_USER + number, answers[number]),
                name=f"bench-client-{number}",
                daemon=True,
            )
            for number in range(self._clients)
        ]
        for thread in threads:
            thread.start()
        busy_before = busy_cpu_seconds()
        started = time.monotonic()
        self._stop_at = started + self._duration_s
        self._go.set()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        return LoadResult(
            self._clients,
            elapsed,
            tuple(answer for own in answers for answer in own),
            busy_cpu_s=busy_cpu_seconds() - busy_before,
        )

    def _client(self, user_id: int, answers: list[Answer]) -> None:
        with requests.Session() as session:
            self._go.wait()
            while time.monotonic() < self._stop_at:
                answers.append(self._send(session, user_id))

    def _send(self, session: requests.Session, user_id: int) -> Answer:
        started = time.perf_counter()
        try:
            answer = session.post(
                self._url,
                params={"user_id": user_id},
                json=self._body,
                timeout=REQUEST_TIMEOUT_S,
            )
        except requests.RequestException as error:
            return Answer(time.perf_counter() - started, None, None, f"no answer: {error}")
        seconds = time.perf_counter() - started
        if answer.status_code != 200:
            return Answer(
                seconds, answer.status_code, None, f"{answer.status_code}: {answer.text[:500]}"
            )
        try:
            status_code = answer.json().get("status_code")
        except (requests.JSONDecodeError, AttributeError):
            return Answer(seconds, 200, None, f"200 without a JSON object: {answer.text[:200]}")
        problem = "" if status_code == 0 else f"status_code {status_code}: {answer.text[:500]}"
        return Answer(seconds, 200, status_code, problem)


def _sequential_report(rounds: Rounds, repeat: int) -> Table:
    timings = rounds.wall
    baseline = timings[HOST].median
    table = Table(title=f"run_task of {TASK_ID}: {repeat} runs each, interleaved")
    table.add_column("Path", no_wrap=True)
    for column in ("Median", "p90", "Min", "Max", "CPU", "Over host", "Target"):
        table.add_column(column, justify="right", no_wrap=True)
    table.add_column("Result")
    table.add_column("What is timed", style="dim", overflow="fold")
    rows = (
        (HOST, "host python3 (baseline)", "python3 task; python3 task_tests: two subprocesses"),
        (SANDBOX, "sandbox only", "LocalSandboxRunner().run(request) in this process"),
        (API, "HTTP API", "POST /run_task, keep-alive: gunicorn, Falcon, sandbox, SQLite writes"),
    )
    for key, name, what in rows:
        entry = timings[key]
        overhead = entry.median - baseline
        target, result = "", ""
        if key == API:
            target = f"< {format_seconds(OVERHEAD_TARGET_S)}"
            result = "[green]PASS[/]" if overhead < OVERHEAD_TARGET_S else "[red]MISS[/]"
        table.add_row(
            name,
            format_seconds(entry.median),
            format_seconds(entry.p90),
            format_seconds(entry.fastest),
            format_seconds(entry.slowest),
            "-" if key == API else format_seconds(rounds.cpu[key].median),
            "" if key == HOST else _signed(overhead),
            target,
            result,
            what,
        )
    table.caption = (
        "CPU: median user + system time of this process and the processes it reaped (the "
        "sandbox's included); the server's CPU is not visible here."
    )
    return table


def _breakdown_report(timings: dict[str, Timings], stages: StageDurations) -> Table:
    """The overhead taken apart: medians of the smaller runs, and differences of medians."""
    table = Table(title="Where the overhead goes (medians)")
    table.add_column("Part", no_wrap=True)
    table.add_column("Time", justify="right", no_wrap=True)
    table.add_column("How it is found", style="dim", overflow="fold")
    host_python = timings[HOST_PYTHON].median
    sandbox_python = timings[SANDBOX_PYTHON].median
    if SANDBOX_BARE in timings:
        table.add_row(
            "one sandbox stage, nearly empty",
            format_seconds(timings[SANDBOX_BARE].median),
            "one-stage run of the bash script `:` (bwrap, namespaces, mounts, prlimit, "
            "supervision, slot lock)",
        )
    table.add_row(
        "python3 start-up on the host",
        format_seconds(host_python),
        "python3 running `pass`, a subprocess",
    )
    table.add_row(
        "python3 start-up in one sandbox stage",
        format_seconds(sandbox_python),
        "one-stage run of the python script `pass`",
    )
    table.add_row(
        "  = sandbox cost per stage",
        _signed(sandbox_python - host_python),
        "the two lines above, subtracted",
    )
    table.add_row(
        "sandbox cost of the task (2 stages)",
        _signed(timings[SANDBOX].median - timings[HOST].median),
        "sandbox only - host baseline",
    )
    table.add_row(
        "the task's stages, in this process",
        format_seconds(stages.in_process.median),
        "the runner's own duration_ms of the sandbox-only runs (no slot lock, no thread start)",
    )
    api = timings[API].median
    if stages.in_server is None:
        table.add_row(
            "HTTP + JSON + database",
            _signed(api - timings[SANDBOX].median),
            "HTTP API - sandbox only",
        )
    else:
        table.add_row(
            "the task's stages, in a gunicorn worker",
            format_seconds(stages.in_server.median),
            "duration_ms of the API's runs, from the server's attempts log",
        )
        table.add_row(
            "HTTP + JSON + database + run start",
            _signed(api - stages.in_server.median),
            "HTTP API - the line above: gunicorn, Falcon, catalogue, slot lock and thread "
            "start, the run's writes on SQLite",
        )
    table.add_row(
        "  save_task through the API",
        format_seconds(timings[API_SAVE].median),
        "POST /save_task of the same code: HTTP and one write, nothing run",
    )
    return table


def _load_report(
    load: LoadResult, runner: LocalSandboxRunner, rounds: Rounds, duration: float
) -> Table:
    slots = runner.config.max_concurrent_runs
    cores = os.cpu_count() or 1
    sandbox_wall = rounds.wall[SANDBOX].median
    sandbox_cpu = rounds.cpu[SANDBOX].median
    table = Table(
        title=f"Throughput: {load.clients} clients sending run_task for {duration:g} s",
        caption=(
            f"Latency is over passing runs; CPU busy is the whole machine's, every process. "
            f"Ceilings from the sandbox alone: {slots} slots / {format_seconds(sandbox_wall)} "
            f"= {slots / sandbox_wall:.0f} runs/s; {cores} cores / "
            f"{format_seconds(sandbox_cpu)} CPU per run = {cores / sandbox_cpu:.0f} runs/s, "
            "before the server's own CPU."
        ),
    )
    columns = ("Requests", "Passing", "Runs/s", "p50", "p99", "Busy (503)", "Failed", "CPU busy")
    for column in columns:
        table.add_column(column, justify="right", no_wrap=True)
    passing = load.passing
    latency = Timings(tuple(answer.seconds for answer in passing)) if passing else None
    failed = len(load.failed)
    table.add_row(
        str(len(load.answers)),
        str(len(passing)),
        f"{load.runs_per_second:.1f}",
        format_seconds(latency.median) if latency else "-",
        format_seconds(latency.p99) if latency else "-",
        f"[yellow]{load.busy_answers}[/]" if load.busy_answers else "0",
        f"[red]{failed}[/]" if failed else "0",
        f"{load.busy_cpu_s / (load.elapsed_s * cores):.0%}",
    )
    return table


def _flood_report(flood: FloodResult) -> Table:
    verdict = "[green]met[/]" if flood.meets_targets else "[bold red]missed[/]"
    table = Table(
        title=f"Reads under a run flood: {flood.clients} clients looping run_task for "
        f"{flood.duration_s:g} s — targets {verdict}",
        caption=(
            f"Targets: get_courses p99 < {format_seconds(P99_TARGET_S)} and median within "
            f"{MEDIAN_FACTOR_TARGET:g}x of idle; no run left active after the drain; every "
            "verdict on record."
        ),
    )
    for column in ("", "p50", "p99", "Requests"):
        table.add_column(column, justify="right", no_wrap=True)
    table.add_row(
        "get_courses idle",
        format_seconds(flood.idle.median),
        format_seconds(flood.idle.p99),
        str(flood.idle.count),
    )
    table.add_row(
        "get_courses under the flood",
        format_seconds(flood.flooded.median),
        format_seconds(flood.flooded.p99),
        str(flood.flooded.count),
    )
    refused = ", ".join(f"{count} x {status}" for status, count in sorted(flood.refused.items()))
    table.add_row("run_task verdicts", "", "", str(flood.verdicts))
    table.add_row("run_task refused at once", "", "", refused or "0")
    table.add_row(
        "runs on record / still active",
        "",
        "",
        f"{flood.runs_on_record} / {flood.runs_still_active}",
    )
    if flood.failures:
        table.add_row(
            "[red]other answers[/]", "", "", f"{len(flood.failures)}: {flood.failures[0]}"
        )
    return table


def _signed(seconds: float) -> str:
    sign = "+" if seconds >= 0 else "-"
    return f"{sign}{format_seconds(abs(seconds))}"


if __name__ == "__main__":
    sys.exit(main())
