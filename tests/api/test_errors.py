"""Every error status of the contract that needs no domain, each enveloped."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from tests.support.clients import chunked
from tests.support.envelopes import assert_error
from webapp.core.errors import Forbidden
from webapp.infra.extensions import db
from webapp.models import User

REGISTER = "/api/v1/auth/register"


def user_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def test_malformed_json_is_400(client, app):
    response = client.post(REGISTER, data='{"email": ', content_type="application/json")
    error = assert_error(response, 400, "BAD_REQUEST")
    assert "JSON" in error["message"]
    assert user_count(app) == 0


@pytest.mark.parametrize(
    "body",
    ["[" * 30_000 + "]" * 30_000, '{"a":' * 10_000 + "1" + "}" * 10_000],
    ids=["deep-array", "deep-object"],
)
@pytest.mark.parametrize("path", [REGISTER, "/api/v1/auth/login"])
def test_json_nested_too_deep_to_parse_is_400(client, path, body):
    response = client.post(path, data=body, content_type="application/json")
    assert_error(response, 400, "BAD_REQUEST")


def nested(depth: int) -> str:
    """A login body whose `email` is `depth` arrays deep (the body itself is one level more)."""
    return '{"email": ' + "[" * depth + "]" * depth + ', "password": "x"}'


@pytest.mark.parametrize("path", [REGISTER, "/api/v1/auth/login", "/api/v1/auth/refresh"])
def test_json_a_few_hundred_levels_deep_is_400_and_logs_no_traceback(client, path, capsys):
    body = nested(330)
    assert len(body) < 700  # the attack: under 700 bytes from an anonymous caller
    response = client.post(path, data=body, content_type="application/json")
    error = assert_error(response, 400, "BAD_REQUEST")
    assert "64 levels" in error["message"]
    logged = capsys.readouterr()
    assert "Traceback" not in logged.out + logged.err
    assert "RecursionError" not in logged.out + logged.err
    assert sum(len(line) for line in logged.out.splitlines()) < 2_000


def test_json_nesting_is_bounded_at_64_levels(client):
    deepest_allowed = client.post(
        "/api/v1/auth/login", data=nested(63), content_type="application/json"
    )
    assert deepest_allowed.status_code == 422  # read, then refused as a login: not a string
    too_deep = client.post("/api/v1/auth/login", data=nested(64), content_type="application/json")
    assert_error(too_deep, 400, "BAD_REQUEST")


@pytest.mark.parametrize("body", ["[]", '"text"', "42", "null", "true"])
def test_a_json_body_that_is_not_an_object_is_400(client, body):
    response = client.post(REGISTER, data=body, content_type="application/json")
    assert_error(response, 400, "BAD_REQUEST")


def test_unknown_api_route_is_404(client):
    assert_error(client.get("/api/v1/does/not/exist"), 404, "NOT_FOUND")
    assert_error(client.post("/api/v2/anything", json={}), 404, "NOT_FOUND")


def test_wrong_method_on_a_known_route_is_405_with_allow(client):
    response = client.delete(REGISTER)
    assert_error(response, 405, "METHOD_NOT_ALLOWED")
    assert "POST" in response.headers["Allow"]


def test_body_over_64_kib_is_413(client, app):
    big = json.dumps({"email": "a@example.com", "password": "x" * (64 * 1024), "name": "A"})
    response = client.post(REGISTER, data=big, content_type="application/json")
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")
    assert user_count(app) == 0


def test_a_body_just_under_the_limit_is_read(client):
    body = json.dumps({"email": "a@example.com", "password": "x" * 60_000, "name": "A"})
    response = client.post(REGISTER, data=body, content_type="application/json")
    assert_error(response, 422, "VALIDATION_ERROR")  # read, then refused by the password rule


def test_a_chunked_body_over_64_kib_is_413_not_cut_and_parsed(client, app):
    big = json.dumps({"email": "a@example.com", "password": "x" * (64 * 1024), "name": "A"})
    response = client.post(REGISTER, **chunked(big.encode(), "application/json"))
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")
    assert user_count(app) == 0


def test_a_chunked_body_under_the_limit_is_read_whole(client):
    body = json.dumps({"email": "a@example.com", "password": "x" * 60_000, "name": "A"})
    response = client.post(REGISTER, **chunked(body.encode(), "application/json"))
    error = assert_error(response, 422, "VALIDATION_ERROR")  # read, then refused by a rule
    assert set(error["details"]) == {"password"}


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
def test_a_body_that_is_not_json_is_415(client, app, content_type):
    response = client.post(REGISTER, data="email=a@example.com", content_type=content_type)
    assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")
    assert user_count(app) == 0


def test_schema_errors_are_422_with_field_details(client, app):
    response = client.post(REGISTER, json={"email": 12, "password": None})
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert set(error["details"]) == {"email", "password", "name"}
    assert user_count(app) == 0


def test_schema_errors_are_worded_as_full_sentences(client):
    response = client.post(
        REGISTER, json={"email": 12, "password": "correct-horse", "roles": ["admin"]}
    )
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert error["details"] == {
        "email": "Input should be a valid string.",
        "name": "Field required.",
        "roles": "Extra inputs are not permitted.",
    }


@pytest.mark.parametrize("value", [100, 1.5, True, None, [], {}])
def test_strict_validation_never_coerces(client, app, value):
    response = client.post(
        REGISTER, json={"email": "a@example.com", "password": "correct-horse", "name": value}
    )
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert set(error["details"]) == {"name"}
    assert user_count(app) == 0


def test_unknown_fields_are_refused(client, app):
    response = client.post(
        REGISTER,
        json={
            "email": "a@example.com",
            "password": "correct-horse",
            "name": "A",
            "roles": ["admin"],
        },
    )
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert "roles" in error["details"]
    assert user_count(app) == 0


@pytest.fixture
def failing_app(make_app):
    """An app with routes that fail in the ways the error handlers must contain."""
    app = make_app()

    def boom():
        raise RuntimeError("secret internals: SELECT * FROM users")

    def forbidden():
        raise Forbidden()

    app.add_url_rule("/api/v1/_test/boom", "api_boom", boom)
    app.add_url_rule("/_test/boom", "page_boom", boom)
    app.add_url_rule("/_test/forbidden", "page_forbidden", forbidden)
    app.add_url_rule("/api/v1/_test/forbidden", "api_forbidden", forbidden)
    return app


def test_an_unexpected_error_is_500_without_a_stack_trace(failing_app, capsys):
    response = failing_app.test_client().get("/api/v1/_test/boom")
    error = assert_error(response, 500, "INTERNAL_ERROR")
    assert "secret internals" not in response.get_data(as_text=True)
    assert "RuntimeError" not in error["message"]
    # The trace goes to the log, tagged with the request id.
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    logged = [line for line in lines if line.get("level") == "ERROR"]
    assert logged and logged[0]["requestId"] == response.headers["X-Request-ID"]
    assert "RuntimeError" in logged[0]["exception"]


def test_an_unexpected_error_on_a_page_is_the_500_page(failing_app):
    response = failing_app.test_client().get("/_test/boom")
    assert response.status_code == 500
    assert response.mimetype == "text/html"
    text = response.get_data(as_text=True)
    assert "Something went wrong" in text
    assert "secret internals" not in text and "Traceback" not in text


def test_a_domain_error_becomes_its_status_on_both_surfaces(failing_app):
    client = failing_app.test_client()
    assert_error(client.get("/api/v1/_test/forbidden"), 403, "FORBIDDEN")
    page = client.get("/_test/forbidden")
    assert page.status_code == 403 and page.mimetype == "text/html"


def test_rate_limited_api_is_429_with_retry_after(make_app):
    app = make_app(RATELIMIT_DEFAULT="2/minute")
    client = app.test_client()
    for _ in range(2):
        assert client.get("/api/v1/users/me").status_code == 401
    response = client.get("/api/v1/users/me")
    assert_error(response, 429, "RATE_LIMITED")
    assert int(response.headers["Retry-After"]) > 0
    assert response.headers["X-RateLimit-Limit"] == "2"
    assert response.headers["X-RateLimit-Remaining"] == "0"
    # Pages and probes are outside the API's default limit.
    assert client.get("/healthz").status_code == 200


def test_retry_after_is_sent_only_on_a_429(client, member):
    read = client.get("/api/v1/users/me", headers=member)
    created = client.post(
        "/api/v1/auth/register",
        json={"email": "grace@example.com", "password": "correct-horse-battery", "name": "Grace"},
    )
    for response, status in ((read, 200), (created, 201)):
        assert response.status_code == status
        assert "Retry-After" not in response.headers
        assert int(response.headers["X-RateLimit-Remaining"]) > 0
        assert response.headers["X-RateLimit-Limit"]


def test_a_429_carries_retry_after_and_the_rate_limit_headers(make_app):
    client = make_app(RATELIMIT_DEFAULT="1/minute").test_client()
    assert "Retry-After" not in client.get("/api/v1/users/me").headers
    limited = client.get("/api/v1/users/me")
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    assert limited.headers["X-RateLimit-Remaining"] == "0"


def test_database_unreachable_is_503(make_app, tmp_path):
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path}/missing/dir/tally.db")
    response = app.test_client().post(
        REGISTER, json={"email": "a@example.com", "password": "correct-horse", "name": "A"}
    )
    assert_error(response, 503, "SERVICE_UNAVAILABLE")
