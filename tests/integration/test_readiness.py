"""/healthz and /readyz."""

from __future__ import annotations

import pytest
from conftest import TEST_REDIS_URL

from tests.support.envelopes import assert_error, assert_success


def test_healthz_says_the_process_is_up(client):
    assert assert_success(client.get("/healthz")) == {"status": "ok"}


def test_readyz_is_200_when_the_database_answers(client):
    data = assert_success(client.get("/readyz"))
    assert data["status"] == "ready"
    assert data["checks"]["database"] == "ok"
    assert data["checks"]["redis"] == ("ok" if TEST_REDIS_URL else "not configured")


@pytest.mark.parametrize(
    "unreachable_url",
    [
        "sqlite:///{tmp}/no/such/dir/tally.db",
        "postgresql+psycopg://postgres@127.0.0.1:1/nowhere",
    ],
)
def test_readyz_is_503_when_the_database_points_nowhere(make_app, tmp_path, unreachable_url):
    app = make_app(DATABASE_URL=unreachable_url.format(tmp=tmp_path))
    error = assert_error(app.test_client().get("/readyz"), 503, "SERVICE_UNAVAILABLE")
    assert error["details"]["database"] == "unreachable"


def test_readyz_is_503_when_redis_is_configured_but_unreachable(make_app):
    app = make_app(REDIS_URL="redis://127.0.0.1:1/0")
    error = assert_error(app.test_client().get("/readyz"), 503, "SERVICE_UNAVAILABLE")
    assert error["details"] == {"database": "ok", "redis": "unreachable"}
