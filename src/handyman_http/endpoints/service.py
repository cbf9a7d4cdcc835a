"""/health and /openapi.json: for operators and client generators, not for the site."""

from __future__ import annotations

import falcon

from handyman_http.endpoints.base import Endpoint
from handyman_http.openapi import openapi_document
from handyman_store.database import DatabaseUnavailable, check


class Health(Endpoint):
    """Healthy means the database answers; the body says which catalogue version is served."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        try:
            check(self.services.store.engine)
        except DatabaseUnavailable:
            resp.status = falcon.HTTP_503
            resp.media = {"status": "unavailable", "error": "The database does not answer"}
            return
        resp.media = {
            "status": "ok",
            "database": "ok",
            "runner": "configured" if self.services.runner is not None else "none",
        }


class OpenApi(Endpoint):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = openapi_document()
