"""The composition root: builds one application per gunicorn worker, after the fork, from the
environment that `handyman serve` (or a gunicorn config such as examples/gunicorn.conf.py) set.

`gunicorn handyman_cli.wsgi:application` works as well as `handyman serve`.

Each worker fails, at start, the runs left active by workers that are gone (a crash, a kill),
and on SIGTERM lets its runs finish for up to HANDYMAN_RUN_GRACE_SECONDS (20 s by default)
before stopping and recording them; gunicorn's own grace (30 s in `handyman serve`) must be
longer, or the worker is killed before it has recorded anything. A worker that exits otherwise
gives its runs the same grace on the way out.
"""

from __future__ import annotations

import atexit
import functools
import logging
import os
import signal
import threading
from collections.abc import Mapping
from types import FrameType

from sqlalchemy.exc import SQLAlchemyError

from handyman_cli.composition import build_services
from handyman_cli.run_admission import run_retention, runs_per_user, runs_per_worker
from handyman_cli.runner_registry import runner_from_environment
from handyman_http.app import WsgiApp, create_app
from handyman_http.request_id import RequestIdLogFilter
from handyman_http.settings import Settings
from handyman_service.run_tracking import RunTracker
from handyman_store.database import (
    DatabaseTimeouts,
    DatabaseUrl,
    create_engine,
    database_failure,
    default_database_url,
)

RUN_GRACE_VARIABLE = "HANDYMAN_RUN_GRACE_SECONDS"
DEFAULT_RUN_GRACE_SECONDS = 20.0
"""How long running runs may go on after SIGTERM before they are stopped."""
LOG_FORMAT = "%(asctime)s %(levelname)s [%(process)d] [%(request_id)s] %(name)s: %(message)s"


def configure_logging() -> None:
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdLogFilter())
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root = logging.getLogger("handyman")
    if not root.handlers:
        root.addHandler(handler)
        root.setLevel(os.environ.get("HANDYMAN_LOG_LEVEL", "INFO"))


def build_application(environ: Mapping[str, str] = os.environ) -> WsgiApp:
    configure_logging()
    settings = Settings.from_environment(environ)
    database = environ.get("HANDYMAN_DATABASE_URL")
    url = DatabaseUrl.parse(database) if database else default_database_url()
    # Not verified here: a worker that starts (or restarts) while the database is down must come
    # up and answer 503 until it is back, not fail to boot and take the whole server down.
    engine = create_engine(url, verify=False, timeouts=DatabaseTimeouts.from_environment(environ))
    tracker = functools.partial(
        RunTracker,
        max_runs_in_flight=runs_per_worker(environ),
        max_runs_per_user=runs_per_user(environ),
        retention=run_retention(environ),
    )
    services = build_services(
        engine, settings, runner_from_environment(environ), run_tracker=tracker
    )
    runs = services.context.runs
    try:
        runs.recover_interrupted()
    except SQLAlchemyError as error:
        failure = database_failure(error)
        if failure is None:
            raise
        logging.getLogger("handyman.runs").warning(
            "could not fail the runs interrupted by a restart (%s); readers will, once they are "
            "stale",
            failure.message,
        )
    finish_runs_on_exit(runs, run_grace_seconds(environ))
    return create_app(services)


def run_grace_seconds(environ: Mapping[str, str]) -> float:
    value = environ.get(RUN_GRACE_VARIABLE, "")
    if not value:
        return DEFAULT_RUN_GRACE_SECONDS
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):
        raise ValueError(f"{RUN_GRACE_VARIABLE} must be a number of seconds, not {value!r}")
    return seconds


def finish_runs_on_exit(tracker: RunTracker, grace_seconds: float) -> None:
    """On SIGTERM (gunicorn's graceful stop) the runs' grace starts while the worker finishes
    its requests; at exit the worker waits for the end of that grace, stops what still runs
    and records it.

    gunicorn installs its worker's SIGTERM handler before it loads the application, so the
    handler found here is chained, not replaced. Elsewhere (no handler of Python's own, or not
    the main thread) only the exit hook is installed, and the grace starts at exit."""
    atexit.register(tracker.shutdown, grace_seconds)
    if threading.current_thread() is not threading.main_thread():
        return
    previous = signal.getsignal(signal.SIGTERM)
    if not callable(previous):
        return

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        threading.Thread(
            target=tracker.shutdown, args=(grace_seconds,), name="run-shutdown", daemon=True
        ).start()
        previous(signum, frame)

    signal.signal(signal.SIGTERM, on_sigterm)


_built: dict[str, WsgiApp] = {}


def __getattr__(name: str) -> WsgiApp:
    """`application` is built on first access: in each gunicorn worker after the fork (the
    master never loads the app unless preloading is asked for), never on a plain import."""
    if name != "application":
        raise AttributeError(name)
    if name not in _built:
        _built[name] = build_application()
    return _built[name]
