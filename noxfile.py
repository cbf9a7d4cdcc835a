"""Lint, types, layers, tests and benchmarks. `nox` with no arguments runs lint, types, layers
and tests."""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "types", "layers", "tests"]
nox.options.reuse_existing_virtualenvs = True

SOURCES = ["src", "tests", "bench", "examples", "noxfile.py"]


@nox.session
def lint(session: nox.Session) -> None:
    session.install("ruff>=0.6")
    session.run("ruff", "check", *SOURCES)
    session.run("ruff", "format", "--check", *SOURCES)


@nox.session
def types(session: nox.Session) -> None:
    session.install("-e", ".[dev]")
    session.run("mypy")


@nox.session
def layers(session: nox.Session) -> None:
    """The package layers of ARCHITECTURE.md: import-linter's contracts in pyproject.toml."""
    session.install("-e", ".", "import-linter>=2.1")
    session.run("lint-imports")


@nox.session
def tests(session: nox.Session) -> None:
    """The whole suite on SQLite and on a PostgreSQL server the run starts by itself."""
    session.install("-e", ".[dev]")
    session.run("pytest", *session.posargs)


@nox.session(name="bench-faults")
def bench_faults(session: nox.Session) -> None:
    """Database stopped and frozen under load; slowloris and silent connections against a probe."""
    session.install("-e", ".[dev]")
    session.run("python", "-m", "bench.faults", *session.posargs)


@nox.session
def fuzz(session: nox.Session) -> None:
    """Schemathesis over /openapi.json against `handyman serve` on PostgreSQL, every check,
    bounded (a few thousand cases); `nox -s fuzz -- --max-examples 300` runs it at length."""
    session.install("-e", ".[dev]", "schemathesis>=4.32")
    session.run("python", "-m", "tests.fuzz_api", *session.posargs)


@nox.session
def sweep(session: nox.Session) -> None:
    """Every answer of the real catalogue through the local sandbox (CI runs a sample): per
    language the answers that pass against their floor, and a wrong answer per task that must
    fail. `nox -s sweep -- -k cpp` sweeps one language."""
    session.install("-e", ".[dev]")
    session.run(
        "pytest",
        "-s",
        "tests/runner/test_catalogue_sweep.py",
        *session.posargs,
        env={"HANDYMAN_SWEEP": "full"},
    )


@nox.session
def bench(session: nox.Session) -> None:
    """Store benchmarks: catalogue import, merge, chapter-list read; prints medians."""
    session.install("-e", ".[dev]")
    session.run("python", "-m", "bench.store", *session.posargs)


@nox.session(name="bench-http")
def bench_http(session: nox.Session) -> None:
    """gunicorn + PostgreSQL + wrk on loopback: CPU and statements per request, req/s and
    p50/p99 at 2 and 32 connections, worker memory, start-up; `-- --baseline REF` compares."""
    session.install("-e", ".[dev]", "py-spy")
    session.run("python", "-m", "bench.http", *session.posargs)


@nox.session(name="bench-startup")
def bench_startup(session: nox.Session) -> None:
    """`handyman --help` and catalogue imports, wall time; `-- --baseline REF` compares."""
    session.install("-e", ".[dev]")
    session.run("python", "-m", "bench.startup", *session.posargs)


@nox.session(name="bench-runner")
def bench_runner(session: nox.Session) -> None:
    """run_task through the HTTP API on the local sandbox vs python3 directly, then one task run
    per language of the sandbox (medians, warm and cold caches). `-- --quick` tries both out."""
    session.install("-e", ".[dev]")
    session.run("python", "-m", "bench.runner", *session.posargs)
    quick = ["--quick"] if "--quick" in session.posargs else []
    session.run("python", "-m", "bench.languages", *quick)


@nox.session(name="bench-segments")
def bench_segments(session: nox.Session) -> None:
    """Segments on PostgreSQL with 1,000,000 users' memberships: reads, writes, month report."""
    session.install("-e", ".[dev]")
    session.run("python", "-m", "bench.segments", *session.posargs)


@nox.session(name="bench-stats")
def bench_stats(session: nox.Session) -> None:
    """Statistics API, ETL and daily aggregates over 2,000,000 attempts on PostgreSQL."""
    session.install("-e", ".[dev]")
    session.run("python", "-m", "bench.stats", *session.posargs)
