"""Every statement an engine's connections send to the database, seen at the driver.

The store runs its hot-path statements on the DBAPI connection itself (`store.driver_sql`), out
of sight of SQLAlchemy's execution events, so the statements are taken where every one of them
passes: sqlite3's trace callback on SQLite (each statement as SQLite runs it, BEGIN and COMMIT
included), libpq's protocol trace on PostgreSQL (each simple-protocol Query, which is how psycopg
sends BEGIN and COMMIT, and each Execute of the extended protocol, prepared statements
included). Connections are traced from the moment the pool hands them out inside the block.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from psycopg import pq
from sqlalchemy import Engine, event

_MESSAGE = re.compile(r"^F\t\d+\t(?P<kind>\w+)\t(?P<rest>.*)$", re.DOTALL)
_MESSAGE_START = re.compile(r"^[FB]\t\d+\t")
_QUERY = re.compile(r'^ "(?P<sql>.*)"$', re.DOTALL)
_PARSE = re.compile(r'^ "(?P<name>[^"]*)" "(?P<sql>.*)" \d+', re.DOTALL)
_BIND = re.compile(r'^ "[^"]*" "(?P<name>[^"]*)"')


@contextlib.contextmanager
def statements_sent(engine: Engine) -> Iterator[list[str]]:
    """A list that holds, once the block has ended, the text of every statement sent to the
    database meanwhile through `engine` (one entry per execution)."""
    sent: list[str] = []
    lock = threading.Lock()
    sqlite_connections: list[sqlite3.Connection] = []
    postgres_traces: list[tuple[Any, int, str]] = []
    trace_directory = tempfile.TemporaryDirectory(prefix="libpq-trace-")

    def trace(dbapi_connection: Any, _record: object, _proxy: object) -> None:
        with lock:
            if isinstance(dbapi_connection, sqlite3.Connection):
                dbapi_connection.set_trace_callback(sent.append)
                sqlite_connections.append(dbapi_connection)
                return
            pgconn = dbapi_connection.pgconn
            if any(traced is pgconn for traced, _, _ in postgres_traces):
                return
            descriptor, path = tempfile.mkstemp(dir=trace_directory.name)
            pgconn.trace(descriptor)
            pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
            postgres_traces.append((pgconn, descriptor, path))

    event.listen(engine, "checkout", trace)
    with trace_directory:
        try:
            yield sent
        finally:
            event.remove(engine, "checkout", trace)
            with lock:
                for connection in sqlite_connections:
                    connection.set_trace_callback(None)
                for pgconn, descriptor, path in postgres_traces:
                    pgconn.untrace()
                    os.close(descriptor)
                    trace = Path(path).read_bytes().decode("utf-8", "replace")
                    sent.extend(_statements_of(trace))


def _statements_of(trace: str) -> list[str]:
    """The statements a libpq trace shows the client sending, with their text where known."""
    prepared: dict[str, str] = {}
    bound = ""
    statements = []
    for line in _messages(trace):
        message = _MESSAGE.match(line)
        if message is None:
            continue
        kind, rest = message["kind"], message["rest"]
        if kind == "Query":
            query = _QUERY.match(rest)
            statements.append(query["sql"] if query else rest)
        elif kind == "Parse" and (parse := _PARSE.match(rest)):
            prepared[parse["name"]] = parse["sql"]
        elif kind == "Bind" and (bind := _BIND.match(rest)):
            bound = prepared.get(bind["name"], "?")
        elif kind == "Execute":
            statements.append(bound)
    return statements


def _messages(trace: str) -> Iterator[str]:
    """The trace's messages, one each: a statement's own line breaks are written as they are,
    so a line that does not begin a message continues the one before."""
    message: list[str] = []
    for line in trace.split("\n"):
        if _MESSAGE_START.match(line) and message:
            yield "\n".join(message)
            message = []
        message.append(line)
    if message:
        yield "\n".join(message)
