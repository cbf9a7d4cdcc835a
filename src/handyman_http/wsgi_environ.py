"""The WSGI environ of a plain request, built from what a connection and a head already hold.

gunicorn builds every environ from scratch: a new error stream object, the listener's address
looked up, every header name converted. Here what every request of a connection shares is built
once per connection (`connection_environ`), and a request only adds what its head says
(`request_environ`), so that an environ is one dict copy and a few assignments. The variables are
gunicorn's own (`gunicorn.http.wsgi.create` for the same bytes gives the same values, which
`tests/http/test_request_head.py` checks), except `wsgi.early_hints`, which nothing here uses.
"""

from __future__ import annotations

import io
import socket
from typing import Any

from gunicorn.config import Config
from gunicorn.http import wsgi as gunicorn_wsgi
from gunicorn.util import unquote_to_wsgi_str

from handyman_http.request_head import PlainHead

Environ = dict[str, Any]


def worker_environ(cfg: Config) -> Environ:
    """What every request of a worker shares (plain HTTP, no SCRIPT_NAME, threads)."""
    environ: Environ = gunicorn_wsgi.base_environ(cfg)
    environ["wsgi.multithread"] = True
    environ["wsgi.url_scheme"] = "http"
    environ["SCRIPT_NAME"] = ""
    return environ


def connection_environ(
    shared: Environ, sock: socket.socket, peer: tuple[Any, ...], server: tuple[Any, ...]
) -> Environ:
    """What every request of one TCP connection shares."""
    environ = dict(shared)
    environ["gunicorn.socket"] = sock
    environ["REMOTE_ADDR"] = peer[0]
    environ["REMOTE_PORT"] = str(peer[1])
    environ["SERVER_NAME"] = server[0]
    environ["SERVER_PORT"] = str(server[1])
    return environ


def request_environ(connection: Environ, head: PlainHead, body: bytes) -> Environ:
    environ = connection.copy()
    environ.update(head.variables)
    environ["wsgi.input"] = io.BytesIO(body)
    environ["REQUEST_METHOD"] = head.method
    environ["QUERY_STRING"] = head.query
    environ["RAW_URI"] = head.raw_uri
    environ["SERVER_PROTOCOL"] = head.protocol
    path = head.path
    environ["PATH_INFO"] = unquote_to_wsgi_str(path) if "%" in path else path
    return environ
