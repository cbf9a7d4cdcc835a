"""`handyman serve`: gunicorn with Handyman's application, after migrations and an optional import.

Workers are threaded: runs wait on the sandbox for seconds, and threads keep other requests of the
same worker flowing meanwhile. Each worker imports and builds the application (engine, connection
pool, metrics) after the fork; the master never imports it, so the metrics directory is set before
prometheus_client is imported anywhere. SIGTERM is a graceful stop: in-flight requests finish
within `graceful_timeout`, and every write is one transaction, so nothing is half-written.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.config import Config as GunicornConfig

from handyman_cli.courses_commands import print_import_report, read_folder_or_report, run_import
from handyman_cli.database_choice import resolve_database_url
from handyman_cli.demo import prepare_demo
from handyman_cli.metrics_directory import forget_worker, metrics_directory
from handyman_cli.run_admission import THREADS_VARIABLE
from handyman_cli.runner_kinds import RUNNER_VARIABLE, WATCHMAN_URLS_VARIABLE
from handyman_cli.runner_registry import check_runner_settings
from handyman_cli.serve_arguments import default_workers
from handyman_http.settings import ADMIN_NETWORKS_VARIABLE, admin_networks_from
from handyman_http.trusted_networks import InvalidNetworks
from handyman_service.run_tracking import BUSY_RETRY_AFTER_SECONDS
from handyman_store.database import create_engine
from handyman_store.schema_version import upgrade_if_behind

__all__ = ["HandymanGunicorn", "default_workers", "gunicorn_options", "serve"]


class HandymanGunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any], load: Callable[[], Any]) -> None:
        self._options = options
        self._load = load
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return self._load()


BUFFERING_WORKER = "handyman_http.buffering_worker.BufferingThreadWorker"
"""The API's worker: threads that answer a request only once it is read whole, without blocking,
so slow or silent clients cannot occupy them (see ARCHITECTURE.md, "Slow clients")."""


IDLE_KEEPALIVE_SECONDS = 3 * BUSY_RETRY_AFTER_SECONDS
"""How long an idle keep-alive connection is held open: well past any Retry-After the service
hands out, so a client that waits as told and then sends on the same connection does not race
the server closing it. A POST cannot be resent by the client, so that race cost a connection
reset per refused run in a run flood (`nox -s bench-runner`) while the two were equal. The
buffering worker holds an idle connection in its epoll set: holding it longer costs a
descriptor, no thread."""


def gunicorn_options(
    args: argparse.Namespace,
    *,
    proc_name: str,
    graceful_timeout: int,
    worker_class: str = "gthread",
) -> dict[str, Any]:
    """Settings shared by the API and the runner server (`--host`, `--port`, `--workers`,
    `--threads`, `--access-log`)."""
    options: dict[str, Any] = {
        "bind": f"{args.host}:{args.port}",
        "workers": args.workers,
        "worker_class": worker_class,
        "threads": args.threads,
        "timeout": 120,
        "graceful_timeout": graceful_timeout,
        "keepalive": IDLE_KEEPALIVE_SECONDS,
        "accesslog": "-" if args.access_log else None,
        "errorlog": "-",
        "proc_name": proc_name,
    }
    if "control_socket_disable" in GunicornConfig().settings:
        # gunicorn >= 27 otherwise claims one control socket per user, which a second
        # instance on the same host (the API beside a runner) also wants.
        options["control_socket_disable"] = True
    return options


def serve(args: argparse.Namespace) -> int:
    if args.admin_networks is not None:
        os.environ[ADMIN_NETWORKS_VARIABLE] = args.admin_networks
    try:
        admin_networks = admin_networks_from(os.environ)
    except InvalidNetworks as error:
        print(f"handyman: {error}; not starting", file=sys.stderr)
        return 2
    if admin_networks:
        print(f"Admin endpoints are open to callers from: {admin_networks}", flush=True)
    if args.demo:
        database_url = prepare_demo(args)
    else:
        url = resolve_database_url(args.database_url)
        database_url = url.url.render_as_string(hide_password=False)
        engine = create_engine(url)
        try:
            if not args.no_migrate:
                upgrade_if_behind(engine)
            if args.courses:
                directory = Path(args.courses).resolve()
                reading = read_folder_or_report(directory)
                if reading is None or reading.errors:
                    print("handyman: the course folder is invalid; not starting", file=sys.stderr)
                    return 1
                print_import_report(run_import(engine, reading, str(directory)))
        finally:
            engine.dispose()
    os.environ["HANDYMAN_DATABASE_URL"] = database_url
    os.environ[THREADS_VARIABLE] = str(args.threads)
    os.environ[RUNNER_VARIABLE] = args.runner
    if args.watchman_url:
        os.environ[WATCHMAN_URLS_VARIABLE] = " ".join(args.watchman_url)
    try:
        check_runner_settings(os.environ)
    except ValueError as error:
        print(f"handyman: {error}", file=sys.stderr)
        return 2
    options = gunicorn_options(
        args, proc_name="handyman", graceful_timeout=30, worker_class=BUFFERING_WORKER
    )
    options["child_exit"] = lambda _server, worker: forget_worker(worker.pid)
    with metrics_directory():
        HandymanGunicorn(options, _load_application).run()
    return 0


def _load_application() -> Any:
    """In the worker, after the fork: the application and everything it imports."""
    wsgi = importlib.import_module("handyman_cli.wsgi")
    return wsgi.build_application()
