"""A throwaway PostgreSQL server for the test run, started from the machine's server binaries.

The cluster lives in a temporary directory, listens on 127.0.0.1 on a free port, trades durability
for speed (fsync off), and is stopped and deleted when the run ends. PostgreSQL refuses to run as
root, so under root the cluster belongs to `nobody`.

Tests get databases from `DatabaseFactory`: one migrated template per run, then a fresh copy per
test (`CREATE DATABASE ... TEMPLATE`), which is much faster than migrating every time.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import sqlalchemy
from attrs import define, field, frozen
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from tests.loopback import free_port

NOBODY = 65534
STARTUP_TIMEOUT_S = 60.0
SHUTDOWN_TIMEOUT_S = 30.0
SUPERUSER = "postgres"
DATABASE = "handyman_test"
SERVER_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "100",
    "shared_buffers": "64MB",
}


class PostgresServerError(RuntimeError):
    """The test server could not be set up; the message includes the server's own output."""


@frozen
class PostgresBinaries:
    bindir: Path

    @property
    def initdb(self) -> Path:
        return self.bindir / "initdb"

    @property
    def postgres(self) -> Path:
        return self.bindir / "postgres"


def find_postgres_binaries() -> PostgresBinaries | None:
    """`pg_config --bindir`, then Debian's /usr/lib/postgresql/<version>/bin (newest first), then
    whatever `initdb` is on PATH."""
    for bindir in _candidate_bindirs():
        binaries = PostgresBinaries(bindir)
        if _is_executable(binaries.initdb) and _is_executable(binaries.postgres):
            return binaries
    return None


def _candidate_bindirs() -> Iterator[Path]:
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            result = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, check=True, timeout=10
            )
            yield Path(result.stdout.strip())
    debian = Path("/usr/lib/postgresql")
    if debian.is_dir():
        versions = sorted(debian.glob("*/bin"), key=_version_key, reverse=True)
        yield from versions
    initdb = shutil.which("initdb")
    if initdb:
        yield Path(initdb).resolve().parent


