"""The composition root: builds one application per gunicorn worker, after the fork, from the
environment that `handyman serve` (or a gunicorn config such as examples/gunicorn.conf.py) set.

`gunicorn handyman_cli.wsgi:application` works as well as `handyman serve`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from handyman_cli.runner_choice import runner_from_environment
from handyman_http.app import WsgiApp, create_app
from handyman_http.catalogue_cache import CatalogueCache
from handyman_http.request_id import RequestIdLogFilter
from handyman_http.services import Services
from handyman_http.settings import Settings
from handyman_store.database import DatabaseUrl, create_engine, default_database_url
from handyman_store.store import Store

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
    engine = create_engine(url)
    services = Services(
        settings=settings,
        store=Store(engine),
        catalogue=CatalogueCache(engine, settings.catalogue_refresh_seconds),
        runner=runner_from_environment(environ),
    )
    return create_app(services)


_built: dict[str, WsgiApp] = {}


def __getattr__(name: str) -> WsgiApp:
    """`application` is built on first access: in each gunicorn worker after the fork (the
    master never loads the app unless preloading is asked for), never on a plain import."""
    if name != "application":
        raise AttributeError(name)
    if name not in _built:
        _built[name] = build_application()
    return _built[name]
