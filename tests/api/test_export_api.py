"""GET /api/v1/users/me/export: everything held about the caller as one JSON file, outside
the envelope, streamed in chunks; never a secret, never another member's data; a login
session only."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select

from tests.support.access_tokens import make_token, pat
from tests.support.clients import bearer
from tests.support.envelopes import assert_error, assert_success
from tests.support.ledger_data import build_history
from tests.support.mfa import fixed_clock, turn_on_api
from webapp.infra.extensions import db
from webapp.models import Event, PersonalAccessToken, RecoveryCode, User

EXPORT = "/api/v1/users/me/export"
SECTIONS = [
    "user",
    "accounts",
    "transactions",
    "orders",
    "paymentRequests",
    "sessions",
    "personalAccessTokens",
    "webhooks",
    "events",
]
STRANGER_MEMO = "Carol's own business"


def exported(client, headers) -> tuple[Any, str]:
    """The parsed document and its text, after checking the download's headers."""
    response = client.get(EXPORT, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.is_streamed
    assert response.headers["Content-Type"] == "application/json"
    me = assert_success(client.get("/api/v1/users/me", headers=headers))
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="tally-export-{me["id"]}.json"'
    )
    text = response.get_data(as_text=True)
    return json.loads(text), text


def accounts_of(client, headers) -> list[dict]:
    return assert_success(client.get("/api/v1/accounts", headers=headers))


def post(client, headers, path, body=None, status=201) -> Any:
    return assert_success(client.post(f"/api/v1{path}", json=body, headers=headers), status)


def transfer(client, headers, source, target, amount, memo=None) -> dict:
    body = {"fromAccountId": source, "toAccountId": target, "amount": amount, "memo": memo}
    return post(client, headers, "/transfers", body)


@pytest.fixture
def clock(monkeypatch):
    return fixed_clock(monkeypatch)


@pytest.fixture
def busy(client, app, admin, alice, bob, register, login, clock) -> dict[str, Any]:
    """Alice: two accounts, a deposit, transfers both ways, an order and a cancelled one,
    payment requests both ways, two sessions (one logged out), a token, a second factor.
    Carol, a stranger, has her own account and memo."""
    second = login("alice@example.com")
    logout = {"refreshToken": second["refreshToken"]}
    assert client.post("/api/v1/auth/logout", json=logout).status_code == 204
    savings = post(client, alice, "/accounts", {"name": "Savings"})
    main = accounts_of(client, alice)[0]["id"]
    bob_main = accounts_of(client, bob)[0]["id"]
    post(client, admin, f"/accounts/{main}/deposits", {"amount": 100_00, "memo": "Salary"})
    transfer(client, alice, main, bob_main, 12_50, "Lunch")
    transfer(client, bob, bob_main, main, 2_05, "Coffee")
    transfer(client, alice, main, savings["id"], 10_00, "Put aside")
    mug = post(client, admin, "/products", {"sku": "MUG", "name": "Mug", "price": 5_00, "stock": 9})
    items = [{"productId": mug["id"], "quantity": 2}]
    post(client, alice, "/orders", {"accountId": main, "items": items})
    cancelled = post(client, alice, "/orders", {"accountId": main, "items": items})
    post(client, alice, f"/orders/{cancelled['id']}/cancel", status=200)
    post(client, alice, "/payment-requests", {"payerEmail": "bob@example.com", "amount": 3_00})
    post(client, bob, "/payment-requests", {"payerEmail": "alice@example.com", "amount": 4_00})
    token = make_token(client, alice, name="nightly")
    factor = turn_on_api(client, alice, clock)
    register("carol@example.com", "Carol")
    carol = bearer(login("carol@example.com"))
    carol_main = accounts_of(client, carol)[0]["id"]
    post(client, admin, f"/accounts/{carol_main}/deposits", {"amount": 7_00, "memo": STRANGER_MEMO})
    return {
        "main": main,
        "savings": savings["id"],
        "token": token,
        "factor": factor,
        "carol_main": carol_main,
    }


def test_the_export_holds_every_section_of_the_members_data(client, alice, busy):
    document, _ = exported(client, alice)
    assert list(document) == SECTIONS
    me = assert_success(client.get("/api/v1/users/me", headers=alice))
    user = document["user"]
    assert {k: user[k] for k in me} == me
    assert user["mfaEnabled"] is True and user["mfaEnabledAt"]
    assert document["accounts"] == [
        {k: a[k] for k in document["accounts"][0]} for a in accounts_of(client, alice)
    ]
    assert document["webhooks"] == []


def test_the_lines_are_every_history_line_of_every_account(client, alice, busy):
    document, _ = exported(client, alice)
    history = []
    for account_id in (busy["main"], busy["savings"]):
        lines = assert_success(
            client.get(f"/api/v1/accounts/{account_id}/transactions?limit=100", headers=alice)
        )
        history += [{**line, "accountId": account_id} for line in lines]
    assert document["transactions"] == sorted(history, key=lambda line: int(line["id"]))
    received = next(n for n in document["transactions"] if n["memo"] == "Coffee")
    assert received["counterparty"] == {"name": "Bob", "email": "bob@example.com"}
    assert received["amount"] == 2_05


