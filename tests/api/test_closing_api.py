"""Closing an account through POST /api/v1/users/me/close: the refusals (money left, the last
admin, a wrong password, a stale login, a personal access token), and what holds after it:
every credential refused at once, the personal data erased, the money history untouched and
still verified, the email free for a new member, and no admin able to reopen it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.support.access_tokens import make_token, pat
from tests.support.audit_log import events
from tests.support.clients import PASSWORD, bearer
from tests.support.envelopes import assert_error, assert_success
from tests.support.mfa import Clock, fixed_clock, turn_on_api
from tests.support.pages import browser
from tests.support.step_up import age_logins
from webapp.core.passwords import passwords
from webapp.infra.extensions import db
from webapp.models import (
    CartItem,
    LedgerEntry,
    LedgerTransaction,
    Order,
    OrderItem,
    PaymentRequest,
    RecoveryCode,
    User,
)

CLOSE = "/api/v1/users/me/close"
ALICE = "alice@example.com"


@pytest.fixture
def clock(monkeypatch) -> Clock:
    return fixed_clock(monkeypatch)


def close(client, headers, password=PASSWORD):
    return client.post(CLOSE, json={"password": password}, headers=headers)


def main_account(client, headers) -> int:
    return assert_success(client.get("/api/v1/accounts", headers=headers))[0]["id"]


def deposit(client, admin, account_id, amount) -> None:
    response = client.post(
        f"/api/v1/accounts/{account_id}/deposits", json={"amount": amount}, headers=admin
    )
    assert_success(response, 201)


def user_row(app, email_or_id: str | int) -> User:
    with app.app_context():
        column = User.id if isinstance(email_or_id, int) else User.email
        user = db.session.scalar(select(User).where(column == email_or_id))
        db.session.expunge_all()
        return user


def rows(app, *models) -> list[tuple[Any, ...]]:
    """Every row of these tables, every column: what must not change."""
    with app.app_context():
        found = []
        for model in models:
            columns = [getattr(model, c.key) for c in model.__table__.columns]
            found.append(sorted(db.session.execute(select(*columns)).all()))
        return found


def test_refused_while_accounts_hold_money_naming_them(app, client, admin, alice):
    main = main_account(client, alice)
    savings = assert_success(
        client.post("/api/v1/accounts", json={"name": "Savings"}, headers=alice), 201
    )["id"]
    client.post("/api/v1/accounts", json={"name": "Empty"}, headers=alice)
    deposit(client, admin, main, 5_00)
    deposit(client, admin, savings, 1)
    error = assert_error(close(client, alice), 409, "ACCOUNT_NOT_EMPTY")
    assert error["details"] == {"accounts": f"{main}, {savings}"}
    assert "Move the money out" in error["message"]
    assert user_row(app, ALICE).closed_at is None
    assert_success(client.get("/api/v1/users/me", headers=alice))
    assert events(app, "user.closed") == []


def test_the_last_active_admin_cannot_close_theirs(app, client, admin, make_admin, login):
    assert_error(close(client, admin), 409, "CONFLICT")
    assert user_row(app, "admin@example.com").is_active
    make_admin("second@example.com", "Second")
    assert close(client, admin).status_code == 204  # another admin remains
    second = bearer(login("second@example.com"))
    assert_error(close(client, second), 409, "CONFLICT")


def test_a_wrong_password_is_422_and_changes_nothing(app, client, alice):
    before = rows(app, User)
    error = assert_error(close(client, alice, "not the password"), 422, "VALIDATION_ERROR")
    assert list(error["details"]) == ["password"]
    assert rows(app, User) == before
    assert_success(client.get("/api/v1/users/me", headers=alice))


def test_a_stale_login_is_401_reauthentication_required(app, client, alice):
    age_logins(app)
    assert_error(close(client, alice), 401, "REAUTHENTICATION_REQUIRED")
    assert user_row(app, ALICE).is_active


def test_a_personal_access_token_may_not_close(app, client, alice):
    writer = pat(make_token(client, alice, scopes=("read", "write")))
    assert_error(close(client, writer), 403, "INSUFFICIENT_SCOPE")
    assert user_row(app, ALICE).is_active


def test_wrong_passwords_count_in_the_current_password_limit(client, alice):
    statuses = [close(client, alice, f"guess {n}").status_code for n in range(11)]
    assert statuses == [422] * 10 + [429]


@pytest.fixture
def history(client, admin, alice, bob) -> dict[str, Any]:
    """Alice bought a mug and sent Bob the rest of a deposit: her accounts are empty, and the
    ledger and an order name her."""
    main = main_account(client, alice)
    deposit(client, admin, main, 20_00)
    product = {"sku": "MUG", "name": "Mug", "price": 12_50, "stock": 5}
    mug = assert_success(client.post("/api/v1/products", json=product, headers=admin), 201)
    order = {"accountId": main, "items": [{"productId": mug["id"], "quantity": 1}]}
    assert_success(client.post("/api/v1/orders", json=order, headers=alice), 201)
    to_bob = {"fromAccountId": main, "toAccountId": main_account(client, bob), "amount": 7_50}
    assert_success(client.post("/api/v1/transfers", json=to_bob, headers=alice), 201)
    return {"product_id": mug["id"]}


def test_closing_erases_the_member_and_ends_every_credential_at_once(
    app, client, runner, login, alice, bob, history, clock: Clock
):
    alice_id = user_row(app, ALICE).id
    pair = login(ALICE)
    old_access = bearer(pair)
    token = pat(make_token(client, alice, scopes=("read", "write")))
    page = browser(app, ALICE)
    assert page.get("/settings").status_code == 200
    turn_on_api(client, alice, clock)
    with app.app_context():
        db.session.add(CartItem(user_id=alice_id, product_id=history["product_id"], quantity=1))
        db.session.commit()
    asked_by_alice = {"payerEmail": "bob@example.com", "amount": 1_00}
    mine = assert_success(
        client.post("/api/v1/payment-requests", json=asked_by_alice, headers=alice), 201
    )
    asked_of_alice = {"payerEmail": ALICE, "amount": 2_00}
    theirs = assert_success(
        client.post("/api/v1/payment-requests", json=asked_of_alice, headers=bob), 201
    )
    # Every credential is warm in the caches before the close.
    for headers in (alice, old_access, token):
        assert_success(client.get("/api/v1/users/me", headers=headers))
    money = rows(app, LedgerTransaction, LedgerEntry, Order, OrderItem)

    response = close(client, alice)
    assert response.status_code == 204, response.get_json()

    for headers in (alice, old_access, token):
        assert_error(client.get("/api/v1/users/me", headers=headers), 401, "UNAUTHORIZED")
    refreshed = client.post("/api/v1/auth/refresh", json={"refreshToken": pair["refreshToken"]})
    assert refreshed.status_code == 401
    again = client.post("/api/v1/auth/login", json={"email": ALICE, "password": PASSWORD})
    assert again.status_code == 401
    assert page.get("/settings").headers["Location"].startswith("/login")

    user = user_row(app, alice_id)
    assert (user.email, user.name) == (f"closed-{alice_id}@closed.invalid", "Closed account")
    assert not user.is_active and user.closed_at is not None
    assert user.totp_secret is None and not user.mfa_enabled
    assert not user.password_hash.startswith("$argon2")
    assert not passwords.verify(user.password_hash, PASSWORD)
    assert not user.notify_money_received and user.email_verified_at is None
    assert ALICE not in user.email_skeleton
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RecoveryCode)) == 0
        assert db.session.scalar(select(func.count()).select_from(CartItem)) == 0
        statuses = dict(db.session.execute(select(PaymentRequest.id, PaymentRequest.status)).all())
    assert statuses == {int(mine["id"]): "cancelled", int(theirs["id"]): "declined"}

    assert rows(app, LedgerTransaction, LedgerEntry, Order, OrderItem) == money
    verified = runner.invoke(args=["verify-ledger"])
    assert verified.exit_code == 0, verified.output

    [closed] = events(app, "user.closed")
    assert (closed.subject, closed.actor_id) == (f"user:{alice_id}", alice_id)
    assert closed.data == {
        "requestsCancelled": 1,
        "requestsDeclined": 1,
        "sessionsEnded": 3,
        "tokensRevoked": 1,
    }


def test_the_email_registers_again_as_a_new_member(app, client, register, alice):
    old_id = user_row(app, ALICE).id
    assert close(client, alice).status_code == 204
    new = register(ALICE, "Alice again")
    assert int(new["id"]) != old_id
    again = client.post("/api/v1/auth/login", json={"email": ALICE, "password": PASSWORD})
    assert assert_success(again)["accessToken"]
    assert user_row(app, ALICE).closed_at is None


def test_no_admin_can_reactivate_or_change_a_closed_account(app, client, admin, alice):
    alice_id = user_row(app, ALICE).id
    assert close(client, alice).status_code == 204
    url = f"/api/v1/users/{alice_id}"
    error = assert_error(client.patch(url, json={"isActive": True}, headers=admin), 409, "CONFLICT")
    assert list(error["details"]) == ["isActive"]
    renamed = client.patch(url, json={"name": "Alice"}, headers=admin)
    assert list(assert_error(renamed, 409, "CONFLICT")["details"]) == ["name"]
    assert not user_row(app, alice_id).is_active
    shown = assert_success(client.get(url, headers=admin))
    assert (shown["isActive"], shown["name"]) == (False, "Closed account")
    assert shown["closedAt"] is not None


def test_the_openapi_document_lists_it_with_its_refusals(client):
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/users/me/close"]["post"]
    assert {"204", "401", "403", "409", "422", "429"} <= set(operation["responses"])
    assert "ACCOUNT_NOT_EMPTY" in json.dumps(document)


def test_no_money_goes_into_a_closed_account(app, client, admin, alice, bob):
    closed_main, bobs = main_account(client, alice), main_account(client, bob)
    deposit(client, admin, bobs, 5_00)
    assert close(client, alice).status_code == 204
    send = {"fromAccountId": bobs, "toAccountId": closed_main, "amount": 1_00}
    error = assert_error(client.post("/api/v1/transfers", json=send, headers=bob), 404, "NOT_FOUND")
    assert list(error["details"]) == ["toAccountId"]
    refused = client.post(
        f"/api/v1/accounts/{closed_main}/deposits", json={"amount": 1_00}, headers=admin
    )
    assert_error(refused, 404, "NOT_FOUND")
    assert assert_success(client.get(f"/api/v1/accounts/{bobs}", headers=bob))["balance"] == 5_00
