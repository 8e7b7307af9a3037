"""/api/v1/payment-requests: asking another member for money, and the three answers.

Paying is a transfer through the same service: money moves once, the request becomes
`paid` in the same transaction, and both lines name the other member. Everyone but the
payer (pay, decline) or the requester (cancel) gets a 404; a request no longer pending is
a 409; a member may have 20 pending requests at once; after 30 days a request expires.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from tests.support.access_tokens import make_token, pat
from tests.support.audit_log import events
from tests.support.clients import PASSWORD, bearer
from tests.support.envelopes import assert_error, assert_success
from tests.support.mfa import sent_mails
from tests.support.smtp_server import (  # noqa: F401  (the *_fixture are fixtures, registered by name)
    PUBLIC_URL,
    make_smtp_app_fixture,
    smtp_app_fixture,
    smtp_server_fixture,
    text_of,
)
from webapp.infra.extensions import db
from webapp.models import LedgerTransaction, PaymentRequest
from webapp.models.base import utcnow
from webapp.services.payment_requests import MAX_PENDING

REQUESTS = "/api/v1/payment-requests"
ALICE, BOB, CAROL = "alice@example.com", "bob@example.com", "carol@example.com"
ASKED = "A member asks you for money on Tally"


def accounts(client, headers) -> list[dict]:
    return assert_success(client.get("/api/v1/accounts", headers=headers))


def main_account(client, headers) -> str:
    return accounts(client, headers)[0]["id"]


def balance(client, headers, account_id) -> int:
    return assert_success(client.get(f"/api/v1/accounts/{account_id}", headers=headers))["balance"]


def ask(client, headers, payer=BOB, amount=12_50, **fields):
    return client.post(
        REQUESTS, json={"payerEmail": payer, "amount": amount, **fields}, headers=headers
    )


def asked(client, headers, **fields) -> dict:
    return assert_success(ask(client, headers, **fields), 201)


def pay(client, headers, request_id, from_account_id, **extra_headers):
    return client.post(
        f"{REQUESTS}/{request_id}/pay",
        json={"fromAccountId": from_account_id},
        headers={**headers, **extra_headers},
    )


def listed(client, headers, query="") -> list[dict]:
    return assert_success(client.get(f"{REQUESTS}{query}", headers=headers))


def row_count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def age(app, request_id: str, by: timedelta) -> None:
    """Move a request's expiry `by` into the past, as if that time had gone by."""
    with app.app_context():
        db.session.execute(
            update(PaymentRequest)
            .where(PaymentRequest.id == int(request_id))
            .values(expires_at=utcnow() - by)
        )
        db.session.commit()


@pytest.fixture
def carol(register, login):
    register(CAROL, "Carol")
    return bearer(login(CAROL))


@pytest.fixture
def bob_funded(client, admin, bob) -> str:
    """Bob's Main holds 50.00 USD; its id."""
    account = main_account(client, bob)
    response = client.post(
        f"/api/v1/accounts/{account}/deposits", json={"amount": 50_00}, headers=admin
    )
    assert response.status_code == 201
    return account


# --- asking -------------------------------------------------------------------------------


def test_asking_answers_the_request_with_both_members_and_the_main_account(app, client, alice, bob):
    request = asked(client, alice, memo="Lunch")
    assert set(request) == {
        "id", "requester", "payer", "accountId", "amount", "currency", "memo", "status",
        "createdAt", "expiresAt",
    }  # fmt: skip
    assert request["requester"]["name"] == "Alice"
    assert request["requester"]["email"] == ALICE
    assert request["payer"] == {"id": request["payer"]["id"], "name": "Bob", "email": BOB}
    assert request["accountId"] == main_account(client, alice)
    assert (request["amount"], request["currency"], request["memo"]) == (12_50, "USD", "Lunch")
    assert request["status"] == "pending"
    assert isinstance(request["id"], str) and isinstance(request["payer"]["id"], str)
    (event,) = events(app, "payment_request.created")
    assert event.subject == f"payment_request:{request['id']}"


def test_a_request_expires_thirty_days_after_it_was_made(client, alice, bob):
    request = asked(client, alice)
    made = datetime.fromisoformat(request["createdAt"])
    assert datetime.fromisoformat(request["expiresAt"]) - made == timedelta(days=30)


