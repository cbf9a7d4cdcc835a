"""The runner server speaks the original runner's API in front of any Runner: verdicts as
watchman sent them, and every failure in a shape that carries no `status_code`."""

from __future__ import annotations

import argparse
import threading
from collections.abc import Callable, Iterator
from socketserver import ThreadingMixIn
from typing import Any, ClassVar
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from attrs import define, field
from falcon import testing
from hypothesis import given
from hypothesis import strategies as st

from handyman_cli import runner_commands
from handyman_core.catalogue import ProjectFile
from handyman_core.errors import RunnerUnavailable
from handyman_core.run_protocol import Language, RunKind, Runner, RunRequest, RunResult, Verdict
from handyman_core.watchman_protocol import (
    check_body,
    parse_check_body,
    parse_playground_body,
    parse_practice_body,
    playground_body,
    practice_body,
)
from handyman_runner.remote import RemoteRunner
from handyman_runner.sandbox_config import SandboxConfig
from handyman_runner.sandbox_errors import SandboxUnavailable
from handyman_runner.server import create_runner_app

TASK = RunRequest(
    kind=RunKind.TASK,
    language=Language.PYTHON,
    source_run="print(1)",
    source_test="assert True",
    type_check=True,
)
FILES = (ProjectFile("main.py", "print(1)"), ProjectFile("pkg/mod.py", "X = 2"))
PLAYGROUND = RunRequest(
    kind=RunKind.PLAYGROUND, language=Language.RUST, files=FILES, main_file="main.py"
)
PRACTICE = RunRequest(
    kind=RunKind.PRACTICE_TEST, language=Language.GOLANG, files=FILES, main_file="main.py"
)


@define
class FakeRunner:
    """Answers with the next scripted outcome (default: passed) and keeps what it was asked."""

    outcomes: list[RunResult | Exception] = field(factory=list)
    requests: list[RunRequest] = field(factory=list)

    def run(self, request: RunRequest) -> RunResult:
        self.requests.append(request)
        outcome = self.outcomes.pop(0) if self.outcomes else RunResult(Verdict.PASSED)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


@pytest.fixture
def runner() -> FakeRunner:
    return FakeRunner()


@pytest.fixture
def client(runner: FakeRunner) -> testing.TestClient:
    return testing.TestClient(create_runner_app(runner, body_limit=64 * 1024))


def _post(client: testing.TestClient, path: str, body: Any, **kwargs: Any) -> testing.Result:
    return client.simulate_post(path, json=body, **kwargs)


# --- runs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "parse"),
    [
        ("/check", check_body(TASK), parse_check_body),
        ("/playground", playground_body(PLAYGROUND), parse_playground_body),
        ("/practice", practice_body(PRACTICE, "golang_calc"), parse_practice_body),
    ],
)
def test_each_endpoint_runs_the_request_its_body_describes(
    client: testing.TestClient, runner: FakeRunner, path: str, body: Any, parse: Any
) -> None:
    _post(client, path, body)

    assert runner.requests == [parse(body)]


@pytest.mark.parametrize("verdict", list(Verdict))
def test_the_reply_carries_the_verdicts_status_code(
    client: testing.TestClient, runner: FakeRunner, verdict: Verdict
) -> None:
    runner.outcomes.append(RunResult(verdict, user_code_output="out", tests_output="tests"))

    reply = _post(client, "/check", check_body(TASK))

    assert reply.status_code == 200
    assert reply.json == {
        "status_code": verdict.status_code,
        "user_code_output": "out",
        "tests_output": "tests",
    }


def test_empty_tests_output_is_left_out_as_watchman_did(
    client: testing.TestClient, runner: FakeRunner
) -> None:
    runner.outcomes.append(RunResult(Verdict.RUN_FAILED, user_code_output="SyntaxError"))

    reply = _post(client, "/check", check_body(TASK))

    assert reply.json == {"status_code": 1, "user_code_output": "SyntaxError"}


def test_replies_are_json(client: testing.TestClient) -> None:
    reply = _post(client, "/check", check_body(TASK))

    assert reply.headers["Content-Type"].startswith("application/json")


def test_a_failure_inside_the_runner_is_watchmans_internal_error(
    client: testing.TestClient, runner: FakeRunner
) -> None:
    runner.outcomes.append(RuntimeError("/var/lib/sandbox exploded"))

    reply = _post(client, "/check", check_body(TASK))

    assert reply.status_code == 200
    assert reply.json == {"status_code": 3, "user_code_output": "Internal error"}


