"""POST /api/v1/auth/register: the first endpoint on the schema library and the event bus."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.support.envelopes import assert_error, assert_success
from webapp.infra.extensions import db
from webapp.models import Account, Event, User

REGISTER = "/api/v1/auth/register"


def body(**overrides):
    values = {"email": "Grace@Example.COM", "password": "correct-horse-battery", "name": "Grace"}
    values.update(overrides)
    return values


def test_register_creates_a_member_with_a_main_account(client, app):
    data = assert_success(client.post(REGISTER, json=body()), 201)
    assert data["email"] == "grace@example.com"
    assert data["name"] == "Grace"
    assert data["roles"] == ["user"]
    assert data["isActive"] is True
    assert data["createdAt"].endswith("Z")
    with app.app_context():
        user = db.session.get(User, int(data["id"]))
        accounts = db.session.scalars(select(Account).where(Account.user_id == user.id)).all()
        assert [(a.name, a.currency, a.balance) for a in accounts] == [("Main", "USD", 0)]
        assert user.password_hash.startswith("$argon2id$")
        events = db.session.scalars(select(Event)).all()
        assert [(e.type, e.subject, e.actor_id) for e in events] == [
            ("user.created", f"user:{user.id}", user.id)
        ]


def test_the_event_carries_the_request_id(client, app):
    client.post(REGISTER, json=body(), headers={"X-Request-ID": "reg-123"})
    with app.app_context():
        assert db.session.scalar(select(Event.request_id)) == "reg-123"


def test_the_password_never_appears_in_the_response(client):
    response = client.post(REGISTER, json=body())
    assert "correct-horse-battery" not in response.get_data(as_text=True)
    assert "argon2" not in response.get_data(as_text=True)


def test_an_email_registered_in_another_case_is_409(client, app):
    client.post(REGISTER, json=body())
    error = assert_error(
        client.post(REGISTER, json=body(email="grace@example.com")), 409, "CONFLICT"
    )
    assert error["details"] == {"email": "This email is already registered."}
    with app.app_context():
        assert len(db.session.scalars(select(User)).all()) == 1
        assert len(db.session.scalars(select(Account)).all()) == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"password": "short"}, "password"),
        ({"password": "x" * 129}, "password"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "a@localhost"}, "email"),
        ({"name": "   "}, "name"),
        ({"name": "n" * 101}, "name"),
    ],
)
def test_rules_refuse_bad_values_and_nothing_is_written(client, app, overrides, field):
    error = assert_error(client.post(REGISTER, json=body(**overrides)), 422, "VALIDATION_ERROR")
    assert field in error["details"]
    with app.app_context():
        assert db.session.scalars(select(User)).all() == []
        assert db.session.scalars(select(Event)).all() == []


def test_unicode_names_and_emails_are_kept(client):
    data = assert_success(
        client.post(REGISTER, json=body(email="zoë@exämple.com", name="Zoë 李")), 201
    )
    assert data["email"] == "zoë@exämple.com"
    assert data["name"] == "Zoë 李"


def test_a_password_of_128_characters_is_accepted(client):
    assert_success(client.post(REGISTER, json=body(password="p" * 128)), 201)
