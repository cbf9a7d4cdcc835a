"""The remote-runner client against a scripted runner on 127.0.0.1: what it sends, which replies
are verdicts, and that every other outcome is RunnerUnavailable, never a verdict."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import attrs
import pytest
from attrs import define, field
from hypothesis import given
from hypothesis import strategies as st

from handyman_core.catalogue import ProjectFile
from handyman_core.errors import RunnerUnavailable
from handyman_core.run_protocol import Language, RunKind, RunRequest, Verdict
from handyman_core.watchman_protocol import watchman_call
from handyman_runner.remote import RemoteRunner, retry_after_seconds, runner_base_url
from tests.loopback import free_port

TASK = RunRequest(
    kind=RunKind.TASK,
    language=Language.PYTHON,
    source_run="print('hi')",
    source_test="import task\n",
    color=True,
)
FILES = (ProjectFile("main.py", "print(1)"), ProjectFile("lib/util.py", "X = 1"))
PLAYGROUND = RunRequest(
    kind=RunKind.PLAYGROUND, language=Language.PYTHON, files=FILES, main_file="main.py"
)
PASSED = b'{"status_code": 0, "user_code_output": "hi\\n", "tests_output": "ok"}'


@define
class Reply:
    """What the scripted runner answers; `delay` comes before the status line and `trickle`
    between the body's bytes; a `chunked` body is sent in two chunks."""

    body: bytes = PASSED
    status: int = 200
    headers: dict[str, str] = field(factory=dict)
    delay: float = 0.0
    trickle: float = 0.0
    declare_length: bool = True
    chunked: bool = False


@define
class Received:
    path: str
    headers: dict[str, str]
    body: object
    client_port: int


@define
class ScriptedRunner:
    url: str
    replies: list[Reply] = field(factory=list)
    received: list[Received] = field(factory=list)
    release: threading.Event = field(factory=threading.Event)

    def answer(self, *replies: Reply) -> None:
        self.replies.extend(replies)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_POST(self) -> None:
        script = self.server.script
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        script.received.append(
            Received(self.path, dict(self.headers.items()), json.loads(raw), self.client_address[1])
        )
        reply = script.replies.pop(0) if script.replies else Reply()
        if script.release.wait(reply.delay):
            return
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json")
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if reply.chunked:
            self.send_header("Transfer-Encoding", "chunked")
        elif reply.declare_length:
            self.send_header("Content-Length", str(len(reply.body)))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        try:
            self._write_body(reply)
        except OSError:
            self.close_connection = True

    def _write_body(self, reply: Reply) -> None:
        if reply.chunked:
            half = len(reply.body) // 2
            for piece in (reply.body[:half], reply.body[half:], b""):
                self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            return
        if not reply.trickle:
            self.wfile.write(reply.body)
            return
        for byte in reply.body:
            self.wfile.write(bytes([byte]))
            self.wfile.flush()
            if self.server.script.release.wait(reply.trickle):
                return

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    script: ScriptedRunner