def test_a_busy_runner_answers_503_with_its_retry_after(
    client: testing.TestClient, runner: FakeRunner
) -> None:
    runner.outcomes.append(RunnerUnavailable("all 4 sandboxes busy", retry_after=5))

    reply = _post(client, "/check", check_body(TASK))

    assert reply.status_code == 503
    assert reply.headers["Retry-After"] == "5"
    assert set(reply.json) == {"error"}


def test_a_runner_unavailable_without_a_delay_answers_503_without_retry_after(
    client: testing.TestClient, runner: FakeRunner
) -> None:
    runner.outcomes.append(RunnerUnavailable("language not available on this runner: rust"))

    reply = _post(client, "/check", check_body(TASK))

    assert reply.status_code == 503
    assert "Retry-After" not in reply.headers
    assert set(reply.json) == {"error"}


# --- requests it cannot read --------------------------------------------------------------


def _assert_refused(reply: testing.Result, status: int) -> None:
    assert reply.status_code == status
    assert "status_code" not in reply.json
    assert isinstance(reply.json.get("output"), str)


def test_a_body_that_is_not_json_is_refused(client: testing.TestClient, runner: FakeRunner) -> None:
    reply = client.simulate_post("/check", body=b"{not json")

    _assert_refused(reply, 400)
    assert runner.requests == []


@pytest.mark.parametrize(
    ("path", "body", "field_name"),
    [
        ("/check", {"source_run": "x"}, "container_type"),
        ("/check", {**check_body(TASK), "container_type": "cobol"}, "container_type"),
        ("/check", {**check_body(TASK), "cmd_line_args": ["-rf /"]}, "cmd_line_args"),
        ("/playground", {"container_type": "python", "project": "[]"}, "project"),
        ("/practice", {**practice_body(PRACTICE, "p"), "action": "deploy"}, "action"),
    ],
)
def test_a_body_the_runner_cannot_read_is_refused_naming_the_field(
    client: testing.TestClient, runner: FakeRunner, path: str, body: Any, field_name: str
) -> None:
    reply = _post(client, path, body)

    _assert_refused(reply, 400)
    assert field_name in reply.json["output"]
    assert runner.requests == []


def test_a_body_over_the_limit_is_refused(client: testing.TestClient) -> None:
    body = {**check_body(TASK), "source_run": "x" * (64 * 1024)}

    _assert_refused(_post(client, "/check", body), 413)


def test_only_post_runs_code(client: testing.TestClient, runner: FakeRunner) -> None:
    reply = client.simulate_get("/check")

    _assert_refused(reply, 405)
    assert runner.requests == []


def test_an_unknown_path_is_refused(client: testing.TestClient) -> None:
    _assert_refused(_post(client, "/execute", check_body(TASK)), 404)


def test_health_answers_ok(client: testing.TestClient) -> None:
    reply = client.simulate_get("/health")

    assert (reply.status_code, reply.json) == (200, {"status": "ok"})


def test_health_says_how_the_sandbox_bounds_a_run() -> None:
    @define
    class Isolated(FakeRunner):
        resource_isolation: str = "per run (cgroup v1 (memory, pids, cpu, cpuacct) under /x)"

    reply = testing.TestClient(create_runner_app(Isolated())).simulate_get("/health")

    assert reply.json == {"status": "ok", "run_limits": Isolated().resource_isolation}


# --- token --------------------------------------------------------------------------------


@pytest.fixture
def guarded(runner: FakeRunner) -> testing.TestClient:
    return testing.TestClient(create_runner_app(runner, token="s3cret"))


def test_with_a_token_set_a_run_without_it_is_unauthorized(
    guarded: testing.TestClient, runner: FakeRunner
) -> None:
    reply = _post(guarded, "/check", check_body(TASK))

    _assert_refused(reply, 401)
    assert runner.requests == []


def test_with_a_token_set_a_run_with_another_token_is_forbidden(
    guarded: testing.TestClient, runner: FakeRunner
) -> None:
    reply = _post(guarded, "/check", check_body(TASK), headers={"Authorization": "Bearer nope"})

    _assert_refused(reply, 403)
    assert runner.requests == []


def test_with_a_token_set_a_run_with_it_runs(
    guarded: testing.TestClient, runner: FakeRunner
) -> None:
    reply = _post(guarded, "/check", check_body(TASK), headers={"Authorization": "Bearer s3cret"})

    assert reply.status_code == 200
    assert runner.requests == [TASK]


