"""/api/v1/users: the caller's profile and user administration, with roles enforced."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.support.clients import PASSWORD, bearer
from tests.support.envelopes import assert_error, assert_success
from webapp.infra.extensions import db
from webapp.models import AuthSession, Event, User
from webapp.services.users.registration import RegistrationService

ME = "/api/v1/users/me"
NEW_PASSWORD = "a-brand-new-passphrase"


@pytest.fixture
def registered_member(register):
    return register("member@example.com", "Member")


@pytest.fixture
def admin_tokens(make_admin, login):
    make_admin("admin@example.com")
    return login("admin@example.com")


def status(client, path, tokens, method="get", **kwargs) -> int:
    return getattr(client, method)(path, headers=bearer(tokens), **kwargs).status_code


# --- users/me ----------------------------------------------------------------------------


def test_me_is_the_callers_profile(client, registered_member, login):
    data = assert_success(client.get(ME, headers=bearer(login())))
    assert data == registered_member


def test_rename_through_me_is_visible_on_the_next_get(client, app, registered_member, login):
    tokens = login()
    data = assert_success(client.patch(ME, json={"name": "Renamed"}, headers=bearer(tokens)))
    assert data["name"] == "Renamed"
    assert assert_success(client.get(ME, headers=bearer(tokens)))["name"] == "Renamed"
    with app.app_context():
        event = db.session.scalars(select(Event).order_by(Event.id.desc())).first()
        assert (event.type, event.data) == (
            "user.updated",
            {"name": {"from": "Member", "to": "Renamed"}},
        )


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"currentPassword": PASSWORD},
        {"newPassword": NEW_PASSWORD},
        {"name": 7},
        {"name": ""},
        {"email": "new@example.com"},
        {"roles": ["admin"]},
    ],
)
def test_me_refuses_bad_updates_and_changes_nothing(client, registered_member, login, body):
    tokens = login()
    assert_error(client.patch(ME, json=body, headers=bearer(tokens)), 422, "VALIDATION_ERROR")
    assert assert_success(client.get(ME, headers=bearer(tokens))) == registered_member


def test_password_change_ends_every_other_session_and_keeps_the_callers(
    client, registered_member, login
):
    caller, other = login(), login()
    body = {"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD}
    assert_success(client.patch(ME, json=body, headers=bearer(caller)))
    assert status(client, ME, caller) == 200
    assert status(client, ME, other) == 401
    refreshed = client.post("/api/v1/auth/refresh", json={"refreshToken": other["refreshToken"]})
    assert refreshed.status_code == 401
    assert (
        client.post(
            "/api/v1/auth/login", json={"email": registered_member["email"], "password": PASSWORD}
        ).status_code
        == 401
    )
    assert login(registered_member["email"], NEW_PASSWORD)["accessToken"]


def test_password_change_needs_the_current_password(client, registered_member, login):
    tokens = login()
    body = {"currentPassword": "not-the-password", "newPassword": NEW_PASSWORD}
    error = assert_error(
        client.patch(ME, json=body, headers=bearer(tokens)), 422, "VALIDATION_ERROR"
    )
    assert error["details"] == {"currentPassword": "The current password is incorrect."}
    assert login()["accessToken"]  # the old password still works


def test_a_common_new_password_is_refused(client, registered_member, login):
    tokens = login()
    body = {"currentPassword": PASSWORD, "newPassword": "password1"}
    error = assert_error(
        client.patch(ME, json=body, headers=bearer(tokens)), 422, "VALIDATION_ERROR"
    )
    assert "newPassword" in error["details"]


def test_register_refuses_a_common_password(client, app):
    body = {"email": "x@example.com", "password": "IloveYou", "name": "X"}
    error = assert_error(client.post("/api/v1/auth/register", json=body), 422, "VALIDATION_ERROR")
    assert error["details"] == {"password": "This password is too common. Choose another."}
    with app.app_context():
        assert db.session.scalars(select(User)).all() == []


# --- Admin endpoints ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/api/v1/users", None),
        ("patch", "/api/v1/users/1", {"name": "X"}),
        ("post", "/api/v1/users/1/revoke-sessions", None),
    ],
)
def test_admin_endpoints_refuse_members_and_anonymous(
    client, registered_member, login, method, path, body
):
    kwargs = {"json": body} if body is not None else {}
    assert_error(getattr(client, method)(path, **kwargs), 401, "UNAUTHORIZED")
    response = getattr(client, method)(path, headers=bearer(login()), **kwargs)
    assert_error(response, 403, "FORBIDDEN")


def test_a_member_sees_themselves_and_no_one_else(client, registered_member, register, login):
    other = register("other@example.com", "Other")
    tokens = login()
    assert assert_success(
        client.get(f"/api/v1/users/{registered_member['id']}", headers=bearer(tokens))
    )
    assert_error(
        client.get(f"/api/v1/users/{other['id']}", headers=bearer(tokens)), 404, "NOT_FOUND"
    )
    assert_error(client.get("/api/v1/users/999999", headers=bearer(tokens)), 404, "NOT_FOUND")


def test_an_admin_sees_anyone(client, registered_member, admin_tokens):
    data = assert_success(
        client.get(f"/api/v1/users/{registered_member['id']}", headers=bearer(admin_tokens))
    )
    assert data["email"] == registered_member["email"]
    missing = client.get("/api/v1/users/999999", headers=bearer(admin_tokens))
    assert_error(missing, 404, "NOT_FOUND")


@pytest.mark.parametrize("bad_id", ["abc", "0", "-1", "99999999999999999999", "1.5"])
def test_malformed_ids_are_404(client, admin_tokens, bad_id):
    assert_error(
        client.get(f"/api/v1/users/{bad_id}", headers=bearer(admin_tokens)), 404, "NOT_FOUND"
    )


def test_the_user_list_is_cursor_paginated_with_filters(client, app, admin_tokens):
    with app.app_context():
        for n in range(7):
            RegistrationService().register(
                email=f"user{n}@example.com", password=PASSWORD, name=f"Person {n}"
            )
    headers = bearer(admin_tokens)
    first = client.get("/api/v1/users?limit=3", headers=headers)
    assert_success(first)
    body = first.get_json()
    assert body["meta"]["pagination"]["limit"] == 3
    assert body["meta"]["pagination"]["hasMore"] is True
    seen = [u["email"] for u in body["data"]]
    cursor = body["meta"]["pagination"]["nextCursor"]
    while cursor:
        page = client.get(f"/api/v1/users?limit=3&cursor={cursor}", headers=headers).get_json()
        seen += [u["email"] for u in page["data"]]
        cursor = page["meta"]["pagination"]["nextCursor"]
    assert len(seen) == len(set(seen)) == 8
    assert seen[0] == "user6@example.com"  # newest first

    admins = client.get("/api/v1/users?role=admin", headers=headers).get_json()["data"]
    assert [u["email"] for u in admins] == ["admin@example.com"]
    found = client.get("/api/v1/users?q=PERSON 3", headers=headers).get_json()["data"]
    assert [u["email"] for u in found] == ["user3@example.com"]
    by_email = client.get("/api/v1/users?q=user5@", headers=headers).get_json()["data"]
    assert [u["email"] for u in by_email] == ["user5@example.com"]
    none = client.get("/api/v1/users?q=%25", headers=headers).get_json()["data"]
    assert none == []  # a literal %, not a wildcard


@pytest.mark.parametrize(
    ("query", "status_code", "code"),
    [
        ("limit=0", 422, "VALIDATION_ERROR"),
        ("limit=101", 422, "VALIDATION_ERROR"),
        ("limit=ten", 422, "VALIDATION_ERROR"),
        ("role=root", 422, "VALIDATION_ERROR"),
        ("cursor=%%%", 400, "BAD_REQUEST"),
        ("cursor=eyJ4IjoxfQ", 400, "BAD_REQUEST"),
    ],
)
def test_bad_list_queries(client, admin_tokens, query, status_code, code):
    response = client.get(f"/api/v1/users?{query}", headers=bearer(admin_tokens))
    assert_error(response, status_code, code)


def test_deactivation_kills_the_users_tokens_at_once(
    client, registered_member, login, admin_tokens
):
    tokens = login()
    response = client.patch(
        f"/api/v1/users/{registered_member['id']}",
        json={"isActive": False},
        headers=bearer(admin_tokens),
    )
    assert assert_success(response)["isActive"] is False
    assert status(client, ME, tokens) == 401
    refreshed = client.post("/api/v1/auth/refresh", json={"refreshToken": tokens["refreshToken"]})
    assert refreshed.status_code == 401


def test_revoke_sessions_kills_the_users_tokens(
    client, app, registered_member, login, admin_tokens
):
    laptop, phone = login(), login()
    response = client.post(
        f"/api/v1/users/{registered_member['id']}/revoke-sessions", headers=bearer(admin_tokens)
    )
    assert response.status_code == 204
    assert status(client, ME, laptop) == 401
    assert status(client, ME, phone) == 401
    assert status(client, ME, admin_tokens) == 200
    with app.app_context():
        open_sessions = db.session.scalars(
            select(AuthSession).where(AuthSession.revoked_at.is_(None))
        ).all()
        assert [s for s in open_sessions if s.user_id == int(registered_member["id"])] == []
    unknown = client.post("/api/v1/users/999999/revoke-sessions", headers=bearer(admin_tokens))
    assert_error(unknown, 404, "NOT_FOUND")


def test_a_demoted_admin_is_refused_on_the_very_next_request(
    client, make_admin, login, admin_tokens
):
    second_admin = make_admin("second@example.com")
    second = login("second@example.com")
    assert status(client, "/api/v1/users", second) == 200
    response = client.patch(
        f"/api/v1/users/{second_admin}", json={"roles": ["user"]}, headers=bearer(admin_tokens)
    )
    assert assert_success(response)["roles"] == ["user"]
    assert_error(client.get("/api/v1/users", headers=bearer(second)), 403, "FORBIDDEN")
    assert status(client, ME, second) == 200  # still logged in, just not an admin


def test_a_promoted_member_is_an_admin_on_the_next_request(
    client, registered_member, login, admin_tokens
):
    tokens = login()
    assert status(client, "/api/v1/users", tokens) == 403
    client.patch(
        f"/api/v1/users/{registered_member['id']}",
        json={"roles": ["user", "admin"]},
        headers=bearer(admin_tokens),
    )
    assert status(client, "/api/v1/users", tokens) == 200


@pytest.mark.parametrize(
    "body",
    [
        {"roles": ["root"]},
        {"roles": []},
        {"roles": ["admin"]},
        {"roles": "admin"},
        {"isActive": "false"},
        {"isActive": 0},
        {"name": ""},
        {"email": "x@example.com"},
    ],
)
def test_bad_admin_updates_are_422_and_change_nothing(
    client, registered_member, admin_tokens, body
):
    response = client.patch(
        f"/api/v1/users/{registered_member['id']}", json=body, headers=bearer(admin_tokens)
    )
    assert_error(response, 422, "VALIDATION_ERROR")
    current = client.get(f"/api/v1/users/{registered_member['id']}", headers=bearer(admin_tokens))
    assert assert_success(current) == registered_member


def test_an_admin_cannot_lock_themselves_out(client, admin_tokens):
    me = assert_success(client.get(ME, headers=bearer(admin_tokens)))
    for body in ({"isActive": False}, {"roles": ["user"]}):
        response = client.patch(
            f"/api/v1/users/{me['id']}", json=body, headers=bearer(admin_tokens)
        )
        assert_error(response, 422, "VALIDATION_ERROR")
    assert status(client, "/api/v1/users", admin_tokens) == 200


def test_admin_renames_and_reactivates(client, registered_member, admin_tokens, login):
    path = f"/api/v1/users/{registered_member['id']}"
    client.patch(path, json={"isActive": False}, headers=bearer(admin_tokens))
    data = assert_success(
        client.patch(path, json={"isActive": True, "name": "Back"}, headers=bearer(admin_tokens))
    )
    assert (data["isActive"], data["name"]) == (True, "Back")
    assert login()["accessToken"]
