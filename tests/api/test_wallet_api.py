"""Accounts, deposits, transfers and history through /api/v1: every rule with its status and
code, and on every refusal, no balance or row changed."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.support.envelopes import assert_error, assert_success
from webapp.infra.extensions import db
from webapp.models import Account, Event, LedgerEntry, LedgerTransaction


def main_account(client, headers) -> dict:
    return assert_success(client.get("/api/v1/accounts", headers=headers))[0]


def deposit(client, admin, account_id, amount):
    response = client.post(
        f"/api/v1/accounts/{account_id}/deposits", json={"amount": amount}, headers=admin
    )
    return assert_success(response, 201)


def balance(client, headers, account_id) -> int:
    return assert_success(client.get(f"/api/v1/accounts/{account_id}", headers=headers))["balance"]


def ledger_rows(app) -> tuple[int, int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(LedgerTransaction)),
            db.session.scalar(select(func.count()).select_from(LedgerEntry)),
            db.session.scalar(select(func.count()).select_from(Event)),
        )


@pytest.fixture
def funded(client, admin, alice, bob):
    """Alice holds 100.00, Bob 0.00, both in USD."""
    a, b = main_account(client, alice), main_account(client, bob)
    deposit(client, admin, a["id"], 100_00)
    return a["id"], b["id"]


def transfer(client, headers, body, **extra_headers):
    return client.post("/api/v1/transfers", json=body, headers={**headers, **extra_headers})


# --- Accounts ------------------------------------------------------------------------------


def test_a_new_member_has_main_and_can_open_more(client, alice):
    main = main_account(client, alice)
    assert (main["name"], main["currency"], main["balance"]) == ("Main", "USD", 0)
    opened = assert_success(
        client.post("/api/v1/accounts", json={"name": "Savings", "currency": "EUR"}, headers=alice),
        201,
    )
    assert (opened["name"], opened["currency"], opened["balance"]) == ("Savings", "EUR", 0)
    listed = assert_success(client.get("/api/v1/accounts", headers=alice))
    assert [a["name"] for a in listed] == ["Main", "Savings"]


def test_currency_defaults_to_usd(client, alice):
    opened = client.post("/api/v1/accounts", json={"name": "Spare"}, headers=alice)
    assert assert_success(opened, 201)["currency"] == "USD"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Main"}, None),
        ({"name": ""}, "name"),
        ({"name": "x" * 65}, "name"),
        ({"name": "Trip", "currency": "usd"}, "currency"),
        ({"name": "Trip", "currency": "XYZ"}, "currency"),
        ({"name": 5}, "name"),
        ({"name": "Trip", "balance": 100}, "balance"),
    ],
)
def test_opening_an_account_refuses_bad_input(client, alice, body, field):
    response = client.post("/api/v1/accounts", json=body, headers=alice)
    if field is None:
        error = assert_error(response, 409, "CONFLICT")
        assert "name" in error["details"]
    else:
        assert field in assert_error(response, 422, "VALIDATION_ERROR")["details"]
    assert len(assert_success(client.get("/api/v1/accounts", headers=alice))) == 1


def test_another_members_account_is_not_found(client, alice, bob):
    bobs = main_account(client, bob)
    assert_error(client.get(f"/api/v1/accounts/{bobs['id']}", headers=alice), 404, "NOT_FOUND")
    history = client.get(f"/api/v1/accounts/{bobs['id']}/transactions", headers=alice)
    assert_error(history, 404, "NOT_FOUND")
    assert_error(client.get("/api/v1/accounts/999999", headers=alice), 404, "NOT_FOUND")
    assert_error(client.get("/api/v1/accounts/abc", headers=alice), 404, "NOT_FOUND")


def test_an_admin_sees_any_account_and_lists_by_user(client, admin, alice):
    alices = main_account(client, alice)
    assert assert_success(client.get(f"/api/v1/accounts/{alices['id']}", headers=admin))
    listed = client.get(f"/api/v1/accounts?userId={alices['userId']}", headers=admin)
    assert [a["id"] for a in assert_success(listed)] == [alices["id"]]


def test_a_member_cannot_list_another_members_accounts(client, alice, bob):
    bobs = main_account(client, bob)
    response = client.get(f"/api/v1/accounts?userId={bobs['userId']}", headers=alice)
    assert_error(response, 403, "FORBIDDEN")


def test_accounts_need_a_token(client):
    assert_error(client.get("/api/v1/accounts"), 401, "UNAUTHORIZED")
    assert_error(client.post("/api/v1/transfers", json={}), 401, "UNAUTHORIZED")


# --- Deposits ------------------------------------------------------------------------------


def test_a_deposit_is_one_balanced_transaction(client, app, admin, alice):
    alices = main_account(client, alice)
    record = deposit(client, admin, alices["id"], 25_00)
    assert (record["type"], record["amount"], record["currency"]) == ("deposit", 25_00, "USD")
    assert sum(e["amount"] for e in record["entries"]) == 0
    credited = [e for e in record["entries"] if e["accountId"] == alices["id"]]
    assert credited == [{"accountId": alices["id"], "amount": 25_00, "balanceAfter": 25_00}]
    assert balance(client, alice, alices["id"]) == 25_00
    with app.app_context():
        event = db.session.scalars(select(Event).order_by(Event.id.desc())).first()
        assert event.type == "deposit.completed"
        assert event.subject == f"transaction:{record['id']}"


def test_only_admins_deposit(client, alice):
    alices = main_account(client, alice)
    response = client.post(
        f"/api/v1/accounts/{alices['id']}/deposits", json={"amount": 100}, headers=alice
    )
    assert_error(response, 403, "FORBIDDEN")
    assert balance(client, alice, alices["id"]) == 0


@pytest.mark.parametrize("amount", [0, -1, 10**12 + 1, "100", 1.5, True, None, 10**30])
def test_deposit_amounts_must_be_integers_in_range(client, app, admin, alice, amount):
    alices = main_account(client, alice)
    before = ledger_rows(app)
    response = client.post(
        f"/api/v1/accounts/{alices['id']}/deposits", json={"amount": amount}, headers=admin
    )
    assert "amount" in assert_error(response, 422, "VALIDATION_ERROR")["details"]
    assert balance(client, alice, alices["id"]) == 0
    assert ledger_rows(app) == before


@pytest.mark.parametrize(
    "literal", ["1.0000000000000001", "99.99999999999999999", "1e-30", "1E400", "1e999999999"]
)
def test_a_fraction_too_small_for_a_float_is_not_an_integer_amount(
    client, app, admin, alice, literal
):
    alices = main_account(client, alice)
    before = ledger_rows(app)
    response = client.post(
        f"/api/v1/accounts/{alices['id']}/deposits",
        data='{"amount": ' + literal + "}",
        content_type="application/json",
        headers=admin,
    )
    assert "amount" in assert_error(response, 422, "VALIDATION_ERROR")["details"]
    assert balance(client, alice, alices["id"]) == 0
    assert ledger_rows(app) == before


@pytest.mark.parametrize("literal", ["250.0", "2.5e2", "25000e-2"])
def test_a_whole_number_written_with_a_fraction_or_exponent_is_that_integer(
    client, admin, alice, literal
):
    alices = main_account(client, alice)
    response = client.post(
        f"/api/v1/accounts/{alices['id']}/deposits",
        data='{"amount": ' + literal + "}",
        content_type="application/json",
        headers=admin,
    )
    assert response.status_code == 201, response.get_json()
    assert balance(client, alice, alices["id"]) == 250


def test_the_largest_amount_is_accepted(client, admin, alice):
    alices = main_account(client, alice)
    deposit(client, admin, alices["id"], 10**12)
    assert balance(client, alice, alices["id"]) == 10**12


def test_system_accounts_are_not_addressable(client, app, admin, alice):
    alices = main_account(client, alice)
    record = deposit(client, admin, alices["id"], 100)
    system_id = next(e["accountId"] for e in record["entries"] if e["accountId"] != alices["id"])
    assert_error(client.get(f"/api/v1/accounts/{system_id}", headers=admin), 404, "NOT_FOUND")
    response = client.post(
        f"/api/v1/accounts/{system_id}/deposits", json={"amount": 100}, headers=admin
    )
    assert_error(response, 404, "NOT_FOUND")
    body = {"fromAccountId": alices["id"], "toAccountId": system_id, "amount": 50}
    assert_error(transfer(client, alice, body), 404, "NOT_FOUND")
    assert balance(client, alice, alices["id"]) == 100


# --- Transfers -----------------------------------------------------------------------------


def test_a_transfer_moves_exactly_the_amount(client, app, alice, bob, funded):
    a, b = funded
    body = {"fromAccountId": a, "toAccountId": b, "amount": 12_50, "memo": "Lunch"}
    record = assert_success(transfer(client, alice, body), 201)
    assert (record["type"], record["amount"], record["memo"]) == ("transfer", 12_50, "Lunch")
    assert balance(client, alice, a) == 87_50
    assert balance(client, bob, b) == 12_50
    entries = {e["accountId"]: e for e in record["entries"]}
    assert entries[a]["amount"] == -12_50 and entries[a]["balanceAfter"] == 87_50
    assert entries[b]["amount"] == 12_50 and entries[b]["balanceAfter"] == 12_50
    with app.app_context():
        event = db.session.scalars(select(Event).order_by(Event.id.desc())).first()
        assert event.type == "transfer.completed"
        assert event.data == {
            "fromAccountId": a,
            "toAccountId": b,
            "amount": 12_50,
            "currency": "USD",
        }


def test_the_whole_balance_can_be_sent(client, alice, bob, funded):
    a, b = funded
    assert transfer(client, alice, {"fromAccountId": a, "toAccountId": b, "amount": 100_00})
    assert balance(client, alice, a) == 0


def assert_refused_and_nothing_moved(client, app, alice, bob, funded, response, status, code):
    error = assert_error(response, status, code)
    a, b = funded
    assert balance(client, alice, a) == 100_00
    assert balance(client, bob, b) == 0
    return error


def test_overdraft_is_refused(client, app, alice, bob, funded):
    a, b = funded
    before = ledger_rows(app)
    response = transfer(client, alice, {"fromAccountId": a, "toAccountId": b, "amount": 100_01})
    assert_refused_and_nothing_moved(
        client, app, alice, bob, funded, response, 422, "INSUFFICIENT_FUNDS"
    )
    assert ledger_rows(app) == before


def test_self_transfer_is_refused(client, app, alice, bob, funded):
    a, _ = funded
    response = transfer(client, alice, {"fromAccountId": a, "toAccountId": a, "amount": 1})
    error = assert_refused_and_nothing_moved(
        client, app, alice, bob, funded, response, 422, "VALIDATION_ERROR"
    )
    assert "toAccountId" in error["details"]


def test_currencies_must_match(client, app, alice, bob, funded):
    a, _ = funded
    euros = assert_success(
        client.post("/api/v1/accounts", json={"name": "Euro", "currency": "EUR"}, headers=bob), 201
    )
    response = transfer(
        client, alice, {"fromAccountId": a, "toAccountId": euros["id"], "amount": 1}
    )
    assert_refused_and_nothing_moved(
        client, app, alice, bob, funded, response, 422, "CURRENCY_MISMATCH"
    )


def test_sending_from_someone_elses_account_is_not_found(client, app, alice, bob, funded):
    a, b = funded
    response = transfer(client, bob, {"fromAccountId": a, "toAccountId": b, "amount": 1})
    assert_refused_and_nothing_moved(client, app, alice, bob, funded, response, 404, "NOT_FOUND")


def test_an_admin_cannot_send_from_a_members_account_either(client, app, admin, alice, bob, funded):
    a, b = funded
    response = transfer(client, admin, {"fromAccountId": a, "toAccountId": b, "amount": 1})
    assert_refused_and_nothing_moved(client, app, alice, bob, funded, response, 404, "NOT_FOUND")


@pytest.mark.parametrize("target", ["999999", "abc", "0", "99999999999999999999", ""])
def test_an_unknown_destination_is_not_found(client, app, alice, bob, funded, target):
    a, _ = funded
    response = transfer(client, alice, {"fromAccountId": a, "toAccountId": target, "amount": 1})
    assert_refused_and_nothing_moved(client, app, alice, bob, funded, response, 404, "NOT_FOUND")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": 0}, "amount"),
        ({"amount": -5}, "amount"),
        ({"amount": 10**12 + 1}, "amount"),
        ({"amount": "100"}, "amount"),
        ({"amount": 1.5}, "amount"),
        ({"amount": True}, "amount"),
        ({"amount": None}, "amount"),
        ({"fromAccountId": 1}, "fromAccountId"),
        ({"toAccountId": None}, "toAccountId"),
        ({"memo": "m" * 256}, "memo"),
        ({"extra": 1}, "extra"),
    ],
)
def test_transfer_input_is_validated(client, app, alice, bob, funded, change, field):
    a, b = funded
    body = {"fromAccountId": a, "toAccountId": b, "amount": 100, **change}
    response = transfer(client, alice, body)
    error = assert_refused_and_nothing_moved(
        client, app, alice, bob, funded, response, 422, "VALIDATION_ERROR"
    )
    assert field in error["details"]


def test_a_unicode_memo_is_kept(client, alice, bob, funded):
    a, b = funded
    body = {"fromAccountId": a, "toAccountId": b, "amount": 1, "memo": "Café ☕ 谢谢"}
    assert assert_success(transfer(client, alice, body), 201)["memo"] == "Café ☕ 谢谢"


# --- Idempotency-Key -----------------------------------------------------------------------


def test_a_replayed_transfer_is_applied_once(client, app, alice, bob, funded):
    a, b = funded
    body = {"fromAccountId": a, "toAccountId": b, "amount": 10_00}
    first = transfer(client, alice, body, **{"Idempotency-Key": "pay-bob-1"})
    again = transfer(client, alice, body, **{"Idempotency-Key": "pay-bob-1"})
    assert first.status_code == again.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["data"] == first.get_json()["data"]
    assert again.get_json()["meta"]["requestId"] == again.headers["X-Request-ID"]
    assert balance(client, alice, a) == 90_00
    assert balance(client, bob, b) == 10_00


def test_the_same_key_with_another_body_is_refused(client, alice, bob, funded):
    a, b = funded
    transfer(
        client,
        alice,
        {"fromAccountId": a, "toAccountId": b, "amount": 10_00},
        **{"Idempotency-Key": "k"},
    )
    response = transfer(
        client,
        alice,
        {"fromAccountId": a, "toAccountId": b, "amount": 11_00},
        **{"Idempotency-Key": "k"},
    )
    assert_error(response, 422, "IDEMPOTENCY_KEY_REUSED")
    assert balance(client, alice, a) == 90_00


def test_keys_are_scoped_per_user(client, admin, alice, bob, funded):
    a, b = funded
    deposit(client, admin, b, 50_00)
    key = {"Idempotency-Key": "shared-key"}
    assert transfer(client, alice, {"fromAccountId": a, "toAccountId": b, "amount": 1}, **key)
    second = transfer(client, bob, {"fromAccountId": b, "toAccountId": a, "amount": 2}, **key)
    assert second.status_code == 201
    assert "Idempotent-Replayed" not in second.headers


def test_a_request_that_failed_is_not_stored(client, alice, bob, funded):
    a, b = funded
    key = {"Idempotency-Key": "retry-me"}
    refused = transfer(client, alice, {"fromAccountId": a, "toAccountId": b, "amount": "5"}, **key)
    assert refused.status_code == 422
    poor = transfer(client, alice, {"fromAccountId": a, "toAccountId": b, "amount": 10**9}, **key)
    assert poor.status_code == 422
    fixed = transfer(client, alice, {"fromAccountId": a, "toAccountId": b, "amount": 5}, **key)
    assert fixed.status_code == 201
    assert "Idempotent-Replayed" not in fixed.headers


def test_a_keyed_request_that_fails_validation_never_touches_the_key(
    client, app, monkeypatch, alice, bob, funded
):
    from webapp.models import IdempotencyKey
    from webapp.services.idempotency import IdempotencyService

    calls: list[str] = []
    run = IdempotencyService.run

    def spied_run(self, user_id, key, fingerprint, produce):
        calls.append(key)
        return run(self, user_id, key, fingerprint, produce)

    monkeypatch.setattr(IdempotencyService, "run", spied_run)
    a, b = funded
    key = {"Idempotency-Key": "checked-first"}
    for body in ({"fromAccountId": a, "toAccountId": b, "amount": "5"}, {"amount": 5}):
        refused = client.post("/api/v1/transfers", json=body, headers={**alice, **key})
        assert_error(refused, 422, "VALIDATION_ERROR")
    assert calls == []  # the key's lock was never taken
    with app.app_context():
        assert db.session.scalar(select(func.count(IdempotencyKey.id))) == 0
    assert balance(client, alice, a) == 100_00


@pytest.mark.parametrize("key", ["", "   ", "k" * 256, "tab\there", "ünïcode", "bell\x07"])
def test_malformed_keys_are_400(client, alice, bob, funded, key):
    a, b = funded
    response = transfer(
        client,
        alice,
        {"fromAccountId": a, "toAccountId": b, "amount": 1},
        **{"Idempotency-Key": key},
    )
    assert_error(response, 400, "BAD_REQUEST")
    assert balance(client, alice, a) == 100_00


def test_a_key_of_255_printable_characters_is_accepted(client, alice, bob, funded):
    a, b = funded
    key = ("A-z 0~" * 50)[:255]
    response = transfer(
        client,
        alice,
        {"fromAccountId": a, "toAccountId": b, "amount": 1},
        **{"Idempotency-Key": key},
    )
    assert response.status_code == 201


def test_a_key_still_in_flight_is_409(client, app, alice, bob, funded):
    from datetime import UTC, datetime, timedelta

    from webapp.api.idempotency import request_fingerprint
    from webapp.models import IdempotencyKey, User

    a, b = funded
    body = {"fromAccountId": a, "toAccountId": b, "amount": 1}
    with app.test_request_context("/api/v1/transfers", method="POST", json=body):
        fingerprint = request_fingerprint()
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == "alice@example.com"))
        # Another worker reserved this key for the same request and is still running it.
        db.session.add(
            IdempotencyKey(
                user_id=user_id,
                key="busy",
                request_fingerprint=fingerprint,
                expires_at=datetime.now(UTC) + timedelta(hours=1),
            )
        )
        db.session.commit()
    response = transfer(client, alice, body, **{"Idempotency-Key": "busy"})
    assert_error(response, 409, "CONFLICT")
    assert balance(client, alice, a) == 100_00


def test_an_expired_key_is_forgotten(client, app, alice, bob, funded):
    from datetime import UTC, datetime, timedelta

    from webapp.models import IdempotencyKey

    a, b = funded
    body = {"fromAccountId": a, "toAccountId": b, "amount": 1}
    assert transfer(client, alice, body, **{"Idempotency-Key": "old"}).status_code == 201
    with app.app_context():
        row = db.session.scalar(select(IdempotencyKey))
        row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
        db.session.commit()
    again = transfer(client, alice, body, **{"Idempotency-Key": "old"})
    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again.headers
    assert balance(client, alice, a) == 100_00 - 2


# --- History -------------------------------------------------------------------------------


def test_history_is_newest_first_with_signed_amounts(client, alice, bob, funded):
    a, b = funded
    transfer(client, alice, {"fromAccountId": a, "toAccountId": b, "amount": 30_00})
    transfer(client, bob, {"fromAccountId": b, "toAccountId": a, "amount": 5_00})
    lines = assert_success(client.get(f"/api/v1/accounts/{a}/transactions", headers=alice))
    assert [(line["type"], line["amount"], line["balanceAfter"]) for line in lines] == [
        ("transfer", 5_00, 75_00),
        ("transfer", -30_00, 70_00),
        ("deposit", 100_00, 100_00),
    ]


def test_walking_the_history_cursor_visits_every_entry_exactly_once(
    client, app, alice, bob, funded
):
    a, b = funded
    for n in range(1, 31):
        transfer(client, alice, {"fromAccountId": a, "toAccountId": b, "amount": n})
    seen: list[str] = []
    cursor = ""
    pages = 0
    while True:
        url = f"/api/v1/accounts/{a}/transactions?limit=7" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(url, headers=alice).get_json()
        pages += 1
        seen += [line["id"] for line in body["data"]]
        pagination = body["meta"]["pagination"]
        if not pagination["hasMore"]:
            break
        cursor = pagination["nextCursor"]
    assert len(seen) == len(set(seen)) == 31
    assert pages == 5
    assert [int(i) for i in seen] == sorted((int(i) for i in seen), reverse=True)


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [("cursor=garbage!", 400, "BAD_REQUEST"), ("limit=101", 422, "VALIDATION_ERROR")],
)
def test_bad_history_queries(client, alice, funded, query, status, code):
    a, _ = funded
    response = client.get(f"/api/v1/accounts/{a}/transactions?{query}", headers=alice)
    assert_error(response, status, code)


def test_history_pages_cost_the_same_statements_whatever_the_page_size(
    client, admin, alice, funded, count_statements
):
    a, _ = funded
    for _ in range(60):
        deposit(client, admin, a, 1)
    counts = []
    for limit in (1, 50):
        client.get(f"/api/v1/accounts/{a}/transactions?limit={limit}", headers=alice)  # warm
        with count_statements() as counter:
            response = client.get(f"/api/v1/accounts/{a}/transactions?limit={limit}", headers=alice)
        assert len(response.get_json()["data"]) == limit
        counts.append(counter.count)
    assert counts[0] == counts[1]


def test_history_lines_name_the_other_member_of_a_transfer_on_both_sides(
    client, admin, alice, bob, funded
):
    a, b = funded
    transfer(client, alice, {"fromAccountId": a, "toAccountId": b, "amount": 30_00})
    alice_lines = assert_success(client.get(f"/api/v1/accounts/{a}/transactions", headers=alice))
    bob_lines = assert_success(client.get(f"/api/v1/accounts/{b}/transactions", headers=bob))
    assert [(line["type"], line["counterparty"]) for line in alice_lines] == [
        ("transfer", {"name": "Bob", "email": "bob@example.com"}),
        ("deposit", None),
    ]
    assert [(line["type"], line["counterparty"]) for line in bob_lines] == [
        ("transfer", {"name": "Alice", "email": "alice@example.com"}),
    ]
    # An admin reading Bob's history sees the same line.
    assert assert_success(client.get(f"/api/v1/accounts/{b}/transactions", headers=admin)) == (
        bob_lines
    )


def test_an_order_payment_and_its_refund_have_no_counterparty(client, admin, alice, funded):
    a, _ = funded
    body = {"sku": "MUG", "name": "Mug", "price": 4_00, "stock": 5}
    product = assert_success(client.post("/api/v1/products", json=body, headers=admin), 201)
    order_body = {"accountId": a, "items": [{"productId": product["id"], "quantity": 1}]}
    order = assert_success(client.post("/api/v1/orders", json=order_body, headers=alice), 201)
    client.post(f"/api/v1/orders/{order['id']}/cancel", headers=alice)
    lines = assert_success(client.get(f"/api/v1/accounts/{a}/transactions", headers=alice))
    assert [(line["type"], line["counterparty"]) for line in lines] == [
        ("refund", None),
        ("order_payment", None),
        ("deposit", None),
    ]


def test_history_counterparties_cost_the_same_statements_whatever_the_page_size(
    client, admin, alice, bob, funded, count_statements
):
    a, b = funded
    deposit(client, admin, b, 100_00)
    for n in range(1, 41):
        sender, source, target = (alice, a, b) if n % 2 else (bob, b, a)
        body = {"fromAccountId": source, "toAccountId": target, "amount": n}
        assert_success(transfer(client, sender, body), 201)
    counts = []
    for limit in (2, 40):
        client.get(f"/api/v1/accounts/{a}/transactions?limit={limit}", headers=alice)  # warm
        with count_statements() as counter:
            response = client.get(f"/api/v1/accounts/{a}/transactions?limit={limit}", headers=alice)
        lines = response.get_json()["data"]
        assert len(lines) == limit
        assert {line["counterparty"]["email"] for line in lines} == {"bob@example.com"}
        counts.append(counter.count)
    assert counts[0] == counts[1]


def test_no_balance_ever_disagrees_with_the_ledger(client, app, runner, alice, bob, funded):
    a, b = funded
    transfer(client, alice, {"fromAccountId": a, "toAccountId": b, "amount": 33})
    transfer(client, alice, {"fromAccountId": a, "toAccountId": b, "amount": 10**9})
    result = runner.invoke(args=["verify-ledger"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert (
            db.session.scalar(select(func.min(Account.balance)).where(Account.kind == "member"))
            >= 0
        )