def test_orders_requests_sessions_tokens_and_events_are_the_members(client, alice, busy):
    document, _ = exported(client, alice)
    orders = document["orders"]
    assert [o["status"] for o in orders] == ["paid", "cancelled"]
    assert orders[0]["items"] == [
        {
            "productId": orders[0]["items"][0]["productId"],
            "sku": "MUG",
            "name": "Mug",
            "quantity": 2,
            "unitPrice": 5_00,
            "lineTotal": 10_00,
        }
    ]
    requests = document["paymentRequests"]
    assert [(r["direction"], r["amount"]) for r in requests] == [
        ("outgoing", 3_00),
        ("incoming", 4_00),
    ]
    assert requests[0]["accountId"] == busy["main"] and requests[1]["accountId"] is None
    assert requests[1]["requester"]["email"] == "bob@example.com"
    sessions = document["sessions"]
    assert len(sessions) == 2 and {s["kind"] for s in sessions} == {"api"}
    assert [s["revoked"] for s in sessions] == [False, True]
    (token,) = document["personalAccessTokens"]
    assert token["name"] == "nightly" and token["scopes"] == ["read"]
    dates = {"createdAt", "expiresAt", "lastUsedAt", "revokedAt"}
    assert set(token) == {"id", "name", "scopes"} | dates
    user_id = document["user"]["id"]
    events = document["events"]
    assert {"user.created", "transfer.completed", "order.placed"} <= {e["type"] for e in events}
    assert all(e["subject"] == f"user:{user_id}" or e["actorId"] == user_id for e in events)
    assert [e["id"] for e in events] == sorted((e["id"] for e in events), key=int)


def account_ids_in(value: Any) -> set[str]:
    """Every value the document holds under a key naming an account id."""
    if isinstance(value, list):
        return set().union(*(account_ids_in(item) for item in value))
    if not isinstance(value, dict):
        return set()
    named = {v for k, v in value.items() if k.lower().endswith("accountid")}
    return named.union(*(account_ids_in(item) for item in value.values()))


def test_no_secret_and_no_strangers_data_is_ever_in_the_export(client, app, alice, busy):
    document, text = exported(client, alice)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "alice@example.com"))
        hashes = list(db.session.scalars(select(RecoveryCode.code_hash)))
        hashes += list(db.session.scalars(select(PersonalAccessToken.token_hash)))
        secrets = [user.password_hash, user.totp_secret, *hashes]
    secrets += [busy["token"]["token"], busy["factor"]["secret"], *busy["factor"]["recoveryCodes"]]
    assert "$argon2" not in text and "tly_" not in text
    for secret in secrets:
        assert secret and secret not in text
    assert "carol@example.com" not in text and STRANGER_MEMO not in text
    held = account_ids_in(document) | {a["id"] for a in document["accounts"]}
    assert busy["main"] in held and busy["carol_main"] not in held


def test_a_personal_access_token_may_not_export_and_nobody_without_a_token(client, alice):
    token = make_token(client, alice, scopes=("read", "write"))
    assert_error(client.get(EXPORT, headers=pat(token)), 403, "INSUFFICIENT_SCOPE")
    assert_error(client.get(EXPORT), 401, "UNAUTHORIZED")


def grow(app, user_email: str, account_id: str, lines: int) -> None:
    """`lines` more deposits on the account and as many events done by the member."""
    with app.app_context():
        build_history(int(account_id), lines)
        user_id = db.session.scalar(select(User.id).where(User.email == user_email))
        at = datetime.now(UTC) - timedelta(minutes=1)
        event = {"type": "test.done", "actor_id": user_id, "subject": "x:1", "data": {}}
        rows = [{**event, "created_at": at} for _ in range(lines)]
        db.session.execute(insert(Event), rows)
        db.session.commit()


def test_the_statements_run_are_the_same_for_a_short_and_a_long_history(
    client, app, alice, count_statements
):
    main = accounts_of(client, alice)[0]["id"]
    grow(app, "alice@example.com", main, 5)
    exported(client, alice)  # warm: the caller's cached record
    with count_statements() as short:
        client.get(EXPORT, headers=alice).get_data()
    grow(app, "alice@example.com", main, 55)
    with count_statements() as long:
        document = json.loads(client.get(EXPORT, headers=alice).get_data())
    assert len(document["transactions"]) == 60 and len(document["events"]) >= 60
    assert long.count == short.count


def test_chunks_join_into_the_same_document(client, app, alice, busy, monkeypatch):
    whole, _ = exported(client, alice)
    monkeypatch.setattr("webapp.services.users.export.EXPORT_CHUNK", 2)
    chunked, _ = exported(client, alice)
    assert chunked == whole


def test_the_openapi_document_lists_the_download_as_a_json_object(client):
    document = client.get("/api/v1/openapi.json").get_json()
    answer = document["paths"]["/users/me/export"]["get"]["responses"]["200"]
    schema = answer["content"]["application/json"]["schema"]
    assert schema["type"] == "object" and schema["required"] == SECTIONS
    assert "Content-Disposition" in answer["headers"]