def _start() -> tuple[_Server, threading.Thread]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.script = ScriptedRunner(f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    return server, thread


@pytest.fixture
def runners() -> Iterator[list[ScriptedRunner]]:
    """Two scripted runners, started on demand by the tests that need a second one."""
    started = [_start(), _start()]
    yield [server.script for server, _ in started]
    for server, thread in started:
        server.script.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def scripted(runners: list[ScriptedRunner]) -> ScriptedRunner:
    return runners[0]


@pytest.fixture
def closed_url() -> str:
    return f"http://127.0.0.1:{free_port()}"


def _no_verdict(runner: RemoteRunner, request: RunRequest = TASK) -> RunnerUnavailable:
    with pytest.raises(RunnerUnavailable) as caught:
        runner.run(request)
    return caught.value


# --- what is sent -------------------------------------------------------------------------


def test_a_task_run_is_posted_to_check_with_the_original_body(scripted: ScriptedRunner) -> None:
    RemoteRunner([scripted.url]).run(TASK)

    [received] = scripted.received
    assert received.path == "/check"
    assert received.body == watchman_call(TASK).body


def test_runs_are_sent_and_accepted_as_json(scripted: ScriptedRunner) -> None:
    RemoteRunner([scripted.url]).run(TASK)

    headers = scripted.received[0].headers
    assert headers["Content-Type"] == "application/json"
    assert headers["Accept"] == "application/json"


def test_a_playground_run_is_posted_to_playground(scripted: ScriptedRunner) -> None:
    RemoteRunner([scripted.url]).run(PLAYGROUND)

    [received] = scripted.received
    assert (received.path, received.body) == ("/playground", watchman_call(PLAYGROUND).body)


@pytest.mark.parametrize("kind", [RunKind.PRACTICE_RUN, RunKind.PRACTICE_TEST])
def test_practice_runs_are_posted_to_practice(scripted: ScriptedRunner, kind: RunKind) -> None:
    request = RunRequest(kind=kind, language=Language.PYTHON, files=FILES, main_file="main.py")

    RemoteRunner([scripted.url]).run(request)

    [received] = scripted.received
    assert (received.path, received.body) == ("/practice", watchman_call(request).body)


def test_a_path_in_the_base_url_prefixes_the_endpoint(scripted: ScriptedRunner) -> None:
    RemoteRunner([scripted.url + "/runner/"]).run(TASK)

    assert scripted.received[0].path == "/runner/check"


def test_the_token_is_sent_as_a_bearer_credential(scripted: ScriptedRunner) -> None:
    RemoteRunner([scripted.url], token="s3cret").run(TASK)

    assert scripted.received[0].headers["Authorization"] == "Bearer s3cret"


def test_no_credential_is_sent_without_a_token(scripted: ScriptedRunner) -> None:
    RemoteRunner([scripted.url]).run(TASK)

    assert "Authorization" not in scripted.received[0].headers


# --- verdicts -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "verdict"),
    [
        (0, Verdict.PASSED),
        (1, Verdict.RUN_FAILED),
        (2, Verdict.TESTS_FAILED),
        (124, Verdict.TIMEOUT),
        (137, Verdict.MEMORY_LIMIT),
    ],
)
def test_a_learners_verdict_is_read_from_the_reply(
    scripted: ScriptedRunner, code: int, verdict: Verdict
) -> None:
    body = {"status_code": code, "user_code_output": "out", "tests_output": "tests"}
    scripted.answer(Reply(json.dumps(body).encode()))

    result = RemoteRunner([scripted.url]).run(TASK)

    assert (result.verdict, result.user_code_output, result.tests_output) == (
        verdict,
        "out",
        "tests",
    )


def test_connections_are_reused_between_runs(scripted: ScriptedRunner) -> None:
    runner = RemoteRunner([scripted.url])

    for _ in range(3):
        runner.run(TASK)

    assert len({received.client_port for received in scripted.received}) == 1


def test_runs_going_at_once_each_keep_their_connection(scripted: ScriptedRunner) -> None:
    runner = RemoteRunner([scripted.url], pool_size=4)

    def run_three() -> None:
        for _ in range(3):
            runner.run(TASK)

    threads = [threading.Thread(target=run_three) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(scripted.received) == 12
    assert len({received.client_port for received in scripted.received}) <= 4


def test_a_connection_the_runner_closed_while_idle_is_replaced_without_failing_a_run(
    scripted: ScriptedRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_Handler, "timeout", 0.1)
    runner = RemoteRunner([scripted.url])
    runner.run(TASK)
    time.sleep(0.4)

    assert runner.run(TASK).verdict is Verdict.PASSED
    assert len({received.client_port for received in scripted.received}) == 2


def test_a_chunked_reply_is_read_and_its_connection_kept(scripted: ScriptedRunner) -> None:
    scripted.answer(Reply(chunked=True), Reply(chunked=True))
    runner = RemoteRunner([scripted.url])

    verdicts = [runner.run(TASK).verdict for _ in range(2)]

    assert verdicts == [Verdict.PASSED, Verdict.PASSED]
    assert len({received.client_port for received in scripted.received}) == 1


def test_a_connection_the_runner_says_it_closes_is_not_reused(scripted: ScriptedRunner) -> None:
    scripted.answer(Reply(headers={"Connection": "close"}))
    runner = RemoteRunner([scripted.url])

    verdicts = [runner.run(TASK).verdict for _ in range(2)]

    assert verdicts == [Verdict.PASSED, Verdict.PASSED]
    assert len({received.client_port for received in scripted.received}) == 2


def test_a_run_after_a_refused_one_gets_its_verdict(scripted: ScriptedRunner) -> None:
    scripted.answer(Reply(b'{"error": "busy"}', status=503))
    runner = RemoteRunner([scripted.url])
    _no_verdict(runner)

    assert runner.run(TASK).verdict is Verdict.PASSED


def test_a_source_with_a_lone_surrogate_is_sent_intact(scripted: ScriptedRunner) -> None:
    """orjson refuses to write a lone surrogate, which a learner's source read from a request
    may hold; the standard library writes it as an escape."""
    request = attrs.evolve(TASK, source_run="print('\ud800')")

    RemoteRunner([scripted.url]).run(request)

    assert scripted.received[0].body == watchman_call(request).body


def test_a_reply_with_a_lone_surrogate_escape_is_a_verdict(scripted: ScriptedRunner) -> None:
    """orjson refuses such an escape; the standard library reads it, as before."""
    scripted.answer(Reply(b'{"status_code": 0, "user_code_output": "\\ud800", "tests_output": ""}'))

    result = RemoteRunner([scripted.url]).run(TASK)

    assert (result.verdict, result.user_code_output) == (Verdict.PASSED, "\ud800")


# --- no verdict ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"output": "Error while processing handle"}', id="watchman-output"),
        pytest.param(b'{"error": "something went wrong"}', id="watchman-error"),
        pytest.param(b"null", id="null"),
        pytest.param(b"[]", id="array"),
        pytest.param(b"", id="empty"),
        pytest.param(b"<html>Bad gateway</html>", id="not-json"),
        pytest.param(b"\xff\xfe\x00garbage", id="not-utf8"),
        pytest.param(b"[" * 100_000, id="deeply-nested"),
        pytest.param(b'{"status_code": "0"}', id="string-code"),
        pytest.param(b'{"status_code": 3, "user_code_output": "Internal error"}', id="code-3"),
        pytest.param(b'{"status_code": -1}', id="no-launcher"),
    ],
)
def test_a_reply_without_a_learners_verdict_is_no_verdict(
    scripted: ScriptedRunner, body: bytes
) -> None:
    scripted.answer(Reply(body))

    _no_verdict(RemoteRunner([scripted.url]))


