"""PATCH /users/me is one transaction: every field is checked before anything is written."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.support.clients import PASSWORD, bearer
from tests.support.envelopes import assert_error, assert_success
from webapp.infra.extensions import db
from webapp.models import Event

ME = "/api/v1/users/me"
LOGIN = "/api/v1/auth/login"
NEW_PASSWORD = "a-brand-new-passphrase"


@pytest.fixture
def registered_member(register):
    return register("member@example.com", "Member")


def logs_in(client, email: str, password: str) -> bool:
    response = client.post(LOGIN, json={"email": email, "password": password})
    return response.status_code == 200


def event_types(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(Event.type).order_by(Event.id)))


def test_a_bad_name_with_a_valid_password_change_changes_nothing(
    client, app, registered_member, login
):
    caller, other = login(), login()
    events_before = event_types(app)
    body = {"name": "", "currentPassword": PASSWORD, "newPassword": NEW_PASSWORD}

    error = assert_error(
        client.patch(ME, json=body, headers=bearer(caller)), 422, "VALIDATION_ERROR"
    )

    assert "name" in error["details"]
    assert logs_in(client, registered_member["email"], PASSWORD)
    assert not logs_in(client, registered_member["email"], NEW_PASSWORD)
    assert assert_success(client.get(ME, headers=bearer(other)))["name"] == "Member"
    assert assert_success(client.get(ME, headers=bearer(caller)))["name"] == "Member"
    # The two logins above (one refused) are the only things written since.
    assert event_types(app) == [*events_before, "user.login", "user.login_failed"]


def test_a_wrong_current_password_with_a_valid_name_changes_nothing(
    client, registered_member, login
):
    caller = login()
    body = {"name": "Renamed", "currentPassword": "not-the-password", "newPassword": NEW_PASSWORD}

    error = assert_error(
        client.patch(ME, json=body, headers=bearer(caller)), 422, "VALIDATION_ERROR"
    )

    assert error["details"] == {"currentPassword": "The current password is incorrect."}
    assert assert_success(client.get(ME, headers=bearer(caller)))["name"] == "Member"
    assert logs_in(client, registered_member["email"], PASSWORD)


def test_every_bad_field_is_reported_at_once(client, registered_member, login):
    body = {"name": "", "currentPassword": "not-the-password", "newPassword": "short"}

    error = assert_error(
        client.patch(ME, json=body, headers=bearer(login())), 422, "VALIDATION_ERROR"
    )

    assert set(error["details"]) == {"name", "newPassword"}


def test_a_valid_rename_and_password_change_apply_together(client, app, registered_member, login):
    caller, other = login(), login()
    body = {"name": "Renamed", "currentPassword": PASSWORD, "newPassword": NEW_PASSWORD}

    data = assert_success(client.patch(ME, json=body, headers=bearer(caller)))

    assert data["name"] == "Renamed"
    assert assert_success(client.get(ME, headers=bearer(caller)))["name"] == "Renamed"
    assert client.get(ME, headers=bearer(other)).status_code == 401
    assert logs_in(client, registered_member["email"], NEW_PASSWORD)
    assert not logs_in(client, registered_member["email"], PASSWORD)
    assert event_types(app)[-4:] == [
        "user.password_changed",
        "user.updated",
        "user.login",
        "user.login_failed",
    ]
