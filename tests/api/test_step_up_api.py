"""Step-up on the API: a personal access token needs a login no older than REAUTH_WINDOW.

A stale session gets 401 REAUTHENTICATION_REQUIRED (with `WWW-Authenticate`), makes
nothing, and a refresh does not make it fresh again: only a new login does.
"""

from __future__ import annotations

import time

from tests.support.access_tokens import make_token, pat, token_rows
from tests.support.audit_log import events
from tests.support.clients import PASSWORD, bearer
from tests.support.envelopes import assert_error, assert_success
from tests.support.step_up import age_logins

TOKENS = "/api/v1/tokens"
BODY = {"name": "script", "scopes": ["read"]}


def login_pair(client, email="alice@example.com") -> dict:
    response = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    return assert_success(response)


def test_a_fresh_login_makes_a_token(client, alice):
    assert_success(client.post(TOKENS, json=BODY, headers=alice), 201)


def test_a_stale_login_is_401_reauthentication_required_and_makes_nothing(app, client, alice):
    age_logins(app)
    response = client.post(TOKENS, json=BODY, headers=alice)
    error = assert_error(response, 401, "REAUTHENTICATION_REQUIRED")
    assert "log in again" in error["message"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert token_rows(app) == []
    assert events(app, "token.created") == []
    # The session itself still works for everything else.
    assert_success(client.get("/api/v1/users/me", headers=alice))


def test_a_refresh_carries_the_login_time_and_never_renews_it(app, client, register):
    register("alice@example.com", "Alice")
    pair = login_pair(client)
    age_logins(app)
    refreshed = client.post("/api/v1/auth/refresh", json={"refreshToken": pair["refreshToken"]})
    headers = bearer(assert_success(refreshed))
    assert_error(client.post(TOKENS, json=BODY, headers=headers), 401, "REAUTHENTICATION_REQUIRED")
    fresh = bearer(login_pair(client))  # a new login is a new proof
    assert_success(client.post(TOKENS, json=BODY, headers=fresh), 201)
    # …and the old session stays stale beside it.
    assert_error(client.post(TOKENS, json=BODY, headers=headers), 401, "REAUTHENTICATION_REQUIRED")


def test_the_window_is_read_from_reauth_window(app, make_app):
    # `app` empties the database; this app runs on it with a one-second window.
    client = make_app(REAUTH_WINDOW="1").test_client()
    body = {"email": "alice@example.com", "password": PASSWORD, "name": "Alice"}
    assert client.post("/api/v1/auth/register", json=body).status_code == 201
    headers = bearer(login_pair(client))
    assert_success(client.post(TOKENS, json=BODY, headers=headers), 201)
    time.sleep(1.2)
    assert_error(client.post(TOKENS, json=BODY, headers=headers), 401, "REAUTHENTICATION_REQUIRED")


def test_a_personal_access_token_may_never_make_one(client, alice):
    writer = pat(make_token(client, alice, scopes=("read", "write")))
    assert_error(client.post(TOKENS, json=BODY, headers=writer), 403, "INSUFFICIENT_SCOPE")


def test_a_logged_out_session_is_refused_before_its_age_matters(client, register):
    register("alice@example.com", "Alice")
    pair = login_pair(client)
    headers = bearer(pair)
    client.post("/api/v1/auth/logout", json={"refreshToken": pair["refreshToken"]})
    assert_error(client.post(TOKENS, json=BODY, headers=headers), 401, "UNAUTHORIZED")
