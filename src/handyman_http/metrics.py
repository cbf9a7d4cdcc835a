"""Prometheus metrics: the original's counters under their exact names, plus per-endpoint
request-latency histograms.

prometheus_client appends `_total` to every counter, but the original's counters are named
`handyman_run_task_ok` and so on; dashboards query those names, so `LegacyNamesCollector`
re-exposes our counters' values under the original names (typed `untyped`, since the text format
would otherwise append `_total` to the declared family name). Each resource declares its names
(`LegacyCounters`); one middleware counts them from the response status and the domain events the
resource emits. Works with gunicorn's
several workers through prometheus_client's multiprocess mode when PROMETHEUS_MULTIPROC_DIR is set.
"""

from __future__ import annotations

import enum
import os
import time
from collections.abc import Iterable, Iterator, Mapping

import falcon
from attrs import field, frozen
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector


class Event(enum.StrEnum):
    """What a resource reports of a request beyond its status code; each resource names these
    events as the original did (`LegacyCounters.events`)."""

    OK = "ok"
    """The request did what it was asked (for progress updates: a status was written)."""
    OK_COMPLETED = "ok_completed"
    """A progress update wrote `completed`."""
    NO_ACTION = "no_action"
    REFUSED = "refused"
    """A progress update the transition table (or completion) refused."""
    ANONYMOUS = "anonymous"
    SIGNED_IN = "signed_in"


@frozen
class LegacyCounters:
    """A resource's counters under the original's names, `handyman_<endpoint>_<name>`: the
    middleware counts every request, client errors (4xx) and server errors (5xx); the resource
    emits its events (`emit`)."""

    endpoint: str
    client_errors: str = "err_client"
    server_errors: str = "err_server"
    events: Mapping[Event, str] = field(factory=dict)
    total: str = "total"

    @property
    def names(self) -> tuple[str, ...]:
        return (self.total, self.client_errors, self.server_errors, *self.events.values())


RUN_COUNTERS = {Event.OK: "ok"}
"""The run endpoints' events (with `errors_client` / `errors_server`)."""
PROGRESS_UPDATE_COUNTERS = {
    Event.OK: "ok",
    Event.OK_COMPLETED: "ok_completed",
    Event.NO_ACTION: "no_action",
    Event.REFUSED: "err_status",
}


def emit(req: falcon.Request, *events: Event) -> None:
    """Reports events of this request, counted once the response is known."""
    emitted: list[Event] = getattr(req.context, "events", [])
    emitted.extend(events)
    req.context.events = emitted


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

# Each labelled series, once looked up: `labels()` checks and joins its arguments under a lock
# on every call, 4-6 % of a request's worker CPU in issue 12's profiles. The series are the ones
# prometheus_client keeps anyway (one per label set), so the cache holds nothing more; two
# threads missing at once both get the same series from `labels()`.
_event_series: dict[tuple[str, str], Counter] = {}
_latency_series: dict[tuple[str, str, str], Histogram] = {}


def _events_of(endpoint: str, event: str) -> Counter:
    key = (endpoint, event)
    series = _event_series.get(key)
    if series is None:
        series = _event_series[key] = _EVENTS.labels(endpoint=endpoint, event=event)
    return series


def _latency_of(endpoint: str, method: str, status: str) -> Histogram:
    key = (endpoint, method, status)
    series = _latency_series.get(key)
    if series is None:
        series = _latency_series[key] = REQUEST_LATENCY.labels(
            endpoint=endpoint, method=method, status=status
        )
    return series


class LegacyNamesCollector(Collector):
    def __init__(
        self, source: CollectorRegistry | Collector, declared: Iterable[LegacyCounters]
    ) -> None:
        self._source = source
        self._declared = {counters.endpoint: counters.names for counters in declared}

    def collect(self) -> Iterator[Metric]:
        values: dict[tuple[str, str], float] = {}
        for family in self._source.collect():
            if family.name != "handyman_events":
                continue
            for sample in family.samples:
                if sample.name.endswith("_total"):
                    key = (sample.labels["endpoint"], sample.labels["event"])
                    values[key] = values.get(key, 0.0) + sample.value
        for endpoint, events in self._declared.items():
            for event in events:
                name = f"handyman_{endpoint}_{event}"
                metric = Metric(name, f"The original Handyman's {name} counter", "unknown")
                metric.add_sample(name, {}, values.get((endpoint, event), 0.0))
                yield metric


def exposition_registry(declared: Iterable[LegacyCounters]) -> CollectorRegistry:
    """What /metrics shows: all workers' metrics in multiprocess mode, else this process's."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        source: CollectorRegistry | Collector = CollectorRegistry()
        MultiProcessCollector(source)  # type: ignore[no-untyped-call]
    else:
        source = REGISTRY
    registry.register(_Forward(source))
    registry.register(LegacyNamesCollector(source, declared))
    return registry


class _Forward(Collector):
    def __init__(self, source: CollectorRegistry | Collector) -> None:
        self._source = source

    def collect(self) -> Iterator[Metric]:
        yield from self._source.collect()


class MetricsResource:
    def __init__(self, declared: Iterable[LegacyCounters]) -> None:
        self._registry = exposition_registry(declared)

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = "text/plain; version=0.0.4; charset=utf-8"
        resp.data = generate_latest(self._registry)


class MetricsMiddleware:
    """Observes every request's duration, labelled by the route template (never the raw path),
    and counts the requests of resources that declare `counters: LegacyCounters`."""

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        req.context.started = time.perf_counter()

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: object, req_succeeded: bool
    ) -> None:
        counters: LegacyCounters | None = getattr(resource, "counters", None)
        if counters is not None:
            _count(counters, resp, getattr(req.context, "events", []))
        started: float | None = getattr(req.context, "started", None)
        if started is None:
            return
        endpoint = req.uri_template or "unmatched"
        _latency_of(endpoint, req.method, str(resp.status)[:3]).observe(
            time.perf_counter() - started
        )


def _count(counters: LegacyCounters, resp: falcon.Response, events: list[Event]) -> None:
    names = [counters.total]
    status = int(str(resp.status)[:3])
    if 400 <= status < 500:
        names.append(counters.client_errors)
    elif status >= 500:
        names.append(counters.server_errors)
    names.extend(counters.events[event] for event in events if event in counters.events)
    for name in names:
        _events_of(counters.endpoint, name).inc()
