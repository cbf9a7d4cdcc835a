"""Prometheus metrics: the original's counters under their exact names, plus per-endpoint
request-latency histograms.

prometheus_client appends `_total` to every counter, but the original's counters are named
`handyman_run_task_ok` and so on; dashboards query those names, so `LegacyNamesCollector`
re-exposes our counters' values under the original names (typed `untyped`, since the text
format would otherwise append `_total` to the declared family name). Works with gunicorn's
several workers through prometheus_client's multiprocess mode when PROMETHEUS_MULTIPROC_DIR is set.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import falcon
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

LEGACY_COUNTERS: dict[str, tuple[str, ...]] = {
    "run_task": ("total", "ok", "errors_client", "errors_server"),
    "run_practice": ("total", "ok", "errors_client", "errors_server"),
    "run_code": ("total", "ok", "errors_client", "errors_server"),
    "get_courses": ("total", "anonym", "authorized", "err_client", "err_server"),
    "update_course_progress": (
        "total",
        "err_server",
        "err_status",
        "err_client",
        "ok",
        "ok_completed",
        "no_action",
    ),
    "update_chapter_progress": (
        "total",
        "no_action",
        "err_server",
        "err_status",
        "err_client",
        "ok",
        "ok_completed",
    ),
    "get_chapter": ("total", "anonymous", "err_server", "err_client", "ok"),
}

_EVENTS = Counter(
    "handyman_events",
    "Counts behind the original Handyman's per-endpoint counters",
    ["endpoint", "event"],
)
REQUEST_LATENCY = Histogram(
    "handyman_request_duration_seconds",
    "Time to answer a request, per endpoint",
    ["endpoint", "method", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


def count(endpoint: str, *events: str) -> None:
    """Record events of an endpoint, e.g. count("run_task", "ok")."""
    for event in events:
        _EVENTS.labels(endpoint=endpoint, event=event).inc()


class LegacyNamesCollector(Collector):
    def __init__(self, source: CollectorRegistry | Collector) -> None:
        self._source = source

    def collect(self) -> Iterator[Metric]:
        values: dict[tuple[str, str], float] = {}
        for family in self._source.collect():
            if family.name != "handyman_events":
                continue
            for sample in family.samples:
                if sample.name.endswith("_total"):
                    key = (sample.labels["endpoint"], sample.labels["event"])
                    values[key] = values.get(key, 0.0) + sample.value
        for endpoint, events in LEGACY_COUNTERS.items():
            for event in events:
                name = f"handyman_{endpoint}_{event}"
                metric = Metric(name, f"The original Handyman's {name} counter", "unknown")
                metric.add_sample(name, {}, values.get((endpoint, event), 0.0))
                yield metric


def exposition_registry() -> CollectorRegistry:
    """What /metrics shows: all workers' metrics in multiprocess mode, else this process's."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        source: CollectorRegistry | Collector = CollectorRegistry()
        MultiProcessCollector(source)  # type: ignore[no-untyped-call]
    else:
        source = REGISTRY
    registry.register(_Forward(source))
    registry.register(LegacyNamesCollector(source))
    return registry


class _Forward(Collector):
    def __init__(self, source: CollectorRegistry | Collector) -> None:
        self._source = source

    def collect(self) -> Iterator[Metric]:
        yield from self._source.collect()


class MetricsResource:
    def __init__(self) -> None:
        self._registry = exposition_registry()

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = "text/plain; version=0.0.4; charset=utf-8"
        resp.data = generate_latest(self._registry)


class LatencyMiddleware:
    """Observes every request's duration, labelled by the route template (never the raw path)."""

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        req.context.started = time.perf_counter()

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: object, req_succeeded: bool
    ) -> None:
        started: float | None = getattr(req.context, "started", None)
        if started is None:
            return
        endpoint = req.uri_template or "unmatched"
        REQUEST_LATENCY.labels(
            endpoint=endpoint, method=req.method, status=str(resp.status)[:3]
        ).observe(time.perf_counter() - started)
