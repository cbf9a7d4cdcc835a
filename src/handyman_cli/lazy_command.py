"""A command's handler named by module and function and imported when the command runs, so
that `handyman --help`, and each command, load only the modules that command uses: the whole
service (SQLAlchemy, psycopg, alembic, gunicorn, falcon) takes far longer to import than any
of the commands takes to parse its arguments."""

from __future__ import annotations

import argparse
import importlib


class LazyCommand:
    def __init__(self, module: str, function: str) -> None:
        self.module = module
        self.function = function

    def __call__(self, args: argparse.Namespace) -> int:
        handler = getattr(importlib.import_module(self.module), self.function)
        status: int = handler(args)
        return status

    def __repr__(self) -> str:
        return f"LazyCommand({self.module}:{self.function})"
