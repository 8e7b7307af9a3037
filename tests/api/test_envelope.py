"""The envelope and X-Request-ID rules of the HTTP contract."""

from __future__ import annotations

import pytest

from tests.support.envelopes import assert_error, assert_success


def test_success_envelope_has_data_and_meta(client):
    response = client.post(
        "/api/v1/auth/register",
        json={"email": "ada@example.com", "password": "correct-horse-battery", "name": "Ada"},
    )
    data = assert_success(response, 201)
    assert data["email"] == "ada@example.com"
    assert isinstance(data["id"], str)
    assert "passwordHash" not in data and "password_hash" not in data


def test_error_envelope_has_error_and_meta(client):
    error = assert_error(client.get("/api/v1/no-such-thing"), 404, "NOT_FOUND")
    assert "details" not in error


def test_a_well_formed_client_request_id_is_echoed(client):
    response = client.get("/healthz", headers={"X-Request-ID": "abc.DEF_123-xyz"})
    assert response.headers["X-Request-ID"] == "abc.DEF_123-xyz"
    assert response.get_json()["meta"]["requestId"] == "abc.DEF_123-xyz"


def test_an_error_echoes_the_client_request_id_too(client):
    response = client.get("/api/v1/nothing", headers={"X-Request-ID": "trace-42"})
    assert response.headers["X-Request-ID"] == "trace-42"
    assert response.get_json()["meta"]["requestId"] == "trace-42"


@pytest.mark.parametrize(
    "offered",
    ["", "has space", "semi;colon", "x" * 129, "ünïcode", "<script>", "a/b"],
)
def test_a_malformed_client_request_id_is_replaced(client, offered):
    response = client.get("/api/v1/nothing", headers={"X-Request-ID": offered})
    request_id = response.headers["X-Request-ID"]
    assert request_id != offered
    assert len(request_id) == 32
    assert response.get_json()["meta"]["requestId"] == request_id


def test_a_request_id_of_128_characters_is_accepted(client):
    offered = "a" * 128
    assert (
        client.get("/healthz", headers={"X-Request-ID": offered}).headers["X-Request-ID"] == offered
    )


def test_each_request_gets_its_own_id(client):
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]
    assert first != second


def test_html_pages_carry_a_request_id(client):
    response = client.get("/", headers={"X-Request-ID": "page-1"})
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == "page-1"
    missing = client.get("/no-such-page")
    assert missing.status_code == 404
    assert missing.headers["X-Request-ID"]


def test_api_responses_are_never_cached(client):
    assert client.get("/api/v1/nothing").headers["Cache-Control"] == "no-store"
    assert client.get("/healthz").headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", ["/", "/healthz", "/api/v1/nothing", "/no-such-page"])
def test_security_headers_are_on_every_response(client, path):
    headers = client.get(path).headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    csp = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp
    assert "Strict-Transport-Security" not in headers  # HSTS is for production only
    assert "Server" not in headers


def test_production_adds_hsts(migrated_database):
    import secrets

    from webapp import create_app
    from webapp.infra.settings import ProductionConfig

    app = create_app(
        ProductionConfig(
            {
                "TALLY_ENV": "production",
                "MAIL_SERVER": "127.0.0.1",
                "PUBLIC_URL": "https://tally.example.com",
                "DATABASE_URL": migrated_database,
                "SECRET_KEY": secrets.token_urlsafe(48),
                "JWT_SECRET_KEY": secrets.token_urlsafe(48),
            }
        )
    )
    headers = app.test_client().get("/healthz").headers
    assert headers["Strict-Transport-Security"].startswith("max-age=")