def test_an_http_error_is_no_verdict_whatever_its_body(scripted: ScriptedRunner) -> None:
    scripted.answer(Reply(PASSED, status=500))

    _no_verdict(RemoteRunner([scripted.url]))


def test_a_redirect_is_not_followed(runners: list[ScriptedRunner]) -> None:
    elsewhere = runners[1]
    runners[0].answer(Reply(b"", status=307, headers={"Location": elsewhere.url + "/check"}))

    _no_verdict(RemoteRunner([runners[0].url]))

    assert elsewhere.received == []


@pytest.mark.parametrize("status", [429, 503])
def test_a_busy_runner_passes_on_its_retry_after(scripted: ScriptedRunner, status: int) -> None:
    scripted.answer(Reply(b'{"error": "busy"}', status=status, headers={"Retry-After": "7"}))

    assert _no_verdict(RemoteRunner([scripted.url])).retry_after == 7


def test_a_busy_runner_without_retry_after_gives_no_delay(scripted: ScriptedRunner) -> None:
    scripted.answer(Reply(b'{"error": "busy"}', status=503))

    assert _no_verdict(RemoteRunner([scripted.url])).retry_after is None


def test_a_reply_declared_over_the_size_limit_is_no_verdict(scripted: ScriptedRunner) -> None:
    scripted.answer(Reply(b'{"status_code": 0, "user_code_output": "' + b"x" * 2000 + b'"}'))

    _no_verdict(RemoteRunner([scripted.url], reply_limit=1000))


def test_an_undeclared_reply_over_the_size_limit_is_no_verdict(scripted: ScriptedRunner) -> None:
    body = b'{"status_code": 0, "user_code_output": "' + b"x" * 300_000 + b'"}'
    scripted.answer(Reply(body, declare_length=False))

    _no_verdict(RemoteRunner([scripted.url], reply_limit=100_000))


def test_an_undeclared_reply_within_the_limit_is_read_to_its_end(
    scripted: ScriptedRunner,
) -> None:
    scripted.answer(Reply(declare_length=False))

    assert RemoteRunner([scripted.url]).run(TASK).verdict is Verdict.PASSED


def test_a_reply_later_than_the_total_timeout_is_no_verdict(scripted: ScriptedRunner) -> None:
    scripted.answer(Reply(delay=10))
    started = time.monotonic()

    _no_verdict(RemoteRunner([scripted.url], total_timeout=0.5))

    assert time.monotonic() - started < 2


def test_a_trickling_reply_is_cut_off_at_the_total_timeout(scripted: ScriptedRunner) -> None:
    scripted.answer(Reply(PASSED, trickle=0.05))
    started = time.monotonic()

    _no_verdict(RemoteRunner([scripted.url], total_timeout=0.5))

    assert time.monotonic() - started < 2


def test_a_reply_that_stalls_midway_is_cut_off_at_the_total_timeout(
    scripted: ScriptedRunner,
) -> None:
    """The wait for the headers used most of the time; the stalled body read gets only the rest."""
    scripted.answer(Reply(PASSED, delay=0.8, trickle=10))
    started = time.monotonic()

    _no_verdict(RemoteRunner([scripted.url], total_timeout=1.0))

    assert time.monotonic() - started < 1.5


