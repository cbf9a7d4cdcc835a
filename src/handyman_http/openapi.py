"""The OpenAPI 3.1 document of the HTTP API, served at /openapi.json.

The document is the union of `ApiSection`s: the original's endpoints, the service endpoints
below, and whatever later groups of endpoints add to `SECTIONS`. It is built once per process.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from handyman_http.openapi_components import (
    HEADERS,
    OPTIONAL_API_TOKEN,
    PARAMETERS,
    RESPONSES,
    SECURITY_SCHEMES,
    ApiSection,
    access_responses,
    json_response,
)
from handyman_http.openapi_legacy import legacy_section
from handyman_http.openapi_runs import RUNS_TAG, runs_section
from handyman_http.openapi_schemas import component_schemas, ref
from handyman_http.openapi_segments import SEGMENTS_TAG, segments_section
from handyman_http.openapi_statistics import STATISTICS_TAG, statistics_section

OPENAPI_VERSION = "3.1.0"

_DESCRIPTION = """\
Backend for interactive programming courses: progress, catalogue and sandboxed runs.

The original's endpoints keep their paths, request bodies and success shapes, so the site can \
switch unchanged: every one answers POST with a JSON body, `user_id` in the query string. \
What the original got wrong is fixed: errors use HTTP statuses (400 with `fields`, 401/403, \
404, 409, 413, 503) with a JSON `{"error": ...}` body, while the refusals the site reads from \
the body keep HTTP 200. Every response carries `X-Request-Id`. Any method a path does not list \
answers 405 (see `components.responses.MethodNotAllowed`).
"""

TAGS = (
    ("courses", "Courses and the user's progress on them."),
    ("chapters", "Chapters, their tasks and the user's progress on them."),
    ("tasks", "Running and saving the learner's code for a task."),
    ("practice", "Practice projects."),
    ("playground", "The code playground."),
    ("accounts", "Internal: linking and unlinking accounts."),
    RUNS_TAG,
    STATISTICS_TAG,
    SEGMENTS_TAG,
    ("service", "For operators and client generators."),
)


def service_section() -> ApiSection:
    return ApiSection(
        {
            "/health": {
                "get": {
                    "operationId": "health",
                    "tags": ["service"],
                    "summary": "Check that the service can serve",
                    "description": (
                        "Healthy means the database answers; the body also says whether a "
                        "code runner is configured."
                    ),
                    "responses": {
                        "200": json_response("Healthy.", ref("Health")),
                        **access_responses(),
                        "503": json_response(
                            "The database does not answer (within a few seconds, even when it "
                            "is frozen); `unavailable` names it.",
                            ref("HealthUnavailable"),
                            {"Retry-After": {"$ref": "#/components/headers/RetryAfter"}},
                        ),
                    },
                }
            },
            "/metrics": {
                "get": {
                    "operationId": "metrics",
                    "tags": ["service"],
                    "summary": "Prometheus metrics",
                    "description": (
                        "The original's counters under their names, plus request latency "
                        "histograms, in the Prometheus text format."
                    ),
                    "responses": {
                        "200": {
                            "description": "The metrics.",
                            "content": {
                                "text/plain; version=0.0.4; charset=utf-8": {
                                    "schema": {"type": "string"}
                                }
                            },
                        },
                        **access_responses(),
                    },
                }
            },
            "/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "tags": ["service"],
                    "summary": "This document",
                    "description": "The OpenAPI 3.1 description of the API.",
                    "responses": {
                        "200": json_response(
                            "The document.",
                            {"type": "object", "required": ["openapi", "info", "paths"]},
                        ),
                        **access_responses(),
                    },
                }
            },
        }
    )


SECTIONS: tuple[Callable[[], ApiSection], ...] = (
    legacy_section,
    runs_section,
    statistics_section,
    segments_section,
    service_section,
)
"""Each group of endpoints contributes one section."""


def _package_version() -> str:
    try:
        return version("handyman")
    except PackageNotFoundError:
        return "0+unknown"


def build_document(sections: Iterable[ApiSection]) -> dict[str, Any]:
    """Paths and schema names must be unique across sections: a clash is a programming error."""
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = component_schemas()
    for section in sections:
        _add_unique(paths, section.paths, "path")
        _add_unique(schemas, section.schemas, "schema")
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Handyman",
            "version": _package_version(),
            "description": _DESCRIPTION,
            "license": {"name": "GPL-3.0-or-later", "identifier": "GPL-3.0-or-later"},
        },
        "servers": [{"url": "/"}],
        "security": OPTIONAL_API_TOKEN,
        "tags": [{"name": name, "description": description} for name, description in TAGS],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "responses": RESPONSES,
            "parameters": PARAMETERS,
            "headers": HEADERS,
            "securitySchemes": SECURITY_SCHEMES,
        },
    }


def _add_unique(target: dict[str, Any], additions: Mapping[str, Any], kind: str) -> None:
    for name, value in additions.items():
        if name in target:
            raise ValueError(f"the OpenAPI {kind} {name} is defined twice")
        target[name] = value


@functools.cache
def openapi_document() -> dict[str, Any]:
    """Built once and served on every GET: callers must not modify it."""
    return build_document(section() for section in SECTIONS)
