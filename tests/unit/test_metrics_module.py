"""The metrics module: bounded labels, business events counted by type, totals summed over
processes in multiprocess mode, and the production rules for METRICS_TOKEN."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from tests.support.gunicorn_server import clean_environment
from webapp.infra.config import load_config
from webapp.infra.environment import ConfigError
from webapp.infra.metrics import (
    COUNTED_EVENTS,
    OTHER_METHOD,
    UNMATCHED_ENDPOINT,
    count_event,
    endpoint_label,
    method_label,
    observed_totals,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_labels_are_the_rule_and_a_known_method_never_free_text():
    assert endpoint_label("/api/v1/accounts/<id:account_id>") == (
        "/api/v1/accounts/<id:account_id>"
    )
    assert endpoint_label(None) == UNMATCHED_ENDPOINT
    assert method_label("PATCH") == "PATCH"
    assert method_label("BREW") == method_label("get") == OTHER_METHOD


def test_each_counted_event_moves_its_counter_and_others_move_nothing():
    assert set(COUNTED_EVENTS) == {
        "order.placed",
        "transfer.completed",
        "order.cancelled",
        "user.login",
        "user.login_failed",
    }

    def counts() -> list[float | None]:
        return [
            REGISTRY.get_sample_value(name, labels)
            for name, labels in (
                ("tally_orders_placed_total", {}),
                ("tally_logins_total", {"outcome": "failed"}),
                ("tally_logins_total", {"outcome": "ok"}),
            )
        ]

    placed, failed, ok = counts()
    count_event("order.placed", event=object())
    count_event("user.login_failed", event=object())
    count_event("user.updated", event=object())
    assert counts() == [placed + 1, failed + 1, ok]


def in_process(env: dict[str, str], code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


def test_in_multiprocess_mode_the_totals_add_up_over_every_process(tmp_path):
    env = clean_environment(PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"))
    one_worker = (
        "from webapp.infra import metrics; "
        "metrics.cache_hits.inc(3); metrics.cache_misses.inc(); "
        "metrics.observe_request('/login', 'POST', 429, 0.01)"
    )
    in_process(env, one_worker)
    in_process(env, one_worker)
    reader = (
        "import dataclasses, json; from webapp.infra import metrics; "
        "print(json.dumps(dataclasses.asdict(metrics.observed_totals()))); "
        "print(metrics.exposition().decode())"
    )
    totals_line, exposition = in_process(env, reader).split("\n", 1)
    assert json.loads(totals_line) == {"cache_hits": 6, "cache_misses": 2, "rate_limited": 2}
    assert "tally_cache_hits_total 6.0" in exposition
    assert (
        'tally_http_requests_total{endpoint="/login",method="POST",status="429"} 2.0' in exposition
    )


def test_without_the_variable_the_totals_are_this_process(app_context):
    before = observed_totals()
    from webapp.infra.metrics import cache_hits

    cache_hits.inc()
    assert observed_totals().cache_hits == before.cache_hits + 1


def production(**env: str) -> dict[str, str]:
    return {
        "TALLY_ENV": "production",
        "MAIL_SERVER": "127.0.0.1",
        "PUBLIC_URL": "https://tally.example.com",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "JWT_SECRET_KEY": secrets.token_urlsafe(48),
        **env,
    }


def test_production_serves_metrics_only_with_a_token_and_development_without():
    assert load_config(production()).METRICS_WITHOUT_TOKEN is False
    assert load_config({"TALLY_ENV": "development"}).METRICS_WITHOUT_TOKEN is True
    token = secrets.token_urlsafe(32)
    config = load_config(production(METRICS_TOKEN=token))
    config.validate()
    assert token == config.METRICS_TOKEN


@pytest.mark.parametrize(
    ("token", "complaint"),
    [
        ("short", "METRICS_TOKEN is shorter than 32 bytes"),
        ("metrics" * 8, "METRICS_TOKEN is too predictable"),
    ],
)
def test_production_refuses_a_guessable_metrics_token(token, complaint):
    with pytest.raises(ConfigError, match=complaint):
        load_config(production(METRICS_TOKEN=token)).validate()


def test_production_refuses_a_metrics_token_that_is_a_signing_secret():
    env = production()
    with pytest.raises(ConfigError, match="METRICS_TOKEN is one of the signing secrets"):
        load_config({**env, "METRICS_TOKEN": env["SECRET_KEY"]}).validate()
