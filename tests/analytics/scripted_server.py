"""A loopback HTTP server whose answers a test scripts: each request is recorded and handed to
the test's `respond` function, which returns the status, headers and body to send."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from attrs import define, field, frozen


@frozen
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@frozen
class Answer:
    status: int = 200
    body: object = None
    headers: dict[str, str] = field(factory=dict)
    delay: float = 0.0
    """Seconds to wait before answering (to make a client time out)."""


Respond = Callable[[Request], Answer]


@define
class ScriptedServer:
    respond: Respond
    requests: list[Request] = field(factory=list)
    url: str = ""
    lock: threading.Lock = field(factory=threading.Lock)

    def record(self, request: Request) -> Answer:
        with self.lock:
            self.requests.append(request)
        return self.respond(request)


def _handler(server: ScriptedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            request = Request(
                method=self.command,
                path=parts.path,
                query=dict(parse_qsl(parts.query, keep_blank_values=True)),
                headers={key.lower(): value for key, value in self.headers.items()},
                body=self.rfile.read(length) if length else b"",
            )
            answer = server.record(request)
            if answer.delay:
                threading.Event().wait(answer.delay)
            body = answer.body if isinstance(answer.body, bytes) else json.dumps(answer.body)
            payload = body if isinstance(body, bytes) else body.encode()
            try:
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for key, value in answer.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def do_GET(self) -> None:
            self._answer()

        def do_POST(self) -> None:
            self._answer()

        def do_PUT(self) -> None:
            self._answer()

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextlib.contextmanager
def scripted_server(respond: Respond) -> Iterator[ScriptedServer]:
    server = ScriptedServer(respond)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(server))
    httpd.daemon_threads = True
    server.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