def test_the_money_may_go_to_another_of_ones_accounts_in_its_currency(client, alice, bob):
    euros = client.post(
        "/api/v1/accounts", json={"name": "Euros", "currency": "EUR"}, headers=alice
    )
    account = assert_success(euros, 201)["id"]
    request = asked(client, alice, accountId=account)
    assert (request["accountId"], request["currency"]) == (account, "EUR")


def test_the_payer_email_is_read_in_any_case_and_spacing(client, alice, bob):
    assert asked(client, alice, payer="  BOB@Example.com ")["payer"]["email"] == BOB


@pytest.mark.parametrize(
    "payer", ["nobody@example.com", ALICE, "not an email", "", "ünïcødé@例え.jp"], ids=repr
)
def test_an_unknown_payer_or_oneself_is_422_naming_payer_email(app, client, alice, bob, payer):
    error = assert_error(ask(client, alice, payer=payer), 422, "VALIDATION_ERROR")
    assert set(error["details"]) == {"payerEmail"}
    assert row_count(app, PaymentRequest) == 0
    assert sent_mails(app) == [] or all(m.subject != ASKED for m in sent_mails(app))


def test_a_deactivated_member_cannot_be_asked(app, client, admin, alice, bob):
    bob_id = assert_success(client.get("/api/v1/users/me", headers=bob))["id"]
    response = client.patch(f"/api/v1/users/{bob_id}", json={"isActive": False}, headers=admin)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert set(assert_error(ask(client, alice), 422, "VALIDATION_ERROR")["details"]) == {
        "payerEmail"
    }


@pytest.mark.parametrize("amount", ["100", 1.5, True, None, 0, -5, 10**20])
def test_the_amount_is_a_positive_json_integer(app, client, alice, bob, amount):
    error = assert_error(ask(client, alice, amount=amount), 422, "VALIDATION_ERROR")
    assert "amount" in error["details"]
    assert row_count(app, PaymentRequest) == 0


def test_missing_fields_unknown_fields_and_a_long_memo_are_422(client, alice, bob):
    missing = client.post(REQUESTS, json={"amount": 100}, headers=alice)
    assert "payerEmail" in assert_error(missing, 422, "VALIDATION_ERROR")["details"]
    extra = ask(client, alice, status="paid")
    assert assert_error(extra, 422, "VALIDATION_ERROR")["details"]
    long = ask(client, alice, memo="x" * 256)
    assert "memo" in assert_error(long, 422, "VALIDATION_ERROR")["details"]


def test_another_members_account_or_an_unknown_one_is_404(app, client, alice, bob):
    for account in (main_account(client, bob), "999999", "abc"):
        error = assert_error(ask(client, alice, accountId=account), 404, "NOT_FOUND")
        assert "accountId" in error["details"]
    assert row_count(app, PaymentRequest) == 0


def test_the_21st_pending_request_is_409_and_answering_one_makes_room(
    app, client, alice, bob, carol
):
    made = [asked(client, alice, amount=100 + n) for n in range(MAX_PENDING)]
    assert_error(ask(client, alice), 409, "CONFLICT")
    assert_error(ask(client, alice, payer=CAROL), 409, "CONFLICT")
    assert row_count(app, PaymentRequest) == MAX_PENDING
    # Requests others make of Alice do not count, nor do answered or expired ones.
    assert_success(ask(client, bob, payer=ALICE), 201)
    assert_success(client.post(f"{REQUESTS}/{made[0]['id']}/cancel", headers=alice))
    asked(client, alice)
    assert_error(ask(client, alice), 409, "CONFLICT")
    age(app, made[1]["id"], timedelta(seconds=1))
    asked(client, alice)


def test_the_payer_is_mailed_who_asks_for_how_much(app, client, alice, bob):
    asked(client, alice, memo="Concert tickets")
    (mail,) = [m for m in sent_mails(app) if m.subject == ASKED]
    assert mail.to == [BOB]
    assert "Hello Bob," in mail.body
    assert "Alice (alice@example.com) asks you for 12.50 USD." in mail.body
    assert "Memo: Concert tickets" in mail.body
    assert "/requests" in mail.body


