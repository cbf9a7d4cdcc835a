"""A command's handler named by module and function and imported when the command runs, so
that `handyman --help`, and each command, load only the modules that command uses: the whole
service (SQLAlchemy, psycopg, alembic, gunicorn, falcon) takes far longer to import than any
of the commands takes to parse its arguments."""

from __future__ import annotations

import argparse
import importlib
from typing import NamedTuple


class LazyCommand(NamedTuple):
    module: str
    function: str

    def __call__(self, args: argparse.Namespace) -> int:
        handler = getattr(importlib.import_module(self.module), self.function)
        status: int = handler(args)
        return status