def test_health_needs_no_token(guarded: testing.TestClient) -> None:
    assert guarded.simulate_get("/health").status_code == 200


# --- the client and the server together ---------------------------------------------------


class _ThreadingWsgiServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@define
class Served:
    url: str
    runner: FakeRunner

    def fresh(self) -> FakeRunner:
        self.runner.outcomes.clear()
        self.runner.requests.clear()
        return self.runner


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    """The runner app over real HTTP on 127.0.0.1, guarded by a token; each test starts with
    `fresh()` since the server outlives it."""
    runner = FakeRunner()
    server = make_server(
        "127.0.0.1",
        0,
        create_runner_app(runner, token="s3cret"),
        server_class=_ThreadingWsgiServer,
        handler_class=_QuietHandler,
    )
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield Served(f"http://127.0.0.1:{server.server_address[1]}", runner)
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


_TEXT = st.text(st.characters(codec="utf-8"), max_size=40)
_TASKS = st.builds(
    RunRequest,
    kind=st.just(RunKind.TASK),
    language=st.sampled_from(Language),
    source_run=_TEXT,
    source_test=_TEXT,
    task_type=st.sampled_from(["code", "plain_text"]),
    color=st.booleans(),
    type_check=st.booleans(),
)


@given(request=_TASKS)
def test_a_task_sent_by_the_remote_runner_reaches_the_runner_unchanged(
    served: Served, request: RunRequest
) -> None:
    runner = served.fresh()

    RemoteRunner([served.url], token="s3cret").run(request)

    assert runner.requests == [request]


@given(
    verdict=st.sampled_from(
        [Verdict.PASSED, Verdict.RUN_FAILED, Verdict.TESTS_FAILED, Verdict.TIMEOUT]
    ),
    user_code_output=_TEXT,
    tests_output=_TEXT,
)
def test_a_verdict_comes_back_to_the_remote_runner_unchanged(
    served: Served, verdict: Verdict, user_code_output: str, tests_output: str
) -> None:
    served.fresh().outcomes.append(RunResult(verdict, user_code_output, tests_output))

    result = RemoteRunner([served.url], token="s3cret").run(TASK)

    assert (result.verdict, result.user_code_output, result.tests_output) == (
        verdict,
        user_code_output,
        tests_output,
    )


@pytest.mark.parametrize(
    "outcome",
    [
        pytest.param(RunnerUnavailable(retry_after=3), id="busy"),
        pytest.param(RuntimeError("boom"), id="runner-failure"),
        pytest.param(RunResult(Verdict.INTERNAL_ERROR), id="internal-error-verdict"),
    ],
)
def test_no_verdict_on_the_server_is_no_verdict_for_the_remote_runner(
    served: Served, outcome: RunResult | Exception
) -> None:
    served.fresh().outcomes.append(outcome)

    with pytest.raises(RunnerUnavailable):
        RemoteRunner([served.url], token="s3cret").run(TASK)


def test_a_busy_servers_retry_after_reaches_the_remote_runner(served: Served) -> None:
    served.fresh().outcomes.append(RunnerUnavailable(retry_after=3))

    with pytest.raises(RunnerUnavailable) as caught:
        RemoteRunner([served.url], token="s3cret").run(TASK)

    assert caught.value.retry_after == 3


def test_a_remote_runner_with_the_wrong_token_gets_no_verdict(served: Served) -> None:
    runner = served.fresh()

    with pytest.raises(RunnerUnavailable):
        RemoteRunner([served.url], token="guess").run(TASK)

    assert runner.requests == []


# --- `handyman runner serve` --------------------------------------------------------------


@define
class FakeGunicorn:
    """Stands in for gunicorn: builds the app as a worker would, and serves nothing."""

    options: dict[str, Any]
    load: Callable[[], Any]
    started: ClassVar[list[FakeGunicorn]] = []

    def run(self) -> None:
        FakeGunicorn.started.append(self)


@define
class SandboxStandIn(FakeRunner):
    config: SandboxConfig | None = None
    made: ClassVar[list[SandboxStandIn]] = []

    @classmethod
    def build(cls, config: SandboxConfig) -> SandboxStandIn:
        sandbox = cls(config=config)
        cls.made.append(sandbox)
        return sandbox


