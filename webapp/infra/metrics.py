"""The Prometheus metrics: what /metrics shows and what the admin stats read back.

One count per thing, kept by prometheus-client. Under gunicorn (gunicorn.conf.py) the
environment names PROMETHEUS_MULTIPROC_DIR before any worker imports this module, so
prometheus-client keeps each worker's values in a file of that directory and a scrape
sums them; without it (the development server, pytest) values live in this process.

This module knows nothing of Flask: the services count cache hits and domain events
through it, and webapp.ops.metrics feeds it each request and serves the exposition.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROCESS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
# Read once: prometheus-client chose its value class from it when it was imported.
MULTIPROCESS_DIR = os.environ.get(MULTIPROCESS_DIR_VARIABLE) or None
if MULTIPROCESS_DIR is not None:
    # Each metric opens its file in the directory as it is built, just below.
    os.makedirs(MULTIPROCESS_DIR, exist_ok=True)

EXPOSITION_CONTENT_TYPE = CONTENT_TYPE_LATEST

# A request that matched no route is counted under this label, never under its raw path:
# a label per path a scanner tries would grow without bound.
UNMATCHED_ENDPOINT = "<unmatched>"
OTHER_METHOD = "OTHER"
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

http_requests = Counter(
    "tally_http_requests",
    "HTTP requests answered, by the route's rule, method and status.",
    ["endpoint", "method", "status"],
)
http_request_duration = Histogram(
    "tally_http_request_duration_seconds",
    "Time from the first request hook to the response, by the route's rule and method.",
    ["endpoint", "method"],
)
cache_hits = Counter("tally_cache_hits", "Cache-aside reads answered from the cache.")
cache_misses = Counter("tally_cache_misses", "Cache-aside reads that went to the loader.")
rate_limited = Counter(
    "tally_rate_limited", "Requests refused with 429 Too Many Requests, on any surface."
)
orders_placed = Counter("tally_orders_placed", "Orders placed and paid.")
transfers = Counter("tally_transfers", "Transfers completed between accounts.")
refunds = Counter("tally_refunds", "Orders cancelled and refunded.")
logins = Counter("tally_logins", "Password logins, by outcome.", ["outcome"])
LOGIN_OUTCOMES = ("ok", "failed")
for _outcome in LOGIN_OUTCOMES:
    logins.labels(outcome=_outcome)  # both series exist from the start, at 0

# The domain events each business counter counts (subscribed after commit).
EVENT_COUNTERS = {
    "order.placed": orders_placed,
    "transfer.completed": transfers,
    "order.cancelled": refunds,
    "user.login": logins.labels(outcome="ok"),
    "user.login_failed": logins.labels(outcome="failed"),
}
COUNTED_EVENTS = tuple(EVENT_COUNTERS)


@dataclass(frozen=True)
class ObservedTotals:
    cache_hits: int
    cache_misses: int
    rate_limited: int


def count_event(event_type: str, **_event: object) -> None:
    """An after-commit subscriber: one more of whatever `event_type` counts."""
    counter = EVENT_COUNTERS.get(event_type)
    if counter is not None:
        counter.inc()


def endpoint_label(rule: str | None) -> str:
    """The matched route's rule (`/api/v1/accounts/<id:account_id>`), never the raw path."""
    return rule if rule is not None else UNMATCHED_ENDPOINT


def method_label(method: str) -> str:
    """The method, or OTHER for one we do not serve (any token is a valid HTTP method)."""
    return method if method in KNOWN_METHODS else OTHER_METHOD


def observe_request(rule: str | None, method: str, status: int, seconds: float | None) -> None:
    """Count one answered request; `seconds` is None when its start was never recorded."""
    endpoint, method = endpoint_label(rule), method_label(method)
    http_requests.labels(endpoint=endpoint, method=method, status=str(status)).inc()
    if seconds is not None:
        http_request_duration.labels(endpoint=endpoint, method=method).observe(seconds)
    if status == 429:
        rate_limited.inc()


def _registry() -> CollectorRegistry:
    """What a scrape reads: every worker's files in multiprocess mode, else this process."""
    if MULTIPROCESS_DIR is None:
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=MULTIPROCESS_DIR)
    return registry


class _ReadNow:
    """A collector of values read at scrape time, not kept between scrapes."""

    def __init__(self, *families: Metric) -> None:
        self.families = families

    def collect(self) -> tuple[Metric, ...]:
        return self.families


def exposition(tasks_queued: int | None = None) -> bytes:
    """The Prometheus text exposition of every metric, summed over the workers, and the
    tasks waiting in the queue (left out when the queue could not be read)."""
    text = generate_latest(_registry())
    if tasks_queued is None:
        return text
    queued = GaugeMetricFamily(
        "tally_tasks_queued",
        "Tasks waiting for a worker, due now or scheduled (a retry), read at scrape time.",
        value=tasks_queued,
    )
    read_now = CollectorRegistry(auto_describe=False)
    read_now.register(_ReadNow(queued))  # type: ignore[arg-type]
    return text + generate_latest(read_now)


def observed_totals() -> ObservedTotals:
    """The same counts /metrics shows, summed over every worker process (multiprocess
    mode) or this process."""
    wanted = {"tally_cache_hits_total", "tally_cache_misses_total", "tally_rate_limited_total"}
    totals = dict.fromkeys(wanted, 0.0)
    for family in _registry().collect():
        for sample in family.samples:
            if sample.name in wanted:
                totals[sample.name] += sample.value
    return ObservedTotals(
        cache_hits=int(totals["tally_cache_hits_total"]),
        cache_misses=int(totals["tally_cache_misses_total"]),
        rate_limited=int(totals["tally_rate_limited_total"]),
    )
