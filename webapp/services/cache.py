"""Cache-aside over flask-caching, for records that many requests read and few change.

    users = CacheAside("user", load=load_user_record, ttl=300, negative_ttl=30)
    record = users.get(42)      # the cache, else the loader (once per key per process)
    users.invalidate(42)        # after a write commits, before the write returns

- Values are versioned: each key has a generation, and a value is stored beside the
  generation that was current when its load began. `invalidate` starts a new
  generation, so a slow reader that loaded before a write and stores after it stores a
  value of a dead generation, which no reader takes: it can never bring back a stale one.
- A hit is one backend round trip: the generation and the entry are read together
  (`get_many`, one MGET on Redis).
- Unknown keys are cached as "absent" for `negative_ttl` seconds.
- Concurrent misses for one key in a process share one load (single-flight).
- Hits and misses are counted, across every namespace, in the Prometheus counters
  `tally_cache_hits_total` and `tally_cache_misses_total` (webapp.metrics).
- If the cache backend fails, the loader answers and the failure is logged: a cache
  outage slows requests down, it never fails them.

Values must be plain, picklable data (dataclasses of primitives), never ORM objects.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from webapp import metrics
from webapp.extensions import cache

log = logging.getLogger(__name__)

V = TypeVar("V")
T = TypeVar("T")

_ABSENT = "__absent__"  # the negative-cache marker


@dataclass
class _Flight:
    done: threading.Event = field(default_factory=threading.Event)
    result: Any = None
    error: BaseException | None = None


class SingleFlight:
    """Runs one call per key at a time in this process; concurrent callers share its result."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flights: dict[Hashable, _Flight] = {}

    def run(self, key: Hashable, call: Callable[[], T]) -> T:
        with self._lock:
            flight = self._flights.get(key)
            leader = flight is None
            if flight is None:
                flight = self._flights[key] = _Flight()
        if not leader:
            flight.done.wait()
            if flight.error is not None:
                raise flight.error
            return flight.result  # type: ignore[no-any-return]
        try:
            flight.result = call()
            return flight.result  # type: ignore[no-any-return]
        except BaseException as error:
            flight.error = error
            raise
        finally:
            with self._lock:
                del self._flights[key]
            flight.done.set()


class CacheAside(Generic[V]):
    def __init__(
        self,
        namespace: str,
        *,
        load: Callable[[Any], V | None],
        ttl: int = 300,
        negative_ttl: int = 30,
    ) -> None:
        self.namespace = namespace
        self._load = load
        self.ttl = ttl
        self.negative_ttl = negative_ttl
        self._flights = SingleFlight()

    def get(self, key: Any) -> V | None:
        """The value for `key`, or None when the loader knows no such key."""
        read = self._backend(
            lambda: cache.get_many(self._generation_key(key), self._entry_key(key))
        )
        generation, entry = read if read is not None else (None, None)
        if generation is not None and entry is not None and entry[0] == generation:
            metrics.cache_hits.inc()
            return None if entry[1] == _ABSENT else entry[1]
        if read is not None and generation is None:
            generation = self._start_generation(key)
        metrics.cache_misses.inc()
        return self._flights.run(key, lambda: self._load_and_store(key, generation))

    def invalidate(self, key: Any) -> None:
        """Start a new generation: whatever was cached for `key` is never read again."""
        self._backend(lambda: cache.set(self._generation_key(key), uuid.uuid4().hex, timeout=0))

    def _load_and_store(self, key: Any, generation: str | None) -> V | None:
        value = self._load(key)
        if generation is not None:
            entry = (generation, _ABSENT if value is None else value)
            timeout = self.negative_ttl if value is None else self.ttl
            self._backend(lambda: cache.set(self._entry_key(key), entry, timeout=timeout))
        return value

    def _start_generation(self, key: Any) -> str | None:
        """A first generation for `key` (another process's, if it started one first)."""
        generation_key = self._generation_key(key)

        def start() -> str | None:
            cache.add(generation_key, uuid.uuid4().hex, timeout=0)
            return cache.get(generation_key)

        return self._backend(start)

    def _generation_key(self, key: Any) -> str:
        return f"{self.namespace}:{key}:gen"

    def _entry_key(self, key: Any) -> str:
        return f"{self.namespace}:{key}"

    def _backend(self, operation: Callable[[], T]) -> T | None:
        try:
            return operation()
        except Exception:
            log.warning(
                "cache backend failed; serving from the database",
                exc_info=True,
                extra={"fields": {"cache": self.namespace}},
            )
            return None