def test_a_closed_port_is_no_verdict(closed_url: str) -> None:
    _no_verdict(RemoteRunner([closed_url]))


def test_a_refused_connection_fails_over_to_the_next_runner(
    scripted: ScriptedRunner, closed_url: str
) -> None:
    runner = RemoteRunner([closed_url, scripted.url])

    results = [runner.run(TASK).verdict for _ in range(2)]

    assert results == [Verdict.PASSED, Verdict.PASSED]
    assert len(scripted.received) == 2


def test_every_runner_refusing_is_no_verdict(closed_url: str) -> None:
    error = _no_verdict(RemoteRunner([closed_url, closed_url]))

    assert "Connection refused" in error.message


def test_runners_are_taken_in_turn(runners: list[ScriptedRunner]) -> None:
    runner = RemoteRunner([scripted.url for scripted in runners])

    for _ in range(4):
        runner.run(TASK)

    assert [len(scripted.received) for scripted in runners] == [2, 2]


def test_a_run_that_reached_a_runner_is_never_sent_to_another(
    runners: list[ScriptedRunner],
) -> None:
    runners[0].answer(Reply(PASSED, status=500))

    _no_verdict(RemoteRunner([scripted.url for scripted in runners]))

    assert runners[1].received == []


# --- configuration ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "ftp://127.0.0.1:8000",
        "127.0.0.1:8000",
        "http://",
        "http://:8000",
        "http://127.0.0.1:0",
        "http://127.0.0.1:99999",
        "http://127.0.0.1:port",
        "http://127.0.0.1:8000/?pool=2",
        "http://127.0.0.1:8000/#check",
        "",
    ],
)
def test_a_url_that_names_no_http_runner_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="runner URL"):
        RemoteRunner([url])


def test_credentials_in_a_url_are_refused_without_repeating_them() -> None:
    with pytest.raises(ValueError, match="token") as caught:
        RemoteRunner(["http://admin:hunter2@127.0.0.1:8000"])

    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize("token", ["two words", "line\nbreak", "jeton-été"])
def test_a_token_that_cannot_travel_in_a_header_is_refused(token: str) -> None:
    with pytest.raises(ValueError, match="token"):
        RemoteRunner(["http://127.0.0.1:8000"], token=token)


def test_a_runner_needs_at_least_one_url() -> None:
    with pytest.raises(ValueError, match="no runner URL"):
        RemoteRunner([])


def test_a_lone_string_is_not_taken_for_a_list_of_urls() -> None:
    with pytest.raises(TypeError):
        RemoteRunner("http://127.0.0.1:8000")


_HOSTS = st.sampled_from(["127.0.0.1", "localhost", "[::1]", "runner.internal", "10.0.0.7"])
_PATHS = st.lists(st.from_regex(r"[a-z0-9_-]{1,8}", fullmatch=True), max_size=3).map(
    lambda parts: "".join("/" + part for part in parts)
)


@given(
    scheme=st.sampled_from(["http", "https"]),
    host=_HOSTS,
    port=st.none() | st.integers(min_value=1, max_value=65535),
    path=_PATHS,
    trailing_slash=st.booleans(),
)
def test_a_valid_base_url_is_kept_without_its_trailing_slash(
    scheme: str, host: str, port: int | None, path: str, trailing_slash: bool
) -> None:
    base = f"{scheme}://{host}" + ("" if port is None else f":{port}") + path

    assert runner_base_url(base + ("/" if trailing_slash else "")) == base


NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@given(st.integers(min_value=0, max_value=10**9))
def test_a_retry_after_delay_is_read_in_seconds(seconds: int) -> None:
    assert retry_after_seconds(str(seconds), NOW) == seconds


@given(st.integers(min_value=0, max_value=10**6))
def test_a_retry_after_date_is_read_as_the_seconds_until_it(seconds: int) -> None:
    header = format_datetime(NOW + timedelta(seconds=seconds), usegmt=True)

    assert retry_after_seconds(header, NOW) == seconds


def test_a_retry_after_date_in_the_past_means_now() -> None:
    header = format_datetime(NOW - timedelta(hours=1), usegmt=True)

    assert retry_after_seconds(header, NOW) == 0


@pytest.mark.parametrize("header", [None, "", "soon", "-5", "1.5"])
def test_a_retry_after_that_is_neither_delay_nor_date_gives_none(header: str | None) -> None:
    assert retry_after_seconds(header, NOW) is None
