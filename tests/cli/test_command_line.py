"""The command line loads what a command needs when that command runs: building the parser
(`handyman --help`, a typo, a usage error) imports none of the service's heavy libraries, and
every command's handler still names a function that exists."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from handyman_cli.lazy_command import LazyCommand
from handyman_cli.main import COMMANDS as COMMAND_TABLE
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


def _modules_loaded_by(argv: list[str]) -> list[str]:
    probe = (
        "import sys, handyman_cli.main as m; m.build_parser(sys.argv[1:]); "
        "print(sorted(n for n in sys.modules if n.startswith('handyman_cli.')))"
    )
    return subprocess.run(
        [sys.executable, "-c", probe, *argv], capture_output=True, text=True, check=True
    ).stdout.split("'")[1::2]


def test_the_command_listing_loads_no_command_arguments() -> None:
    loaded = _modules_loaded_by(["--help"])
    assert [name for name in loaded if name.endswith("_arguments")] == []


def test_a_command_loads_only_its_own_arguments() -> None:
    loaded = _modules_loaded_by(["import-courses", "DIR"])
    assert [name for name in loaded if name.endswith("_arguments")] == [
        "handyman_cli.courses_arguments"
    ]


def test_the_command_listing_names_every_command() -> None:
    listing = build_parser(["--help"]).format_help()
    assert all(command.name in listing and command.help in listing for command in COMMAND_TABLE)


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_command_parsed_alone_gets_the_same_handler_as_with_every_command(
    command: list[str],
) -> None:
    assert build_parser(command).parse_args(command) == build_parser().parse_args(command)


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_names_a_handler_that_exists(command: list[str]) -> None:
    handler = build_parser().parse_args(command).handler
    assert isinstance(handler, LazyCommand)
    assert callable(getattr(importlib.import_module(handler.module), handler.function))