def test_the_payers_mail_arrives_through_smtp(smtp_app, smtp_server):
    client = smtp_app.test_client()
    for email, name in ((ALICE, "Alice Asker"), (BOB, "Bob Payer")):
        body = {"email": email, "password": PASSWORD, "name": name}
        assert client.post("/api/v1/auth/register", json=body).status_code == 201
    login = client.post("/api/v1/auth/login", json={"email": ALICE, "password": PASSWORD})
    alice = bearer(login.get_json()["data"])
    asked(client, alice, amount=7_05, memo="Rent share")
    (mail,) = smtp_server.wait_for(1, to=BOB, subject=ASKED)
    text = text_of(mail)
    assert "Alice Asker (alice@example.com) asks you for 7.05 USD." in text
    assert "Memo: Rent share" in text
    assert f"{PUBLIC_URL}/requests" in text
    assert smtp_server.received(to=ALICE, subject=ASKED) == []


# --- listing ------------------------------------------------------------------------------


def test_each_side_lists_the_request_in_its_direction(client, alice, bob, carol):
    mine = asked(client, alice)
    theirs = asked(client, bob, payer=ALICE)
    asked(client, bob, payer=CAROL)  # neither Alice's nor about her
    assert [r["id"] for r in listed(client, alice)] == [theirs["id"], mine["id"]]
    assert [r["id"] for r in listed(client, alice, "?direction=outgoing")] == [mine["id"]]
    assert [r["id"] for r in listed(client, alice, "?direction=incoming")] == [theirs["id"]]
    assert [r["id"] for r in listed(client, bob, "?direction=incoming")] == [mine["id"]]
    assert listed(client, carol, "?direction=outgoing") == []


def test_the_status_filter_and_the_expired_status(app, client, alice, bob, bob_funded):
    paid, declined, cancelled, lapsed, waiting = (asked(client, alice) for _ in range(5))
    assert_success(pay(client, bob, paid["id"], bob_funded), 201)
    assert_success(client.post(f"{REQUESTS}/{declined['id']}/decline", headers=bob))
    assert_success(client.post(f"{REQUESTS}/{cancelled['id']}/cancel", headers=alice))
    age(app, lapsed["id"], timedelta(minutes=1))
    statuses = {r["id"]: r["status"] for r in listed(client, alice)}
    assert statuses == {
        paid["id"]: "paid",
        declined["id"]: "declined",
        cancelled["id"]: "cancelled",
        lapsed["id"]: "expired",
        waiting["id"]: "pending",
    }
    for status, request in (("paid", paid), ("expired", lapsed), ("pending", waiting)):
        assert [r["id"] for r in listed(client, bob, f"?status={status}")] == [request["id"]]


@pytest.mark.parametrize("query", ["?direction=sideways", "?status=open", "?limit=0", "?limit=101"])
def test_a_malformed_filter_is_422(client, alice, query):
    assert_error(client.get(f"{REQUESTS}{query}", headers=alice), 422, "VALIDATION_ERROR")


def test_a_malformed_cursor_is_400(client, alice):
    assert_error(client.get(f"{REQUESTS}?cursor=@@@", headers=alice), 400, "BAD_REQUEST")


def test_paging_visits_every_request_once_newest_first(client, alice, bob):
    made = [asked(client, alice, amount=100 + n)["id"] for n in range(7)]
    seen, cursor = [], ""
    while True:
        body = client.get(f"{REQUESTS}?limit=3&cursor={cursor}", headers=bob).get_json()
        seen += [r["id"] for r in body["data"]]
        cursor = body["meta"]["pagination"]["nextCursor"]
        if not body["meta"]["pagination"]["hasMore"]:
            break
    assert seen == made[::-1]


def test_the_list_runs_the_same_statements_for_one_request_or_twenty(
    client, alice, bob, count_statements
):
    asked(client, alice)
    listed(client, bob)  # warm: the caller's cached record
    with count_statements() as one:
        listed(client, bob)
    for n in range(19):
        asked(client, alice, amount=200 + n)
    with count_statements() as twenty:
        assert len(listed(client, bob)) == 20
    assert twenty.count == one.count