def _version_key(bindir: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", bindir.parent.name))


def _is_executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


@contextlib.contextmanager
def running_postgres_server(binaries: PostgresBinaries) -> Iterator[str]:
    """Start a server, create the `handyman_test` database, yield its URL; stop and delete all."""
    server = _Server(binaries, Path(tempfile.mkdtemp(prefix="handyman-pg-")))
    try:
        server.start()
        yield server.database_url
    finally:
        server.stop()


@contextlib.contextmanager
def faulty_postgres_server(binaries: PostgresBinaries) -> Iterator[FaultyServer]:
    """A private server a test may stop, start again and freeze (the fault tests): it runs in
    a process group of its own, so freezing stops the postmaster and every backend at once."""
    server = _Server(binaries, Path(tempfile.mkdtemp(prefix="handyman-pg-faults-")))
    try:
        server.start()
        yield FaultyServer(server)
    finally:
        server.thaw()
        server.stop()


@define
class FaultyServer:
    _server: _Server

    @property
    def database_url(self) -> str:
        return self._server.database_url

    def halt(self) -> None:
        """A fast shutdown (what `pg_ctl stop -m fast` does): clients see "terminating
        connection due to administrator command", then connections are refused."""
        self._server.halt()

    def resume(self) -> None:
        """Start again on the same port and data, after `halt`."""
        self._server.launch()

    def freeze(self) -> None:
        """SIGSTOP the whole server: the kernel still accepts and acknowledges, nothing answers."""
        self._server.signal_all(signal.SIGSTOP)

    def thaw(self) -> None:
        self._server.thaw()

    def ensure_running(self) -> None:
        if self._server.process is None or self._server.process.poll() is not None:
            self._server.launch()


@define
class _Server:
    binaries: PostgresBinaries
    root: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def as_nobody(self) -> bool:
        return os.geteuid() == 0

    @property
    def database_url(self) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{DATABASE}"

    @property
    def log_path(self) -> Path:
        return self.root / "postgres.log"

    def start(self) -> None:
        data, sockets = self.root / "data", self.root / "sockets"
        sockets.mkdir()
        if self.as_nobody:
            _make_traversable(self.root)
            for path in (self.root, sockets):
                os.chown(path, NOBODY, NOBODY)
        self._run_initdb(data)
        self.port = free_port()
        self.launch()
        with psycopg.connect(self._conninfo("postgres"), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{DATABASE}"')

    def launch(self) -> None:
        data, sockets = self.root / "data", self.root / "sockets"
        command = [
            str(self.binaries.postgres),
            "-D",
            str(data),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-k",
            str(sockets),
        ]
        for name, value in SERVER_SETTINGS.items():
            command += ["-c", f"{name}={value}"]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.root,
                env=_server_environment(),
                start_new_session=True,
                **self._identity(),
            )
        self._wait_until_ready()

    def halt(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            self.process.wait(SHUTDOWN_TIMEOUT_S)

    def signal_all(self, signum: int) -> None:
        """The postmaster and every process it started (each backend is a session leader of
        its own, so the postmaster's process group does not hold them)."""
        if self.process is None or self.process.poll() is not None:
            return
        os.kill(self.process.pid, signum)
        for child in _children(self.process.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signum)

    def thaw(self) -> None:
        self.signal_all(signal.SIGCONT)

    def stop(self) -> None:
        try:
            if self.process is not None and self.process.poll() is None:
                self.process.send_signal(signal.SIGINT)
                try:
                    self.process.wait(SHUTDOWN_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def _run_initdb(self, data: Path) -> None:
        command = [
            str(self.binaries.initdb),
            "-D",
            str(data),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-locale",
            "--no-sync",
        ]
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            cwd=self.root,
            env=_server_environment(),
            check=False,
            **self._identity(),
        )
        if result.returncode != 0:
            raise PostgresServerError(f"initdb failed:\n{result.stdout}\n{result.stderr}")

    def _identity(self) -> dict[str, object]:
        if not self.as_nobody:
            return {}
        return {"user": NOBODY, "group": NOBODY, "extra_groups": []}

    def _conninfo(self, database: str) -> str:
        return f"host=127.0.0.1 port={self.port} user={SUPERUSER} dbname={database}"

    def _wait_until_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            if self.process.poll() is not None:
                raise PostgresServerError(f"postgres exited at startup:\n{self._log()}")
            try:
                with psycopg.connect(self._conninfo("postgres"), connect_timeout=2):
                    return
            except psycopg.OperationalError as error:
                if time.monotonic() > deadline:
                    raise PostgresServerError(
                        f"postgres did not accept connections within {STARTUP_TIMEOUT_S} s:\n"
                        f"{self._log()}"
                    ) from error
                time.sleep(0.05)

    def _log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return "(no server log)"


def _children(pid: int) -> list[int]:
    children = []
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                children.append(int(stat_file.parent.name))
    return children


def _server_environment() -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "TZ": "UTC"}


def _make_traversable(directory: Path) -> None:
    """`nobody` must reach the cluster directory: every ancestor needs the search bit for others."""
    for ancestor in directory.parents:
        if not ancestor.stat().st_mode & stat.S_IXOTH:
            raise PostgresServerError(
                f"{ancestor} is not traversable by others, so user nobody cannot reach "
                f"{directory}; set TMPDIR to a directory under a world-traversable path"
            )


@define
class DatabaseFactory:
    """Fresh, migrated databases on one server: a template migrated once, copied per test.

    Names carry the process id, so parallel runs sharing one server (HANDYMAN_TEST_DATABASE_URL)
    do not collide.
    """

    server_url: str
    _template: str | None = None
    _counter: Iterator[int] = field(factory=itertools.count)

    def url_of(self, database: str) -> str:
        url = make_url(self.server_url).set(drivername="postgresql", database=database)
        return url.render_as_string(hide_password=False)

    def create_template(self, migrate: Callable[[str], None]) -> None:
        name = f"handyman_template_{os.getpid()}"
        self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._execute(f'CREATE DATABASE "{name}"')
        migrate(self.url_of(name))
        self._template = name

    @contextlib.contextmanager
    def fresh_database(self) -> Iterator[str]:
        if self._template is None:
            raise PostgresServerError("create_template() must run before fresh_database()")
        name = f"handyman_test_{os.getpid()}_{next(self._counter)}"
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{self._template}"')
        try:
            yield self.url_of(name)
        finally:
            self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def drop_template(self) -> None:
        if self._template is not None:
            self._execute(f'DROP DATABASE IF EXISTS "{self._template}" WITH (FORCE)')
            self._template = None

    def _execute(self, statement: str) -> None:
        admin_url = make_url(self.server_url).set(drivername="postgresql+psycopg")
        engine = sqlalchemy.create_engine(
            admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool
        )
        try:
            with engine.connect() as connection:
                connection.exec_driver_sql(statement)
        finally:
            engine.dispose()
