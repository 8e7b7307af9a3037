"""Text no database column can hold — NUL characters, lone surrogates — is refused at the
edge (400), never sent to the database (a 500)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.support.clients import PASSWORD
from tests.support.envelopes import assert_error
from webapp.infra.extensions import db
from webapp.models import User


@pytest.mark.parametrize(
    "body",
    [
        {"email": "a@example.com", "password": PASSWORD, "name": "a\u0000b"},
        {"email": "a\u0000@example.com", "password": PASSWORD, "name": "A"},
        {"email": "a@example.com", "password": PASSWORD, "name": "A", "x\u0000": 1},
    ],
)
def test_a_nul_in_a_json_body_is_400(client, app, body):
    error = assert_error(client.post("/api/v1/auth/register", json=body), 400, "BAD_REQUEST")
    assert "NUL" in error["message"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_a_lone_surrogate_in_a_json_body_is_400(client, app):
    body = '{"email": "a@example.com", "password": "correct-horse-battery", "name": "a\\ud800"}'
    response = client.post("/api/v1/auth/register", data=body, content_type="application/json")
    assert_error(response, 400, "BAD_REQUEST")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_a_nul_in_login_is_400(client):
    body = {"email": "a\u0000@example.com", "password": "x\u0000"}
    assert_error(client.post("/api/v1/auth/login", json=body), 400, "BAD_REQUEST")


def test_a_nul_in_the_query_string_is_400(client, admin):
    assert_error(client.get("/api/v1/users?q=a%00b", headers=admin), 400, "BAD_REQUEST")
    assert_error(client.get("/api/v1/products?cursor=%00"), 400, "BAD_REQUEST")


def test_a_nul_in_a_form_is_the_400_page(client):
    response = client.post("/login", data={"email": "a\u0000@example.com", "password": "x"})
    assert response.status_code == 400
    assert response.mimetype == "text/html"


def test_a_user_agent_with_control_characters_is_stored_printable(client, register, app):
    from webapp.models import AuthSession

    register()
    client.post(
        "/api/v1/auth/login",
        json={"email": "member@example.com", "password": PASSWORD},
        headers={"User-Agent": "curl/8\tbeta"},
    )
    with app.app_context():
        assert db.session.scalar(select(AuthSession.user_agent)) == "curl/8beta"
