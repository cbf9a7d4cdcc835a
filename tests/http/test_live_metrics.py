"""/metrics through a real `handyman serve` with two workers counts every request, whichever worker
answered it, and the server leaves no metrics directory behind."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.conftest import EXAMPLE_COURSES
from tests.http.conftest import TASK, encoded
from tests.http.live_server import (
    FakeWatchman,
    LiveServer,
    fake_watchman,
    running_server,
    serve_command,
    server_environment,
)
from tests.loopback import free_port

pytestmark = pytest.mark.slow

NO_VERDICT = {"error": "the runner fell over"}


@contextlib.contextmanager
def serving_with_default_metrics(folder: Path) -> Iterator[tuple[LiveServer, FakeWatchman]]:
    """`handyman serve` as an operator starts it: no PROMETHEUS_MULTIPROC_DIR of its own, and
    temporary files under the test's folder, where a directory left behind would show."""
    with fake_watchman() as watchman:
        command = serve_command(
            f"sqlite:///{folder / 'handyman.sqlite3'}",
            free_port(),
            EXAMPLE_COURSES,
            "--runner",
            "remote",
            "--watchman-url",
            watchman.url,
        )
        environment = server_environment(folder / "home", "metrics-admin-token")
        del environment["PROMETHEUS_MULTIPROC_DIR"]
        environment["TMPDIR"] = str(folder / "tmp")
        (folder / "tmp").mkdir()
        with running_server(command, environment, folder) as server:
            yield server, watchman


def run_task(server: LiveServer, solution_text: str) -> int:
    """A fresh connection per request, so the workers share the requests."""
    response = requests.post(
        f"{server.url}/run_task",
        params={"user_id": "5"},
        json={"task_id": TASK, "solution_text": solution_text},
        headers={"Connection": "close"},
        timeout=30,
    )
    return response.status_code


def counters(server: LiveServer) -> dict[str, float]:
    page = requests.get(f"{server.url}/metrics", timeout=10).text
    return {
        name: float(value)
        for name, value in re.findall(r"^(handyman_run_task_\w+) (\S+)$", page, re.MULTILINE)
    }


def test_metrics_count_the_requests_of_every_worker(tmp_path: Path) -> None:
    with serving_with_default_metrics(tmp_path) as (server, watchman):
        statuses = [run_task(server, encoded("print(1)")) for _ in range(5)]
        statuses += [run_task(server, "not base64!") for _ in range(3)]
        watchman.answer(NO_VERDICT, NO_VERDICT)
        statuses += [run_task(server, encoded("print(2)")) for _ in range(2)]
        assert statuses == [200] * 5 + [400] * 3 + [503] * 2

        for _ in range(4):  # whichever worker answers /metrics shows every worker's counts
            assert counters(server) == {
                "handyman_run_task_total": 10,
                "handyman_run_task_ok": 5,
                "handyman_run_task_errors_client": 3,
                "handyman_run_task_errors_server": 2,
            }


def test_the_metrics_directory_is_removed_when_the_server_stops(tmp_path: Path) -> None:
    with serving_with_default_metrics(tmp_path) as (server, _):
        made = list((tmp_path / "tmp").glob("handyman-metrics-*"))
        assert len(made) == 1
        assert run_task(server, encoded("print(1)")) == 200

        code, _ = server.stop()

    assert code == 0, server.log()
    assert list((tmp_path / "tmp").iterdir()) == []


def test_the_command_line_does_not_import_prometheus_client_before_the_workers_do() -> None:
    probe = "import sys, handyman_cli.main; print('prometheus_client' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=os.environ
    )

    assert result.stdout.strip() == "False"
