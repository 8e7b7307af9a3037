"""Tokens through HTTP: login, refresh with rotation, reuse detection, logouts, revocation."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
from sqlalchemy import select

from tests.support.clients import PASSWORD, bearer
from tests.support.envelopes import assert_error, assert_success
from webapp.infra.extensions import db
from webapp.models import Event, RefreshToken

LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
LOGOUT_ALL = "/api/v1/auth/logout-all"
ME = "/api/v1/users/me"


@pytest.fixture
def registered_member(register):
    return register("member@example.com", "Member")


def me_status(client, tokens) -> int:
    return client.get(ME, headers=bearer(tokens)).status_code


def refresh(client, tokens):
    return client.post(REFRESH, json={"refreshToken": tokens["refreshToken"]})


def event_types(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(Event.type).order_by(Event.id)))


def test_register_login_refresh_logout_flow(client, app, registered_member, login):
    tokens = login()
    assert tokens["tokenType"] == "Bearer"
    assert tokens["expiresIn"] == 900
    assert (
        assert_success(client.get(ME, headers=bearer(tokens)))["email"]
        == registered_member["email"]
    )

    renewed = assert_success(refresh(client, tokens))
    assert renewed["accessToken"] != tokens["accessToken"]
    assert renewed["refreshToken"] != tokens["refreshToken"]
    assert me_status(client, renewed) == 200

    response = client.post(LOGOUT, json={"refreshToken": renewed["refreshToken"]})
    assert response.status_code == 204
    assert response.get_data() == b""
    assert me_status(client, renewed) == 401
    assert refresh(client, renewed).status_code == 401
    assert event_types(app) == ["user.created", "user.login", "user.logout"]


def test_refresh_tokens_are_stored_only_as_hashes(app, registered_member, login):
    tokens = login()
    with app.app_context():
        stored = db.session.scalars(select(RefreshToken.token_hash)).all()
    assert tokens["refreshToken"] not in stored
    assert len(stored) == 1 and len(stored[0]) == 64


def test_rotation_kills_the_old_refresh_token_but_not_the_old_access_token(
    client, registered_member, login
):
    tokens = login()
    assert refresh(client, tokens).status_code == 200
    # Within its 15 minutes the old access token stays valid: its session is alive.
    assert me_status(client, tokens) == 200


def test_reusing_a_rotated_refresh_token_revokes_the_whole_family(
    client, app, registered_member, login
):
    first = login()
    second = assert_success(refresh(client, first))

    error = assert_error(refresh(client, first), 401, "UNAUTHORIZED")
    assert error["message"] == "The token is invalid, expired or revoked."
    assert refresh(client, second).status_code == 401  # the newest token of the family too
    assert me_status(client, second) == 401
    assert me_status(client, first) == 401
    assert event_types(app)[-1] == "auth.refresh_reuse"


def test_reuse_in_one_family_leaves_other_sessions_alone(client, registered_member, login):
    leaked, other = login(), login()
    assert refresh(client, leaked).status_code == 200
    assert refresh(client, leaked).status_code == 401
    assert me_status(client, other) == 200
    assert refresh(client, other).status_code == 200


def test_after_logout_that_sessions_access_token_dies_and_another_sessions_works(
    client, registered_member, login
):
    laptop, phone = login(), login()
    assert client.post(LOGOUT, json={"refreshToken": laptop["refreshToken"]}).status_code == 204
    assert me_status(client, laptop) == 401
    assert me_status(client, phone) == 200


def test_logout_twice_is_harmless_and_a_forged_token_is_refused(client, registered_member, login):
    tokens = login()
    assert client.post(LOGOUT, json={"refreshToken": tokens["refreshToken"]}).status_code == 204
    assert client.post(LOGOUT, json={"refreshToken": tokens["refreshToken"]}).status_code == 204
    response = client.post(LOGOUT, json={"refreshToken": "not-a-token"})
    assert_error(response, 401, "UNAUTHORIZED")
    # An access token is not a refresh token.
    response = client.post(LOGOUT, json={"refreshToken": tokens["accessToken"]})
    assert_error(response, 401, "UNAUTHORIZED")


def test_logout_all_ends_every_session(client, app, registered_member, login):
    sessions = [login(), login(), login()]
    response = client.post(LOGOUT_ALL, headers=bearer(sessions[0]))
    assert response.status_code == 204
    for tokens in sessions:
        assert me_status(client, tokens) == 401
        assert refresh(client, tokens).status_code == 401
    assert "user.sessions_revoked" in event_types(app)


def test_logout_all_needs_a_token(client):
    assert_error(client.post(LOGOUT_ALL), 401, "UNAUTHORIZED")


def test_login_with_unknown_email_and_wrong_password_look_the_same(client, registered_member):
    unknown = client.post(LOGIN, json={"email": "nobody@example.com", "password": PASSWORD})
    wrong = client.post(
        LOGIN, json={"email": registered_member["email"], "password": "wrong-password"}
    )
    for response in (unknown, wrong):
        assert_error(response, 401, "UNAUTHORIZED")
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert unknown.get_json()["error"] == wrong.get_json()["error"]


def test_login_checks_a_dummy_hash_for_an_unknown_email(client, monkeypatch):
    from webapp.core.passwords import passwords

    checked: list[str] = []
    real_verify = passwords.verify
    monkeypatch.setattr(passwords, "verify", lambda h, p: checked.append(p) or real_verify(h, p))
    client.post(LOGIN, json={"email": "nobody@example.com", "password": "some-password"})
    assert checked == ["some-password"]


def test_login_email_is_case_insensitive(client, registered_member):
    response = client.post(LOGIN, json={"email": "  MEMBER@Example.com ", "password": PASSWORD})
    assert response.status_code == 200


def test_a_deactivated_user_gets_account_disabled_at_login(
    client, registered_member, make_admin, login
):
    make_admin("admin@example.com")
    admin = login("admin@example.com")
    client.patch(
        f"/api/v1/users/{registered_member['id']}", json={"isActive": False}, headers=bearer(admin)
    )
    response = client.post(LOGIN, json={"email": registered_member["email"], "password": PASSWORD})
    assert_error(response, 403, "ACCOUNT_DISABLED")
    # A wrong password still says nothing about the account.
    response = client.post(
        LOGIN, json={"email": registered_member["email"], "password": "not-it-at-all"}
    )
    assert_error(response, 401, "UNAUTHORIZED")


def test_a_session_cookie_alone_is_not_accepted_on_the_api(client, registered_member):
    client.post("/login", data={"email": registered_member["email"], "password": PASSWORD})
    assert client.get("/settings").status_code == 200  # logged in as a browser
    assert_error(client.get(ME), 401, "UNAUTHORIZED")


def test_a_token_in_the_query_string_is_ignored(client, registered_member, login):
    tokens = login()
    assert client.get(f"{ME}?access_token={tokens['accessToken']}").status_code == 401
    assert client.get(f"{ME}?token={tokens['accessToken']}").status_code == 401


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_the_bearer_scheme_is_case_insensitive(client, registered_member, login, scheme):
    tokens = login()
    response = client.get(ME, headers={"Authorization": f"{scheme} {tokens['accessToken']}"})
    assert response.status_code == 200


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer ", "Basic abc", "Token abc"])
def test_a_missing_or_foreign_authorization_header_is_401(client, header):
    assert_error(client.get(ME, headers={"Authorization": header}), 401, "UNAUTHORIZED")


# --- Forged, expired and misused tokens -------------------------------------------------


def claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def sign(app, claims: dict, **kwargs) -> str:
    return jwt.encode(claims, app.config["JWT_SECRET_KEY"], algorithm="HS256", **kwargs)


def test_an_expired_access_token_is_401(client, app, registered_member, login):
    claims = claims_of(login()["accessToken"])
    claims.update(iat=int(time.time()) - 3600, exp=int(time.time()) - 60)
    assert_error(client.get(ME, headers=bearer(sign(app, claims))), 401, "UNAUTHORIZED")


def test_a_tampered_signature_is_401(client, registered_member, login):
    header, payload, signature = login()["accessToken"].split(".")
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    assert me_status(client, ".".join([header, payload, flipped])) == 401


def test_a_tampered_payload_is_401(client, registered_member, login):
    header, payload, signature = login()["accessToken"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["sub"] = "2"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    assert me_status(client, ".".join([header, forged, signature])) == 401


def test_an_unsigned_alg_none_token_is_401(client, registered_member, login):
    claims = claims_of(login()["accessToken"])
    unsigned = jwt.encode(claims, None, algorithm="none")
    assert me_status(client, unsigned) == 401


def test_a_token_signed_with_another_key_is_401(client, registered_member, login):
    claims = claims_of(login()["accessToken"])
    assert me_status(client, jwt.encode(claims, "another-key-" * 4, algorithm="HS256")) == 401


def test_a_refresh_token_is_not_an_access_token_nor_the_reverse(client, registered_member, login):
    tokens = login()
    assert me_status(client, tokens["refreshToken"]) == 401
    assert client.post(REFRESH, json={"refreshToken": tokens["accessToken"]}).status_code == 401


@pytest.mark.parametrize(
    "change",
    [
        {"sub": "999999"},  # unknown user
        {"sub": "99999999999999999999"},  # beyond any id
        {"sub": "abc"},
        {"sid": "999999"},  # a session that does not exist
        {"iss": "someone-else"},
        {"type": "refresh"},
    ],
)
def test_forged_claims_signed_with_the_right_key_are_401(
    client, app, registered_member, login, change
):
    claims = claims_of(login()["accessToken"])
    claims.update(change)
    assert me_status(client, sign(app, claims)) == 401


@pytest.mark.parametrize("missing", ["exp", "sub", "sid", "type", "iss"])
def test_a_token_missing_a_required_claim_is_401(client, app, registered_member, login, missing):
    claims = claims_of(login()["accessToken"])
    del claims[missing]
    assert me_status(client, sign(app, claims)) == 401


@pytest.mark.parametrize("field", ["jku", "jwk", "x5u", "kid"])
def test_header_fields_pointing_at_keys_are_never_followed(
    client, app, registered_member, login, field
):
    claims = claims_of(login()["accessToken"])
    value = {"kty": "oct", "k": "AAAA"} if field == "jwk" else "https://attacker.example/k"
    token = sign(app, claims, headers={field: value})
    assert me_status(client, token) == 401


def test_no_token_or_hash_appears_in_the_logs(client, registered_member, login, capsys):
    capsys.readouterr()
    tokens = login()
    refresh(client, tokens)
    client.get(ME, headers=bearer(tokens))
    output = capsys.readouterr().out
    for secret in (tokens["accessToken"], tokens["refreshToken"], PASSWORD, "$argon2"):
        assert secret not in output


def test_malformed_login_bodies_are_refused_before_counting_anything(client):
    response = client.post(LOGIN, data='{"email": "a@', content_type="application/json")
    assert_error(response, 400, "BAD_REQUEST")
    response = client.post(LOGIN, data="email=a@example.com", content_type="text/plain")
    assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")
    response = client.post(LOGIN, json={"email": "a@example.com", "password": 12345678})
    assert_error(response, 422, "VALIDATION_ERROR")
