"""Email verification and password reset on /api/v1: each endpoint's answers, its refusals
of bad input, the reset limits per IP and per email, and REQUIRE_VERIFIED_EMAIL refusing
transfers and orders until the member verifies."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.support.audit_log import events
from tests.support.clients import PASSWORD, bearer
from tests.support.envelopes import assert_error, assert_success
from tests.support.mfa import sent_mails
from webapp.infra.extensions import db
from webapp.models import LinkToken, OutboxMail
from webapp.services.mailed_links import DEAD_LINK

EMAIL = "member@example.com"
NEW_PASSWORD = "a brand new passphrase"
RESET_REQUEST = "/api/v1/auth/password-reset"
RESET_CONFIRM = "/api/v1/auth/password-reset/confirm"
VERIFY = "/api/v1/auth/verify-email"
RESEND = "/api/v1/users/me/verify-email"
TOKEN_IN = {"verify": re.compile(r"/verify-email/([A-Za-z0-9_-]+)"),
            "reset": re.compile(r"/reset-password/([A-Za-z0-9_-]+)")}  # fmt: skip


def mailed_token(app, kind: str, to: str = EMAIL) -> str:
    """The token of the newest mailed link of this kind to `to`."""
    for mail in reversed(sent_mails(app)):
        if mail.to == [to] and (found := TOKEN_IN[kind].search(mail.body)):
            return found.group(1)
    raise AssertionError(f"no {kind} mail to {to}")


def row_counts(app) -> tuple[int, int]:
    with app.app_context():
        links = db.session.scalar(select(func.count()).select_from(LinkToken))
        mails = db.session.scalar(select(func.count()).select_from(OutboxMail))
    return links, mails


# --- verification -----------------------------------------------------------------------------


def test_registration_mails_a_link_and_the_member_starts_unverified(app, client, member):
    assert assert_success(client.get("/api/v1/users/me", headers=member))["emailVerified"] is False
    (mail,) = [m for m in sent_mails(app) if m.subject == "Confirm your email address for Tally"]
    assert mail.to == [EMAIL]
    token = mailed_token(app, "verify")
    assert client.post(VERIFY, json={"token": token}).status_code == 204
    assert assert_success(client.get("/api/v1/users/me", headers=member))["emailVerified"] is True
    (event,) = events(app, "user.email_verified")
    assert event.data == {} and event.subject == "user:1"


def test_asking_for_a_new_link_answers_202_and_mails_it(app, client, member):
    before = len(sent_mails(app))
    data = assert_success(client.post(RESEND, headers=member), 202)
    assert set(data) == {"message"} and data["message"]
    assert len(sent_mails(app)) == before + 1
    old_links = row_counts(app)[0]
    assert old_links == 2


def test_asking_for_a_link_once_verified_is_a_409_that_mails_nothing(app, client, member):
    client.post(VERIFY, json={"token": mailed_token(app, "verify")})
    before = row_counts(app)
    assert_error(client.post(RESEND, headers=member), 409, "CONFLICT")
    assert row_counts(app) == before


def test_asking_for_a_link_needs_a_token(client):
    assert_error(client.post(RESEND), 401, "UNAUTHORIZED")


@pytest.mark.parametrize(
    "body",
    [{}, {"token": ""}, {"token": 123}, {"token": None}, {"token": "x" * 129},
     {"token": "ok", "extra": 1}, {"token": ["a"]}],
)  # fmt: skip
def test_verification_refuses_a_malformed_body(client, body):
    error = assert_error(client.post(VERIFY, json=body), 422, "VALIDATION_ERROR")
    assert error["details"]


@pytest.mark.parametrize("token", ["unknown", "ä" * 40, "A" * 43, "../../etc"])
def test_an_unknown_verification_token_is_the_dead_link_422(app, client, member, token):
    error = assert_error(client.post(VERIFY, json={"token": token}), 422, "VALIDATION_ERROR")
    assert error["details"] == {"token": DEAD_LINK}
    assert assert_success(client.get("/api/v1/users/me", headers=member))["emailVerified"] is False


def test_a_verification_token_is_no_reset_token(app, client, member):
    token = mailed_token(app, "verify")
    body = {"token": token, "newPassword": NEW_PASSWORD}
    assert_error(client.post(RESET_CONFIRM, json=body), 422, "VALIDATION_ERROR")
    assert client.post("/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD}).is_json


def test_verification_body_must_be_json(client):
    response = client.post(VERIFY, data="token=x", content_type="text/plain")
    assert response.status_code in (400, 415)


# --- reset requests ---------------------------------------------------------------------------


def test_a_reset_request_answers_202_alike_for_known_and_unknown(app, client, member):
    known = client.post(RESET_REQUEST, json={"email": EMAIL})
    unknown = client.post(RESET_REQUEST, json={"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 202
    assert known.get_json()["data"] == unknown.get_json()["data"]
    assert set(known.get_json()) == {"data", "meta"}
    resets = [m for m in sent_mails(app) if m.subject == "Reset your Tally password"]
    assert [m.to for m in resets] == [[EMAIL]]
    requested = events(app, "user.password_reset_requested")
    assert [e.subject for e in requested] == ["user:1", "email:nobody@example.com"]
    assert requested[0].actor_id is None
    assert requested[1].data == {"ip": "127.0.0.1", "notSent": "unknown_email"}


def test_a_reset_request_for_a_disabled_member_mails_nothing(app, client, member, admin):
    client.patch("/api/v1/users/1", json={"isActive": False}, headers=admin)
    links_before = row_counts(app)[0]
    assert_success(client.post(RESET_REQUEST, json={"email": EMAIL}), 202)
    assert row_counts(app)[0] == links_before
    assert events(app, "user.password_reset_requested")[-1].data["notSent"] == "disabled"


def test_a_reset_request_matches_the_email_in_any_case(app, client, member):
    assert_success(client.post(RESET_REQUEST, json={"email": "  Member@Example.COM "}), 202)
    assert mailed_token(app, "reset")


@pytest.mark.parametrize(
    "body",
    [{}, {"email": 42}, {"email": None}, {"email": ["a@b.c"]}, {"email": "a" * 250 + "@b.co"},
     {"email": "not an email"}, {"email": ""}, {"email": "a@example.com", "x": 1}],
)  # fmt: skip
def test_a_reset_request_refuses_a_malformed_body(app, client, body):
    error = assert_error(client.post(RESET_REQUEST, json=body), 422, "VALIDATION_ERROR")
    assert error["details"]
    assert row_counts(app) == (0, 0)


def test_a_reset_request_takes_a_unicode_address(client):
    assert_success(client.post(RESET_REQUEST, json={"email": "zoë@exämple.com"}), 202)


def test_five_reset_requests_per_email_then_429_from_any_ip(app, client, member):
    for n in range(5):
        response = client.post(
            RESET_REQUEST, json={"email": EMAIL}, environ_base={"REMOTE_ADDR": f"10.0.0.{n}"}
        )
        assert response.status_code == 202
    limited = client.post(
        RESET_REQUEST, json={"email": EMAIL}, environ_base={"REMOTE_ADDR": "10.0.9.9"}
    )
    assert_error(limited, 429, "RATE_LIMITED")
    assert "Retry-After" in limited.headers
    other = client.post(
        RESET_REQUEST, json={"email": "other@example.com"}, environ_base={"REMOTE_ADDR": "10.1.0.1"}
    )
    assert other.status_code == 202  # another email from another IP is its own bucket
    assert len([m for m in sent_mails(app) if m.subject == "Reset your Tally password"]) == 5


def test_five_reset_requests_per_ip_then_429_whatever_the_email(client):
    for n in range(5):
        assert client.post(RESET_REQUEST, json={"email": f"u{n}@example.com"}).status_code == 202
    assert_error(client.post(RESET_REQUEST, json={"email": "u9@example.com"}), 429, "RATE_LIMITED")


def test_the_page_and_the_api_share_the_reset_limit(client):
    for _ in range(3):
        assert client.post(RESET_REQUEST, json={"email": EMAIL}).status_code == 202
    for _ in range(2):
        assert client.post("/forgot-password", data={"email": EMAIL}).status_code == 302
    assert_error(client.post(RESET_REQUEST, json={"email": EMAIL}), 429, "RATE_LIMITED")
    assert client.post("/forgot-password", data={"email": EMAIL}).status_code == 429


# --- reset confirmation -----------------------------------------------------------------------


def test_a_reset_sets_the_password_and_mails_the_member(app, client, member):
    client.post(RESET_REQUEST, json={"email": EMAIL})
    token = mailed_token(app, "reset")
    response = client.post(RESET_CONFIRM, json={"token": token, "newPassword": NEW_PASSWORD})
    assert response.status_code == 204 and response.get_data() == b""
    login = {"email": EMAIL, "password": NEW_PASSWORD}
    assert client.post("/api/v1/auth/login", json=login).status_code == 200
    assert_error(client.get("/api/v1/users/me", headers=member), 401, "UNAUTHORIZED")
    (changed,) = [m for m in sent_mails(app) if m.subject == "Your Tally password was changed"]
    assert "was reset" in changed.body
    (event,) = events(app, "user.password_reset")
    assert event.data == {"sessionsEnded": 1, "tokensRevoked": 0}
    assert events(app, "user.password_changed") == []


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "token"), ({"token": "x"}, "newPassword"), ({"newPassword": NEW_PASSWORD}, "token"),
     ({"token": 1, "newPassword": NEW_PASSWORD}, "token"),
     ({"token": "x", "newPassword": 12345678}, "newPassword"),
     ({"token": "x", "newPassword": "short"}, "newPassword"),
     ({"token": "x", "newPassword": "p" * 129}, "newPassword"),
     ({"token": "x" * 129, "newPassword": NEW_PASSWORD}, "token"),
     ({"token": "x", "newPassword": NEW_PASSWORD, "email": EMAIL}, "email")],
)  # fmt: skip
def test_a_reset_confirmation_refuses_a_malformed_body(app, client, member, body, field):
    error = assert_error(client.post(RESET_CONFIRM, json=body), 422, "VALIDATION_ERROR")
    assert field in error["details"]
    login = {"email": EMAIL, "password": PASSWORD}
    assert client.post("/api/v1/auth/login", json=login).status_code == 200


def test_a_common_password_is_refused_and_the_link_still_works(app, client, member):
    client.post(RESET_REQUEST, json={"email": EMAIL})
    token = mailed_token(app, "reset")
    error = assert_error(
        client.post(RESET_CONFIRM, json={"token": token, "newPassword": "password123"}),
        422,
        "VALIDATION_ERROR",
    )
    assert set(error["details"]) == {"newPassword"}
    body = {"token": token, "newPassword": "ünïcödé passphrase ✓"}
    assert client.post(RESET_CONFIRM, json=body).status_code == 204
    login = {"email": EMAIL, "password": "ünïcödé passphrase ✓"}
    assert client.post("/api/v1/auth/login", json=login).status_code == 200


def test_an_unknown_reset_token_is_the_dead_link_422_and_changes_nothing(app, client, member):
    body = {"token": "A" * 43, "newPassword": NEW_PASSWORD}
    error = assert_error(client.post(RESET_CONFIRM, json=body), 422, "VALIDATION_ERROR")
    assert error["details"] == {"token": DEAD_LINK}
    assert events(app, "user.password_reset") == []
    assert client.get("/api/v1/users/me", headers=member).status_code == 200


def test_a_reset_link_of_a_member_disabled_since_is_dead(app, client, member, admin):
    client.post(RESET_REQUEST, json={"email": EMAIL})
    token = mailed_token(app, "reset")
    client.patch("/api/v1/users/1", json={"isActive": False}, headers=admin)
    body = {"token": token, "newPassword": NEW_PASSWORD}
    assert_error(client.post(RESET_CONFIRM, json=body), 422, "VALIDATION_ERROR")


# --- REQUIRE_VERIFIED_EMAIL --------------------------------------------------------------------


@pytest.fixture
def funded_member(client, admin, register, login):
    """An unverified member with 100.00 in Main, a second member, and a product on sale."""
    register(EMAIL)
    register("payee@example.com", "Payee")
    headers = bearer(login(EMAIL))
    mine = assert_success(client.get("/api/v1/accounts", headers=headers))[0]["id"]
    theirs = assert_success(
        client.get("/api/v1/accounts", headers=bearer(login("payee@example.com")))
    )[0]["id"]
    client.post(f"/api/v1/accounts/{mine}/deposits", json={"amount": 100_00}, headers=admin)
    body = {"sku": "MUG", "name": "Mug", "price": 12_50, "stock": 5}
    product = assert_success(client.post("/api/v1/products", json=body, headers=admin), 201)
    return {"headers": headers, "mine": mine, "theirs": theirs, "product": product["id"]}


def move_money(client, funded_member):
    transfer = {
        "fromAccountId": funded_member["mine"],
        "toAccountId": funded_member["theirs"],
        "amount": 10_00,
    }
    order = {
        "accountId": funded_member["mine"],
        "items": [{"productId": funded_member["product"], "quantity": 1}],
    }
    return (
        client.post("/api/v1/transfers", json=transfer, headers=funded_member["headers"]),
        client.post("/api/v1/orders", json=order, headers=funded_member["headers"]),
    )


def state(client, funded_member) -> tuple[int, int]:
    account = client.get(
        f"/api/v1/accounts/{funded_member['mine']}", headers=funded_member["headers"]
    )
    product = client.get(f"/api/v1/products/{funded_member['product']}")
    return account.get_json()["data"]["balance"], product.get_json()["data"]["stock"]


def test_required_verification_refuses_transfers_and_orders_until_verified(
    app, client, funded_member
):
    app.config["REQUIRE_VERIFIED_EMAIL"] = True
    transfer, order = move_money(client, funded_member)
    for response in (transfer, order):
        error = assert_error(response, 403, "EMAIL_NOT_VERIFIED")
        assert "Verify your email" in error["message"]
    assert state(client, funded_member) == (100_00, 5)
    assert events(app, "transfer.completed") == [] and events(app, "order.placed") == []

    client.post(VERIFY, json={"token": mailed_token(app, "verify")})
    transfer, order = move_money(client, funded_member)
    assert transfer.status_code == 201 and order.status_code == 201
    assert state(client, funded_member) == (100_00 - 10_00 - 12_50, 4)


def test_by_default_an_unverified_member_moves_money(client, funded_member):
    transfer, order = move_money(client, funded_member)
    assert transfer.status_code == 201 and order.status_code == 201
