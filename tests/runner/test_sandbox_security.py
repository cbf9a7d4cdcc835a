"""What learners' code cannot do in the local sandbox: outlive its limits, exhaust the host, reach
the network or the service's secrets, or write outside its work dir."""

from __future__ import annotations

import os
import secrets
import socket
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from handyman_core.run_protocol import Language, RunResult, Verdict
from handyman_runner.local import LocalSandboxRunner
from tests.conftest import PROJECT_ROOT, require
from tests.runner.sandbox_support import (
    SHORT_WALL_SECONDS,
    SLACK_SECONDS,
    processes_with_marker,
    sandbox_runner,
    script,
)

pytestmark = pytest.mark.sandbox


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> LocalSandboxRunner:
    return sandbox_runner(tmp_path_factory.mktemp("slots"))


def _timed(runner: LocalSandboxRunner, source: str, **options: Any) -> tuple[float, RunResult]:
    started = time.monotonic()
    result = runner.run(script(textwrap.dedent(source), **options))
    return time.monotonic() - started, result


def _marker() -> str:
    return f"handyman-sandbox-test-{secrets.token_hex(6)}"


def test_an_infinite_loop_is_stopped_by_the_cpu_limit(runner: LocalSandboxRunner) -> None:
    result = runner.run(script("while True:\n    pass\n", cpu_seconds=1.0, wall_seconds=3.0))
    assert result.verdict is Verdict.TIMEOUT


def test_a_loop_that_ignores_the_cpu_signal_is_still_a_timeout(
    runner: LocalSandboxRunner,
) -> None:
    source = """\
        import signal
        signal.signal(signal.SIGXCPU, signal.SIG_IGN)
        while True:
            pass
        """
    result = runner.run(script(textwrap.dedent(source), cpu_seconds=1.0, wall_seconds=4.0))
    assert result.verdict is Verdict.TIMEOUT


def test_sleeping_forever_is_stopped_at_the_wall_limit(runner: LocalSandboxRunner) -> None:
    started = time.monotonic()
    result = runner.run(script("import time\ntime.sleep(10_000)\n"))
    elapsed = time.monotonic() - started
    assert result.verdict is Verdict.TIMEOUT
    assert SHORT_WALL_SECONDS <= elapsed < SHORT_WALL_SECONDS + SLACK_SECONDS


def test_a_memory_bomb_is_a_memory_limit(runner: LocalSandboxRunner) -> None:
    source = "chunks = []\nwhile True:\n    chunks.append(bytearray(16 * 1024 * 1024))\n"
    result = runner.run(script(source, memory_bytes=128 * 1024 * 1024))
    assert result.verdict is Verdict.MEMORY_LIMIT


def test_a_fork_bomb_is_contained_and_the_host_stays_responsive(
    runner: LocalSandboxRunner,
) -> None:
    marker = _marker()
    source = """\
        import os
        while True:
            try:
                os.fork()
            except OSError:
                pass
        """
    handle = runner.start(script(textwrap.dedent(source), args=marker, processes=32))
    most = 0
    while not handle.done:
        most = max(most, len(processes_with_marker(marker)))
        time.sleep(0.05)
    result = handle.wait()
    assert result.verdict is Verdict.TIMEOUT
    assert most <= 32 + 2, "bwrap's two processes aside, the sandbox stays within its limit"
    assert processes_with_marker(marker) == []
    started = time.monotonic()
    assert runner.run(script("print('still here')")).user_code_output == "still here\n"
    assert time.monotonic() - started < SHORT_WALL_SECONDS


@pytest.fixture
def loopback_listener() -> Iterator[socket.socket]:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.setblocking(False)
    yield listener
    listener.close()


def test_the_host_loopback_is_unreachable(
    runner: LocalSandboxRunner, loopback_listener: socket.socket
) -> None:
    port = loopback_listener.getsockname()[1]
    source = f"""\
        import socket
        try:
            socket.create_connection(("127.0.0.1", {port}), timeout=1).close()
            print("connected")
        except OSError as error:
            print("refused", type(error).__name__)
        """
    result = runner.run(script(textwrap.dedent(source)))
    assert result.user_code_output.startswith("refused")
    with pytest.raises(BlockingIOError):
        loopback_listener.accept()


def test_the_only_network_interface_is_loopback(runner: LocalSandboxRunner) -> None:
    result = runner.run(script("import socket\nprint(socket.if_nameindex())\n"))
    assert result.user_code_output == "[(1, 'lo')]\n"