@pytest.fixture
def serve_command(monkeypatch: pytest.MonkeyPatch) -> Callable[..., int]:
    """Runs `handyman runner serve ARGS` with gunicorn and the sandbox replaced."""
    FakeGunicorn.started.clear()
    SandboxStandIn.made.clear()
    monkeypatch.setattr(runner_commands, "HandymanGunicorn", FakeGunicorn)
    monkeypatch.setattr(runner_commands, "LocalSandboxRunner", SandboxStandIn.build)
    monkeypatch.delenv(runner_commands.RUNNER_TOKEN_VARIABLE, raising=False)

    def serve(*arguments: str) -> int:
        parser = argparse.ArgumentParser(prog="handyman")
        runner_commands.add_runner_arguments(parser)
        args = parser.parse_args(["serve", *arguments])
        status: int = args.handler(args)
        return status

    return serve


def _served_app() -> testing.TestClient:
    [server] = FakeGunicorn.started
    return testing.TestClient(server.load())


def test_runner_serve_refuses_to_start_without_a_usable_sandbox(
    serve_command: Callable[..., int],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def unavailable(config: SandboxConfig) -> Runner:
        raise SandboxUnavailable("bubblewrap (bwrap) is not installed")

    monkeypatch.setattr(runner_commands, "LocalSandboxRunner", unavailable)

    assert serve_command() == 1
    assert FakeGunicorn.started == []
    assert "never run unsandboxed" in capsys.readouterr().err


def test_runner_serve_listens_on_loopback_port_8000_by_default(
    serve_command: Callable[..., int],
) -> None:
    serve_command()

    [server] = FakeGunicorn.started
    assert server.options["bind"] == "127.0.0.1:8000"
    assert server.options["worker_class"] == "gthread"


def test_runner_serve_passes_its_limits_to_the_sandbox(serve_command: Callable[..., int]) -> None:
    serve_command("--max-runs", "3", "--queue-timeout", "2.5", "--bwrap", "/opt/bin/bwrap")

    config = SandboxStandIn.made[-1].config
    assert config is not None
    assert (config.max_concurrent_runs, config.queue_timeout, config.bwrap_path) == (
        3,
        2.5,
        "/opt/bin/bwrap",
    )


def test_runner_serve_runs_requests_on_the_sandbox(serve_command: Callable[..., int]) -> None:
    serve_command()

    reply = _post(_served_app(), "/check", check_body(TASK))

    assert reply.json == {"status_code": 0, "user_code_output": ""}
    assert SandboxStandIn.made[-1].requests == [TASK]


def test_runner_serve_requires_the_token_when_one_is_set(
    serve_command: Callable[..., int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(runner_commands.RUNNER_TOKEN_VARIABLE, "s3cret")
    serve_command()

    assert _post(_served_app(), "/check", check_body(TASK)).status_code == 401


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.7", "runner.example"])
def test_runner_serve_refuses_to_listen_beyond_loopback_without_a_token(
    serve_command: Callable[..., int], capsys: pytest.CaptureFixture[str], host: str
) -> None:
    assert serve_command("--host", host) == 2

    assert FakeGunicorn.started == []
    assert "HANDYMAN_RUNNER_TOKEN" in capsys.readouterr().err


def test_runner_serve_listens_beyond_loopback_with_a_token(
    serve_command: Callable[..., int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(runner_commands.RUNNER_TOKEN_VARIABLE, "s3cret")
    assert serve_command("--host", "0.0.0.0") == 0

    [server] = FakeGunicorn.started
    assert server.options["bind"] == "0.0.0.0:8000"


def test_runner_serve_listens_beyond_loopback_without_a_token_only_when_told_insecure(
    serve_command: Callable[..., int], capsys: pytest.CaptureFixture[str]
) -> None:
    assert serve_command("--host", "0.0.0.0", "--insecure-no-token") == 0

    assert len(FakeGunicorn.started) == 1
    assert "--insecure-no-token" in capsys.readouterr().err


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_runner_serve_needs_no_token_on_loopback(
    serve_command: Callable[..., int], host: str
) -> None:
    assert serve_command("--host", host) == 0


@pytest.mark.parametrize("arguments", [["--workers", "0"], ["--queue-timeout", "-1"]])
def test_runner_serve_refuses_meaningless_numbers(
    serve_command: Callable[..., int], arguments: list[str]
) -> None:
    with pytest.raises(SystemExit):
        serve_command(*arguments)
