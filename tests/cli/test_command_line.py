"""The command line loads what a command needs when that command runs: building the parser
(`handyman --help`, a typo, a usage error) imports none of the service's heavy libraries, and
every command's handler still names a function that exists."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from handyman_cli.lazy_command import LazyCommand
from handyman_cli.main import build_parser

HEAVY = ("sqlalchemy", "psycopg", "alembic", "gunicorn", "falcon", "rich", "prometheus_client")

COMMANDS = (
    ["serve"],
    ["import-courses", "DIR"],
    ["check-courses", "DIR"],
    ["runner", "serve"],
    ["db", "upgrade"],
    ["clients", "add", "NAME"],
    ["clients", "list"],
    ["clients", "remove", "NAME"],
    ["stats", "pull", "--start", "S", "--end", "E"],
    ["stats", "daily"],
    ["stats", "run-daily"],
    ["segments", "expire"],
)


def test_building_the_command_line_imports_no_heavy_library() -> None:
    probe = (
        "import sys, handyman_cli.main as m; m.build_parser().format_help(); "
        f"print(sorted(n for n in sys.modules if n.split('.')[0] in {HEAVY!r}))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == "[]"


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_names_a_handler_that_exists(command: list[str]) -> None:
    handler = build_parser().parse_args(command).handler
    assert isinstance(handler, LazyCommand)
    assert callable(getattr(importlib.import_module(handler.module), handler.function))
