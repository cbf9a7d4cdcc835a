"""End to end over real HTTP on 127.0.0.1: a `handyman runner serve` process running code in the
bubblewrap sandbox, reached by `RemoteRunner`, and a `handyman serve --runner remote` process
sending it the site's run_task calls."""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests

from handyman_core.catalogue import Catalogue
from handyman_core.errors import RunnerUnavailable
from handyman_core.run_protocol import RunRequest, Verdict
from handyman_core.task_runs import prepare_task_run
from handyman_runner.local import LocalSandboxRunner, SandboxUnavailable
from handyman_runner.remote import RemoteRunner
from handyman_store.course_folder import read_course_folder
from tests.conftest import EXAMPLE_COURSES, PROJECT_ROOT, require

pytestmark = [pytest.mark.slow, pytest.mark.sandbox]

SOLUTIONS: dict[str, Any] = json.loads(
    (PROJECT_ROOT / "examples" / "solutions" / "pythonstart.json").read_text(encoding="utf-8")
)
TASK_SOLUTIONS = {key: code for key, code in SOLUTIONS.items() if "_task_" in key}
AREA_TASK = "pythonstart_chapter_0010_task_0010"
RUNNER_TOKEN = secrets.token_urlsafe(16)
_LISTENING = re.compile(r"Listening at: (http://127\.0\.0\.1:\d+)")


@contextmanager
def _serving(arguments: list[str], log: Path, env: dict[str, str]) -> Iterator[str]:
    """Starts `handyman <arguments>` on a free loopback port and yields its base URL; stops it
    with SIGTERM (gunicorn's graceful stop) at the end."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "handyman_cli.main", *arguments],
            stdout=output,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=PROJECT_ROOT,
        )
    try:
        yield _wait_until_listening(process, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _wait_until_listening(process: subprocess.Popen[bytes], log: Path) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = _LISTENING.search(log.read_text(encoding="utf-8", errors="replace"))
        if found:
            return found.group(1)
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}:\n{log.read_text()}")
        time.sleep(0.1)
    pytest.fail(f"the server did not start listening within 60 s:\n{log.read_text()}")


def _environment(**values: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("HANDYMAN_") and key != "PROMETHEUS_MULTIPROC_DIR"
    }
    env.update(values)
    return env


def _sandbox_problem() -> str | None:
    try:
        LocalSandboxRunner()
    except SandboxUnavailable as error:
        return str(error)
    return None


@pytest.fixture(scope="module")
def runner_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    problem = _sandbox_problem()
    require(problem is None, f"the bubblewrap sandbox cannot run code here: {problem}")
    log = tmp_path_factory.mktemp("runner") / "runner.log"
    arguments = ["runner", "serve", "--port", "0", "--threads", "4", "--max-runs", "2"]
    with _serving(arguments, log, _environment(HANDYMAN_RUNNER_TOKEN=RUNNER_TOKEN)) as url:
        yield url


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return read_course_folder(EXAMPLE_COURSES).catalogue


def _task_type(catalogue: Catalogue, task_id: str) -> str:
    """A task written as a `consoleoutput` block asks what a program prints: plain text."""
    task = catalogue.task(task_id)
    assert task is not None
    chapter = catalogue.chapter(task.chapter_id)
    assert chapter is not None
    marker = f"```consoleoutput {{.task_source #{task_id}}}"
    return "plain_text" if marker in chapter.text else "code"


def _task_run(catalogue: Catalogue, task_id: str, code: str) -> RunRequest:
    return prepare_task_run(catalogue, task_id, code, task_type=_task_type(catalogue, task_id))


# --- RemoteRunner against `handyman runner serve` -------------------------------------------


@pytest.mark.parametrize("task_id", sorted(TASK_SOLUTIONS))
def test_each_example_solution_passes_on_the_served_sandbox(
    runner_url: str, catalogue: Catalogue, task_id: str
) -> None:
    runner = RemoteRunner([runner_url], token=RUNNER_TOKEN)

    result = runner.run(_task_run(catalogue, task_id, TASK_SOLUTIONS[task_id]))

    assert result.verdict is Verdict.PASSED, result


def test_a_wrong_solution_fails_the_tests_on_the_served_sandbox(
    runner_url: str, catalogue: Catalogue
) -> None:
    wrong = "width = 7\nheight = 6\narea = width + height\n"

    result = RemoteRunner([runner_url], token=RUNNER_TOKEN).run(
        _task_run(catalogue, AREA_TASK, wrong)
    )

    assert result.verdict is Verdict.TESTS_FAILED
    assert "area" in result.tests_output + result.user_code_output


def test_code_that_does_not_run_is_a_run_failure_on_the_served_sandbox(
    runner_url: str, catalogue: Catalogue
) -> None:
    result = RemoteRunner([runner_url], token=RUNNER_TOKEN).run(
        _task_run(catalogue, AREA_TASK, "width = = 7\n")
    )

    assert result.verdict is Verdict.RUN_FAILED


def test_the_served_sandbox_turns_away_a_client_without_the_token(
    runner_url: str, catalogue: Catalogue
) -> None:
    with pytest.raises(RunnerUnavailable):
        RemoteRunner([runner_url]).run(_task_run(catalogue, AREA_TASK, TASK_SOLUTIONS[AREA_TASK]))


# --- the Handyman API with `--runner remote` ------------------------------------------------


@pytest.fixture(scope="module")
def api_url(runner_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("api")
    arguments = [
        "serve",
        "--port",
        "0",
        "--workers",
        "1",
        "--threads",
        "2",
        "--runner",
        "remote",
        "--watchman-url",
        runner_url,
        "--courses",
        str(EXAMPLE_COURSES),
        "--database-url",
        f"sqlite:///{directory / 'handyman.sqlite3'}",
    ]
    env = _environment(HANDYMAN_RUNNER_TOKEN=RUNNER_TOKEN)
    with _serving(arguments, directory / "api.log", env) as url:
        yield url


def _call(api_url: str, path: str, user_id: int, body: dict[str, object]) -> Any:
    reply = requests.post(f"{api_url}/{path}", params={"user_id": user_id}, json=body, timeout=90)
    assert reply.status_code == 200, reply.text
    return reply.json()


def _run_task(api_url: str, user_id: int, code: str) -> Any:
    solution = base64.b64encode(code.encode()).decode()
    return _call(api_url, "run_task", user_id, {"task_id": AREA_TASK, "solution_text": solution})


def _task_status(api_url: str, user_id: int) -> str:
    status: str = _call(api_url, "get_task", user_id, {"task_id": AREA_TASK})["status"]
    return status


def test_a_correct_solution_run_through_the_api_completes_the_task(api_url: str) -> None:
    reply = _run_task(api_url, 1001, TASK_SOLUTIONS[AREA_TASK])

    assert reply["status_code"] == 0, reply
    assert _task_status(api_url, 1001) == "completed"


def test_a_wrong_solution_run_through_the_api_leaves_the_task_in_progress(api_url: str) -> None:
    reply = _run_task(api_url, 1002, "width = 7\nheight = 6\narea = 42\n")

    assert reply["status_code"] == 2, reply
    assert _task_status(api_url, 1002) == "in_progress"