@pytest.mark.parametrize(
    "path",
    ["/etc/shadow", "/etc/gshadow", "/root", "/home", "/var", "/run", str(PROJECT_ROOT)],
)
def test_host_files_are_absent(runner: LocalSandboxRunner, path: str) -> None:
    result = runner.run(script(f"import os\nprint(os.path.exists({path!r}))\n"))
    assert result.user_code_output == "False\n"


def test_the_services_database_file_is_absent(runner: LocalSandboxRunner, tmp_path: Path) -> None:
    database = tmp_path / "handyman.sqlite3"
    database.write_bytes(b"SQLite format 3\0")
    result = runner.run(script(f"import os\nprint(os.path.exists({str(database)!r}))\n"))
    assert result.user_code_output == "False\n"


def test_the_services_environment_is_invisible(
    runner: LocalSandboxRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = secrets.token_hex(16)
    monkeypatch.setenv("HANDYMAN_TEST_SECRET", secret)
    source = """\
        import os
        seen = [repr(dict(os.environ))]
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{pid}/environ", "rb") as environ:
                    seen.append(repr(environ.read()))
            except OSError as error:
                seen.append(type(error).__name__)
        print("\\n".join(seen))
        """
    result = runner.run(script(textwrap.dedent(source)))
    assert result.verdict is Verdict.PASSED
    assert secret not in result.user_code_output
    assert "HANDYMAN" not in result.user_code_output


def test_the_sandbox_init_has_an_empty_environment(runner: LocalSandboxRunner) -> None:
    source = """\
        try:
            print(repr(open("/proc/1/environ", "rb").read()))
        except OSError as error:
            print(type(error).__name__)
        """
    result = runner.run(script(textwrap.dedent(source)))
    assert result.user_code_output in ("b''\n", "PermissionError\n")


@pytest.mark.parametrize("directory", ["/", "/usr", "/etc", "/dev", "/proc", "/usr/lib"])
def test_writing_outside_the_work_dir_is_refused(
    runner: LocalSandboxRunner, directory: str
) -> None:
    source = f"""\
        import os
        try:
            with open(os.path.join({directory!r}, "planted"), "w") as planted:
                planted.write("x")
            print("written")
        except OSError as error:
            print("refused", error.errno)
        """
    result = runner.run(script(textwrap.dedent(source)))
    assert result.user_code_output.startswith("refused")


@pytest.mark.parametrize("directory", ["/work", "/tmp", "/dev/shm"])
def test_the_scratch_dirs_are_writable(runner: LocalSandboxRunner, directory: str) -> None:
    source = f"open({directory!r} + '/note', 'w').write('x')\nprint('ok')\n"
    assert runner.run(script(source)).user_code_output == "ok\n"


def test_filling_the_work_dir_is_capped(runner: LocalSandboxRunner) -> None:
    source = """\
        import errno
        chunk = b"x" * (1024 * 1024)
        try:
            for number in range(1000):
                with open(f"fill-{number}", "wb") as fill:
                    for _ in range(8):
                        fill.write(chunk)
        except OSError as error:
            print("stopped:", errno.errorcode[error.errno])
            raise
        """
    elapsed, result = _timed(runner, source)
    assert result.verdict is Verdict.RUN_FAILED
    assert "stopped: ENOSPC" in result.user_code_output
    assert elapsed < SHORT_WALL_SECONDS


def test_one_huge_file_is_capped_by_the_file_size_limit(runner: LocalSandboxRunner) -> None:
    source = """\
        import errno
        try:
            with open("huge", "wb") as huge:
                huge.write(b"x" * (2 * 1024 * 1024))
        except OSError as error:
            print("stopped:", errno.errorcode[error.errno])
            raise
        """
    result = runner.run(script(textwrap.dedent(source), file_size_bytes=1024 * 1024))
    assert result.verdict is Verdict.RUN_FAILED
    assert "stopped: EFBIG" in result.user_code_output


def test_a_stdout_flood_is_cut_at_the_output_cap(runner: LocalSandboxRunner) -> None:
    cap = 64 * 1024
    result = runner.run(script("while True:\n    print('y' * 999)\n", output_bytes=cap))
    assert result.verdict is Verdict.OUTPUT_LIMIT
    assert result.output_truncated
    assert len(result.user_code_output.encode()) == cap


def test_killing_every_other_process_does_not_escape_the_wall_limit(
    runner: LocalSandboxRunner,
) -> None:
    marker = _marker()
    source = f"""\
        import os, signal, subprocess, time
        subprocess.Popen(["bash", "-c", "exec -a {marker} sleep 1000"], start_new_session=True)
        os.kill(-1, signal.SIGKILL)
        time.sleep(10_000)
        """
    elapsed, result = _timed(runner, source)
    assert result.verdict is Verdict.TIMEOUT
    assert elapsed < SHORT_WALL_SECONDS + SLACK_SECONDS
    assert processes_with_marker(marker) == []


def test_stopping_itself_does_not_escape_the_wall_limit(runner: LocalSandboxRunner) -> None:
    source = "import os, signal\nos.kill(os.getpid(), signal.SIGSTOP)\n"
    elapsed, result = _timed(runner, source)
    assert result.verdict is Verdict.TIMEOUT
    assert elapsed < SHORT_WALL_SECONDS + SLACK_SECONDS


def test_ignoring_termination_signals_does_not_escape_the_wall_limit(
    runner: LocalSandboxRunner,
) -> None:
    source = """\
        import signal, time
        for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGXCPU):
            signal.signal(number, signal.SIG_IGN)
        while True:
            time.sleep(0.01)
        """
    elapsed, result = _timed(runner, source)
    assert result.verdict is Verdict.TIMEOUT
    assert elapsed < SHORT_WALL_SECONDS + SLACK_SECONDS


def test_non_utf8_output_is_decoded_with_replacement_characters(
    runner: LocalSandboxRunner,
) -> None:
    source = "import sys\nsys.stdout.buffer.write(b'caf\\xc3\\xa9 \\xff\\xfe end\\xc3')\n"
    result = runner.run(script(source))
    assert result.verdict is Verdict.PASSED
    assert result.user_code_output == "café \ufffd\ufffd end\ufffd"


def test_a_daemonised_child_is_reaped_when_the_program_ends(runner: LocalSandboxRunner) -> None:
    marker = _marker()
    source = f"""\
        (setsid bash -c 'exec -a {marker} sleep 1000' &)
        (exec -a {marker} sleep 1000) &
        echo started
        """
    elapsed, result = _timed(runner, source, language=Language.BASH)
    assert result.user_code_output == "started\n"
    assert elapsed < SHORT_WALL_SECONDS
    assert processes_with_marker(marker) == []


def test_the_program_runs_as_an_unprivileged_user_without_capabilities(
    runner: LocalSandboxRunner,
) -> None:
    source = """\
        import os
        capabilities = [line for line in open("/proc/self/status") if line.startswith("CapEff")]
        print(os.getuid(), os.getgid(), capabilities[0].split()[1])
        """
    result = runner.run(script(textwrap.dedent(source)))
    assert result.user_code_output == "65534 65534 0000000000000000\n"


def test_no_further_user_namespaces_can_be_created(runner: LocalSandboxRunner) -> None:
    source = "unshare --user true 2>/dev/null && echo created || echo refused\n"
    result = runner.run(script(source, language=Language.BASH))
    assert result.user_code_output == "refused\n"


def _owners_while_running(runner: LocalSandboxRunner, count: int) -> list[set[int]]:
    """The host uids of the sandbox processes of `count` runs going at once."""
    markers = [_marker() for _ in range(count)]
    handles = [runner.start(script("import time\ntime.sleep(10)\n", args=m)) for m in markers]
    try:
        found: list[list[int]] = [[] for _ in markers]
        deadline = time.monotonic() + SHORT_WALL_SECONDS
        while min(len(pids) for pids in found) < 3 and time.monotonic() < deadline:
            found = [processes_with_marker(marker) for marker in markers]
            time.sleep(0.02)
        return [{os.stat(f"/proc/{pid}").st_uid for pid in pids} for pids in found]
    finally:
        for handle in handles:
            handle.stop()
            handle.wait()


def test_a_root_service_runs_each_slots_sandboxes_as_a_host_uid_of_the_slot(
    runner: LocalSandboxRunner,
) -> None:
    (owners,) = _owners_while_running(runner, 1)
    if os.geteuid() != 0:
        assert owners == {os.geteuid()}
        return
    (uid,) = owners
    base = runner.config.slot_uid_base
    assert base <= uid < base + runner.config.max_concurrent_runs


def test_runs_in_different_slots_never_share_a_host_uid(tmp_path: Path) -> None:
    require(os.geteuid() == 0, "per-slot host uids need a root service")
    two_slots = sandbox_runner(tmp_path, max_concurrent_runs=2)
    first, second = _owners_while_running(two_slots, 2)
    assert len(first) == len(second) == 1
    assert first != second