def test_an_admin_lists_any_members_requests_and_a_member_may_not(client, admin, alice, bob):
    request = asked(client, alice)
    bob_id = request["payer"]["id"]
    assert [r["id"] for r in listed(client, admin, f"?userId={bob_id}")] == [request["id"]]
    assert listed(client, admin) == []  # the admin's own: none
    assert_error(client.get(f"{REQUESTS}?userId={bob_id}", headers=alice), 403, "FORBIDDEN")


# --- paying -------------------------------------------------------------------------------


def test_paying_moves_the_money_once_and_both_lines_name_the_other(
    app, client, alice, bob, bob_funded
):
    request = asked(client, alice, memo="Lunch")
    alice_main = request["accountId"]
    transaction = assert_success(pay(client, bob, request["id"], bob_funded), 201)
    assert (transaction["type"], transaction["amount"], transaction["memo"]) == (
        "transfer",
        12_50,
        "Lunch",
    )
    assert {e["accountId"]: e["amount"] for e in transaction["entries"]} == {
        bob_funded: -12_50,
        alice_main: 12_50,
    }
    assert balance(client, bob, bob_funded) == 37_50
    assert balance(client, alice, alice_main) == 12_50
    assert listed(client, alice)[0]["status"] == "paid"
    (bob_line,) = assert_success(
        client.get(f"/api/v1/accounts/{bob_funded}/transactions?type=transfer", headers=bob)
    )
    (alice_line,) = assert_success(
        client.get(f"/api/v1/accounts/{alice_main}/transactions", headers=alice)
    )
    assert bob_line["counterparty"] == {"name": "Alice", "email": ALICE}
    assert alice_line["counterparty"] == {"name": "Bob", "email": BOB}
    (event,) = events(app, "payment_request.paid")
    assert event.data["transactionId"] == transaction["id"]
    assert len(events(app, "transfer.completed")) == 1
    assert_error(pay(client, bob, request["id"], bob_funded), 409, "CONFLICT")
    assert balance(client, bob, bob_funded) == 37_50
    assert app.test_cli_runner().invoke(args=["verify-ledger"]).exit_code == 0


def test_an_idempotency_key_replays_the_payment(app, client, alice, bob, bob_funded):
    request = asked(client, alice)
    key = {"Idempotency-Key": "pay-alice-lunch-1"}
    first = pay(client, bob, request["id"], bob_funded, **key)
    again = pay(client, bob, request["id"], bob_funded, **key)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["data"] == first.get_json()["data"]
    assert row_count(app, LedgerTransaction) == 2  # the deposit and one transfer
    other = client.post(
        f"{REQUESTS}/{request['id']}/pay", json={"fromAccountId": "1"}, headers={**bob, **key}
    )
    assert_error(other, 422, "IDEMPOTENCY_KEY_REUSED")


def test_not_enough_money_is_422_and_the_request_stays_pending(app, client, alice, bob, bob_funded):
    request = asked(client, alice, amount=50_01)
    assert_error(pay(client, bob, request["id"], bob_funded), 422, "INSUFFICIENT_FUNDS")
    assert listed(client, bob)[0]["status"] == "pending"
    assert balance(client, bob, bob_funded) == 50_00
    assert row_count(app, LedgerTransaction) == 1
    assert events(app, "payment_request.paid") == []


def test_another_currency_is_422_currency_mismatch(client, alice, bob, bob_funded):
    euros = client.post(
        "/api/v1/accounts", json={"name": "Euros", "currency": "EUR"}, headers=alice
    )
    request = asked(client, alice, accountId=assert_success(euros, 201)["id"])
    assert_error(pay(client, bob, request["id"], bob_funded), 422, "CURRENCY_MISMATCH")
    assert listed(client, bob)[0]["status"] == "pending"


def test_paying_from_someone_elses_account_is_404_naming_it(client, alice, bob, carol, bob_funded):
    """Another member's account, the requester's own (the one the money would go to) or
    none: the payer has no such account."""
    request = asked(client, carol)
    for account in (main_account(client, alice), request["accountId"], "999999"):
        error = assert_error(pay(client, bob, request["id"], account), 404, "NOT_FOUND")
        assert set(error["details"]) == {"fromAccountId"}
    assert balance(client, bob, bob_funded) == 50_00
    assert listed(client, carol)[0]["status"] == "pending"


