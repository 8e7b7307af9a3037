"""The cache-aside layer: hits, misses, negative caching, single-flight, invalidation, and
serving from the loader when the cache backend fails."""

from __future__ import annotations

import threading
import time

import pytest

from webapp.infra.extensions import cache
from webapp.infra.metrics import observed_totals
from webapp.services.cache import CacheAside, SingleFlight

pytestmark = pytest.mark.usefixtures("app_context")


class Loader:
    def __init__(self, values: dict[int, str], delay: float = 0.0) -> None:
        self.values = values
        self.delay = delay
        self.calls: list[int] = []
        self._lock = threading.Lock()

    def __call__(self, key: int) -> str | None:
        with self._lock:
            self.calls.append(key)
        if self.delay:
            time.sleep(self.delay)
        return self.values.get(key)


def test_a_second_get_is_a_hit_and_counted():
    loader = Loader({1: "one"})
    records = CacheAside("test-hit", load=loader)
    before = observed_totals()
    assert records.get(1) == "one"
    assert records.get(1) == "one"
    assert loader.calls == [1]
    after = observed_totals()
    assert after.cache_hits - before.cache_hits == 1
    assert after.cache_misses - before.cache_misses == 1


def test_a_hit_is_one_read_of_the_backend(monkeypatch):
    records = CacheAside("test-one-read", load=Loader({1: "one"}))
    records.get(1)  # the miss: it starts a generation and stores the value
    calls: list[str] = []
    for name in ("get", "get_many", "set", "add"):
        original = getattr(cache, name)

        def counted(*args, _name=name, _original=original, **kwargs):
            calls.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(cache, name, counted)
    assert records.get(1) == "one"
    assert calls == ["get_many"]


def test_unknown_keys_are_negatively_cached():
    loader = Loader({})
    records = CacheAside("test-negative", load=loader, negative_ttl=30)
    assert records.get(404) is None
    assert records.get(404) is None
    assert loader.calls == [404]


def test_invalidation_makes_the_next_get_load_again():
    loader = Loader({1: "one"})
    records = CacheAside("test-invalidate", load=loader)
    records.get(1)
    loader.values[1] = "uno"
    records.invalidate(1)
    assert records.get(1) == "uno"
    assert loader.calls == [1, 1]


def test_invalidation_clears_a_negative_entry_too():
    loader = Loader({})
    records = CacheAside("test-neg-invalidate", load=loader)
    assert records.get(7) is None
    loader.values[7] = "seven"
    records.invalidate(7)
    assert records.get(7) == "seven"


def test_a_load_that_began_before_an_invalidation_never_stores_a_stale_value():
    loader = Loader({1: "old"})
    records = CacheAside("test-race", load=loader)

    def slow_load(key: int) -> str | None:
        value = loader(key)  # reads "old"
        # Meanwhile a write commits and invalidates.
        loader.values[1] = "new"
        records.invalidate(1)
        return value

    records._load = slow_load  # the racing reader
    assert records.get(1) == "old"  # it answers what it read…
    records._load = loader
    assert records.get(1) == "new"  # …but the cache does not keep it


def test_concurrent_misses_for_one_key_load_once():
    loader = Loader({1: "one"}, delay=0.2)
    records = CacheAside("test-single-flight", load=loader)
    results: list[str | None] = []
    barrier = threading.Barrier(10)

    def read() -> None:
        barrier.wait()
        results.append(records.get(1))

    from flask import current_app

    app = current_app._get_current_object()

    def in_app() -> None:
        with app.app_context():
            read()

    threads = [threading.Thread(target=in_app) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["one"] * 10
    assert loader.calls == [1]


def test_single_flight_shares_errors_and_forgets_them():
    flights = SingleFlight()
    with pytest.raises(ValueError):
        flights.run("k", lambda: (_ for _ in ()).throw(ValueError("boom")))
    assert flights.run("k", lambda: 42) == 42


class BrokenBackend:
    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise ConnectionError("cache is down")

        return fail


def test_a_failing_backend_falls_back_to_the_loader_and_logs(monkeypatch, caplog):
    loader = Loader({1: "one"})
    records = CacheAside("test-broken", load=loader)
    monkeypatch.setattr(cache, "get", BrokenBackend().get)
    monkeypatch.setattr(cache, "get_many", BrokenBackend().get_many)
    monkeypatch.setattr(cache, "set", BrokenBackend().set)
    monkeypatch.setattr(cache, "add", BrokenBackend().add)
    assert records.get(1) == "one"
    assert records.get(1) == "one"
    records.invalidate(1)  # must not raise either
    assert loader.calls == [1, 1]
    assert any("cache backend failed" in r.getMessage() for r in caplog.records)


class FlakyBackend:
    """The real backend, except while `down`: then every call fails."""

    def __init__(self, monkeypatch) -> None:
        self.down = False
        for name in ("get", "get_many", "set", "add"):
            monkeypatch.setattr(cache, name, self._wrap(getattr(cache, name)))

    def _wrap(self, call):
        def maybe(*args, **kwargs):
            if self.down:
                raise ConnectionError("cache is down")
            return call(*args, **kwargs)

        return maybe


def test_an_outage_is_logged_once_and_its_end_once(monkeypatch, caplog):
    records = CacheAside("test-outage-log", load=Loader({1: "one"}))
    backend = FlakyBackend(monkeypatch)
    backend.down = True
    for _ in range(5):
        assert records.get(1) == "one"
    backend.down = False
    assert records.get(1) == "one"
    messages = [r.getMessage() for r in caplog.records if r.name == "webapp.services.cache"]
    assert messages == [
        "cache backend failed; serving from the database",
        "cache backend answers again",
    ]


def test_an_invalidation_the_backend_refused_is_retried_until_it_is_taken(monkeypatch):
    loader = Loader({1: "old"})
    records = CacheAside("test-refused-invalidation", load=loader)
    assert records.get(1) == "old"
    assert records.get(1) == "old"  # cached
    backend = FlakyBackend(monkeypatch)

    # The write commits, then its invalidation meets a backend that is down for a moment.
    loader.values[1] = "new"
    backend.down = True
    records.invalidate(1)
    backend.down = False
    # This process never reads the old value: it waits for its own invalidation first.
    assert records.get(1) == "new"

    # Another process (here: a read that skips this one's pending list) sees the old value
    # only until the background retry has started the new generation.
    loader.values[1] = "newer"
    backend.down = True
    records.invalidate(1)
    backend.down = False
    deadline = time.monotonic() + 5
    generation_key = "test-refused-invalidation:1:gen"
    before = cache.get(generation_key)
    while cache.get(generation_key) == before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert cache.get(generation_key) != before, "the refused invalidation was never retried"
    assert records.get(1) == "newer"
