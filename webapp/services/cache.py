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
  `tally_cache_hits_total` and `tally_cache_misses_total` (webapp.infra.metrics).
- If the cache backend fails, the loader answers: a cache outage slows requests down, it
  never fails them. It is logged once when the backend starts failing and once when it
  answers again, not on every request.
- An invalidation the backend refuses is not dropped: the process keeps it and starts the
  new generation as soon as the backend answers (a background retry every
  `RETRY_INTERVAL` seconds, and before any read of that key here, which meanwhile reads
  the loader). A value cached before the write outlives it only while the backend cannot
  be written at all, when no process can read it either, and at most `RETRY_INTERVAL`
  after the backend is back.

Values must be plain, picklable data (dataclasses of primitives), never ORM objects.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from flask import Flask, current_app

from webapp.infra import metrics
from webapp.infra.extensions import cache

log = logging.getLogger(__name__)

V = TypeVar("V")
T = TypeVar("T")

_ABSENT = "__absent__"  # the negative-cache marker
RETRY_INTERVAL = 0.5  # seconds between tries of an invalidation the backend refused


class _BackendState:
    """One app's view of its cache backend.

    Whether it answered last (a warning when it starts failing, a line when it is back,
    silence in between: an outage would otherwise log every request), and the generations
    it refused to start, retried in the background until it takes them.
    """

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.failing = False
        self._lock = threading.Lock()
        self._pending: set[str] = set()
        self._retrying = False

    @staticmethod
    def current() -> _BackendState:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        state = app.extensions.get("cache_aside")
        if state is None:
            state = app.extensions.setdefault("cache_aside", _BackendState(app))
        return state  # type: ignore[no-any-return]

    def failed(self, namespace: str) -> None:
        with self._lock:
            first, self.failing = not self.failing, True
        if first:
            log.warning(
                "cache backend failed; serving from the database",
                exc_info=True,
                extra={"fields": {"cache": namespace}},
            )

    def answered(self) -> None:
        if self.failing:
            with self._lock:
                back, self.failing = self.failing, False
            if back:
                log.info("cache backend answers again")

    def keep_trying(self, generation_key: str) -> None:
        with self._lock:
            self._pending.add(generation_key)
            start, self._retrying = not self._retrying, True
        if start:
            threading.Thread(target=self._retry_until_done, name="cache-retry", daemon=True).start()

    def still_pending(self, generation_key: str) -> bool:
        """Whether an invalidation of this key still waits (tried once more first)."""
        if generation_key not in self._pending:
            return False
        return not self._retry([generation_key])

    def _retry_until_done(self) -> None:
        while True:
            time.sleep(RETRY_INTERVAL)
            with self._lock:
                waiting = list(self._pending)
            with self.app.app_context():
                self._retry(waiting)
            with self._lock:
                if not self._pending:
                    self._retrying = False
                    return

    def _retry(self, keys: list[str]) -> bool:
        """Start a new generation of each key; True when the backend took every one."""
        done = []
        for generation_key in keys:
            try:
                if cache.set(generation_key, uuid.uuid4().hex, timeout=0) is False:
                    break
            except Exception:
                break
            done.append(generation_key)
        with self._lock:
            self._pending.difference_update(done)
        if done:
            self.answered()
        return len(done) == len(keys)


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
        state = _BackendState.current()  # looked up once: this is every request's path
        generation_key = self._generation_key(key)
        if state.still_pending(generation_key):
            metrics.cache_misses.inc()
            return self._load(key)  # this key's invalidation is not in the backend yet
        read = self._backend(lambda: cache.get_many(generation_key, self._entry_key(key)), state)
        generation, entry = read if read is not None else (None, None)
        if generation is not None and entry is not None and entry[0] == generation:
            metrics.cache_hits.inc()
            return None if entry[1] == _ABSENT else entry[1]
        if read is not None and generation is None:
            generation = self._start_generation(key)
        metrics.cache_misses.inc()
        return self._flights.run(key, lambda: self._load_and_store(key, generation))

    def invalidate(self, key: Any) -> None:
        """Start a new generation: whatever was cached for `key` is never read again. If
        the backend refuses, it is tried again until it takes it (see the module's notes)."""
        generation_key = self._generation_key(key)
        started = self._backend(lambda: cache.set(generation_key, uuid.uuid4().hex, timeout=0))
        if started is None or started is False:
            _BackendState.current().keep_trying(generation_key)

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

    def _backend(self, operation: Callable[[], T], state: _BackendState | None = None) -> T | None:
        state = state or _BackendState.current()
        try:
            result = operation()
        except Exception:
            state.failed(self.namespace)
            return None
        state.answered()
        return result