@pytest.mark.parametrize("body", [{}, {"fromAccountId": 5}, {"fromAccountId": None}])
def test_a_malformed_payment_is_422(client, alice, bob, body):
    request = asked(client, alice)
    response = client.post(f"{REQUESTS}/{request['id']}/pay", json=body, headers=bob)
    assert "fromAccountId" in assert_error(response, 422, "VALIDATION_ERROR")["details"]


def test_only_the_payer_pays_or_declines_and_only_the_requester_cancels(
    client, admin, alice, bob, carol, bob_funded
):
    request = asked(client, alice)
    rid = request["id"]
    alice_main = request["accountId"]
    for headers in (alice, carol, admin):
        assert_error(pay(client, headers, rid, main_account(client, headers)), 404, "NOT_FOUND")
        assert_error(client.post(f"{REQUESTS}/{rid}/decline", headers=headers), 404, "NOT_FOUND")
    for headers in (bob, carol, admin):
        assert_error(client.post(f"{REQUESTS}/{rid}/cancel", headers=headers), 404, "NOT_FOUND")
    for action in ("pay", "decline", "cancel"):
        response = client.post(
            f"{REQUESTS}/424242/{action}", json={"fromAccountId": bob_funded}, headers=bob
        )
        assert_error(response, 404, "NOT_FOUND")
    assert listed(client, alice)[0]["status"] == "pending"
    assert balance(client, alice, alice_main) == 0


# --- declining, cancelling, expiry --------------------------------------------------------


def test_declining_answers_the_request_and_nothing_more_can_happen(
    app, client, alice, bob, bob_funded
):
    rid = asked(client, alice)["id"]
    declined = assert_success(client.post(f"{REQUESTS}/{rid}/decline", headers=bob))
    assert (declined["id"], declined["status"]) == (rid, "declined")
    assert len(events(app, "payment_request.declined")) == 1
    assert_error(pay(client, bob, rid, bob_funded), 409, "CONFLICT")
    assert_error(client.post(f"{REQUESTS}/{rid}/decline", headers=bob), 409, "CONFLICT")
    assert_error(client.post(f"{REQUESTS}/{rid}/cancel", headers=alice), 409, "CONFLICT")
    assert balance(client, bob, bob_funded) == 50_00


def test_cancelling_answers_the_request_and_nothing_more_can_happen(
    app, client, alice, bob, bob_funded
):
    rid = asked(client, alice)["id"]
    cancelled = assert_success(client.post(f"{REQUESTS}/{rid}/cancel", headers=alice))
    assert cancelled["status"] == "cancelled"
    assert len(events(app, "payment_request.cancelled")) == 1
    assert_error(pay(client, bob, rid, bob_funded), 409, "CONFLICT")
    assert_error(client.post(f"{REQUESTS}/{rid}/decline", headers=bob), 409, "CONFLICT")
    assert_error(client.post(f"{REQUESTS}/{rid}/cancel", headers=alice), 409, "CONFLICT")


def test_an_expired_request_can_no_longer_be_paid_declined_or_cancelled(
    app, client, alice, bob, bob_funded
):
    rid = asked(client, alice)["id"]
    age(app, rid, timedelta(seconds=1))
    assert listed(client, bob)[0]["status"] == "expired"
    assert_error(pay(client, bob, rid, bob_funded), 409, "CONFLICT")
    assert_error(client.post(f"{REQUESTS}/{rid}/decline", headers=bob), 409, "CONFLICT")
    assert_error(client.post(f"{REQUESTS}/{rid}/cancel", headers=alice), 409, "CONFLICT")
    assert balance(client, bob, bob_funded) == 50_00
    assert listed(client, bob, "?status=pending") == []


def test_a_read_personal_access_token_lists_but_cannot_ask_or_answer(client, alice, bob):
    rid = asked(client, bob, payer=ALICE)["id"]
    reader = pat(make_token(client, alice, scopes=("read",)))
    assert [r["id"] for r in listed(client, reader)] == [rid]
    assert ask(client, reader).status_code == 403
    assert client.post(f"{REQUESTS}/{rid}/decline", headers=reader).status_code == 403
