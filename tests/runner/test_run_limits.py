"""Limits per run, not per process (security suite, issue 10 item 5): each stage's processes
share one cgroup's memory (tmpfs, memfd and kernel memory included), process count and CPU."""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

import pytest

from handyman_core.run_protocol import Verdict
from handyman_runner.local import LocalSandboxRunner
from tests.conftest import require
from tests.runner.sandbox_support import sandbox_runner, script

pytestmark = pytest.mark.sandbox


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> LocalSandboxRunner:
    built = sandbox_runner(
        tmp_path_factory.mktemp("slots"), work_dir_bytes=8 * 1024 * 1024, scratch_bytes=4 * 1024**2
    )
    require(
        built.resource_isolation.startswith("per run"),
        f"this host gives the sandboxes no cgroup: {built.resource_isolation}",
    )
    return built


def test_the_runner_says_its_limits_are_per_run(runner: LocalSandboxRunner) -> None:
    assert runner.resource_isolation.startswith("per run (cgroup v")


def test_memory_spread_over_many_children_is_a_memory_limit(runner: LocalSandboxRunner) -> None:
    source = """\
        import os, time
        children = []
        for _ in range(16):
            pid = os.fork()
            if pid == 0:
                block = bytearray(100 * 1024 * 1024)
                for page in range(0, len(block), 4096):
                    block[page] = 1
                time.sleep(1)
                os._exit(0)
            children.append(pid)
        statuses = [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in children]
        raise SystemExit(0 if all(status == 0 for status in statuses) else 1)
        """
    result = runner.run(
        script(textwrap.dedent(source), memory_bytes=256 * 1024**2, wall_seconds=20.0)
    )
    assert result.verdict is Verdict.MEMORY_LIMIT


def test_memory_held_in_memfds_is_a_memory_limit(runner: LocalSandboxRunner) -> None:
    source = """\
        import os
        held = []
        for _ in range(160):
            fd = os.memfd_create("hoard")
            os.write(fd, b"x" * (10 * 1024 * 1024))
            held.append(fd)
        print("held 1.6 GiB")
        """
    result = runner.run(script(textwrap.dedent(source), wall_seconds=20.0))
    assert result.verdict is Verdict.MEMORY_LIMIT
    assert "held" not in result.user_code_output


def test_files_flooding_a_tmpfs_are_bounded_by_the_memory_limit(
    runner: LocalSandboxRunner,
) -> None:
    source = """\
        count = 0
        try:
            while True:
                open(f"/tmp/f{count}", "w").close()
                count += 1
        except OSError:
            pass
        print(count)
        """
    result = runner.run(
        script(textwrap.dedent(source), memory_bytes=64 * 1024**2, wall_seconds=60.0)
    )
    assert result.verdict in (Verdict.MEMORY_LIMIT, Verdict.PASSED)
    if result.verdict is Verdict.PASSED:
        assert int(result.user_code_output) < 1_000_000


def test_cpu_time_is_counted_for_the_whole_run_not_per_process(
    runner: LocalSandboxRunner,
) -> None:
    source = """\
        import os
        for _ in range(8):
            if os.fork() == 0:
                while True:
                    pass
        os.wait()
        """
    started = time.monotonic()
    result = runner.run(script(textwrap.dedent(source), cpu_seconds=1.0, wall_seconds=30.0))
    assert result.verdict is Verdict.TIMEOUT
    assert time.monotonic() - started < 15, "the run's CPU, not its wall limit, ended it"


def test_a_program_that_kills_itself_is_a_failed_run_not_a_memory_limit(
    runner: LocalSandboxRunner,
) -> None:
    result = runner.run(script("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n"))
    assert result.verdict is Verdict.RUN_FAILED
    assert result.signal == 9


def test_a_process_count_bomb_stops_at_the_runs_process_limit(
    runner: LocalSandboxRunner,
) -> None:
    source = """\
        import os, time
        started = 0
        try:
            for _ in range(1000):
                if os.fork() == 0:
                    time.sleep(2)
                    os._exit(0)
                started += 1
        except OSError:
            pass
        print(started)
        """
    result = runner.run(script(textwrap.dedent(source), processes=16))
    assert result.verdict is Verdict.PASSED
    assert int(result.user_code_output) < 16


def test_a_runner_without_cgroups_says_so(tmp_path: Path) -> None:
    without = sandbox_runner(tmp_path, cgroups=False)
    assert without.resource_isolation.startswith("per process only")
