"""Schemathesis over /openapi.json against a real `handyman serve` on PostgreSQL: every operation
the document lists, with every check (no 5xx, responses and statuses as documented, invalid input
refused, valid input accepted). `nox -s fuzz` runs it bounded; `-- --max-examples 500` runs it at
length.

The server is what an operator runs: two workers, the example course, a PostgreSQL server this
script starts and removes, and a stand-in for the original runner on loopback (`--runner remote`),
so that fuzzed runs are answered in milliseconds and never execute fuzzed code.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.conftest import EXAMPLE_COURSES
from tests.http.live_server import fake_watchman, running_server, serve_command, server_environment
from tests.loopback import free_port
from tests.postgres_server import find_postgres_binaries, running_postgres_server

ADMIN_TOKEN = "fuzz-admin-token"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--max-examples", type=int, default=40, help="cases per operation and phase"
    )
    parser.add_argument("--seed", type=int, help="repeat a run")
    parser.add_argument("schemathesis_options", nargs="*", help="passed to `schemathesis run`")
    args = parser.parse_args(argv)
    binaries = find_postgres_binaries()
    if binaries is None:
        print("fuzz: no PostgreSQL server binaries (install postgresql)", file=sys.stderr)
        return 2
    schemathesis = shutil.which("schemathesis") or str(Path(sys.executable).parent / "schemathesis")
    folder = Path(tempfile.mkdtemp(prefix="handyman-fuzz-"))
    try:
        with contextlib.ExitStack() as stack:
            database_url = stack.enter_context(running_postgres_server(binaries))
            watchman = stack.enter_context(fake_watchman())
            command = serve_command(
                database_url,
                free_port(),
                EXAMPLE_COURSES,
                "--runner",
                "remote",
                "--watchman-url",
                watchman.url,
            )
            environment = server_environment(folder, ADMIN_TOKEN)
            server = stack.enter_context(running_server(command, environment, folder))
            run = [
                schemathesis,
                "run",
                f"{server.url}/openapi.json",
                "--checks",
                "all",
                "--header",
                f"Authorization: Bearer {ADMIN_TOKEN}",
                "--max-examples",
                str(args.max_examples),
                "--request-timeout",
                "30",
                "--suppress-health-check",
                "all",
                *(["--seed", str(args.seed)] if args.seed is not None else []),
                *args.schemathesis_options,
            ]
            print("fuzz:", " ".join(run), flush=True)
            hooks = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.fuzz_hooks"}
            status = subprocess.run(run, check=False, env=hooks).returncode
            server_errors = [line for line in server.log().splitlines() if "Traceback" in line]
            if server_errors:
                print(
                    f"fuzz: the server logged {len(server_errors)} traceback(s):", file=sys.stderr
                )
                print(server.log()[-20_000:], file=sys.stderr)
                status = status or 1
            return status
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
