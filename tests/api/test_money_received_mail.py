"""The money-received mail: one to the receiving member for each transfer received and each
deposit, naming the amount, the sender and the account; never to the sender, never when
turned off (`notifyMoneyReceived`), never for a refused or rolled-back transfer. Read from
a real SMTP server, and from the in-memory outbox for the rules."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.support.audit_log import events
from tests.support.clients import PASSWORD, bearer
from tests.support.envelopes import assert_error, assert_success
from tests.support.mfa import sent_mails
from tests.support.smtp_server import (  # noqa: F401  (the *_fixture are fixtures, registered by name)
    PUBLIC_URL,
    html_of,
    links,
    make_smtp_app_fixture,
    smtp_app_fixture,
    smtp_server_fixture,
    text_of,
)
from webapp.infra.extensions import db
from webapp.models import OutboxMail
from webapp.services.auth import AuthService
from webapp.services.events import in_transaction
from webapp.services.wallet.ledger import LedgerService

ME = "/api/v1/users/me"
SUBJECT = "Money arrived in your Tally account"
ALICE, BOB = "alice@example.com", "bob@example.com"


def money_mails(app, to: str | None = None) -> list:
    return [m for m in sent_mails(app) if m.subject == SUBJECT and to in (None, *m.to)]


MONEY_MAILS = (
    select(func.count()).select_from(OutboxMail).where(OutboxMail.kind == "money_received")
)


def queued_money_mails(app) -> int:
    with app.app_context():
        return db.session.scalar(MONEY_MAILS)


def main_account(client, headers) -> str:
    return assert_success(client.get("/api/v1/accounts", headers=headers))[0]["id"]


def deposit(client, admin, account_id, amount, memo=None):
    body = {"amount": amount, **({"memo": memo} if memo else {})}
    response = client.post(f"/api/v1/accounts/{account_id}/deposits", json=body, headers=admin)
    return assert_success(response, 201)


def transfer(client, headers, from_id, to_id, amount, memo=None, **extra_headers):
    body = {"fromAccountId": from_id, "toAccountId": to_id, "amount": amount}
    if memo:
        body["memo"] = memo
    return client.post("/api/v1/transfers", json=body, headers={**headers, **extra_headers})


def balance(client, headers, account_id) -> int:
    return assert_success(client.get(f"/api/v1/accounts/{account_id}", headers=headers))["balance"]


@pytest.fixture
def funded(client, admin, alice, bob):
    """Alice's Main holds 100.00 USD (her deposit mail already sent), Bob's is empty."""
    a, b = main_account(client, alice), main_account(client, bob)
    deposit(client, admin, a, 100_00)
    return a, b


# --- the setting --------------------------------------------------------------------------


def test_the_mail_is_on_for_a_new_member_and_shown_by_users_me(client, alice):
    assert assert_success(client.get(ME, headers=alice))["notifyMoneyReceived"] is True


def test_patch_turns_the_mail_off_and_on_and_get_shows_it_at_once(app, client, alice):
    off = assert_success(client.patch(ME, json={"notifyMoneyReceived": False}, headers=alice))
    assert off["notifyMoneyReceived"] is False
    assert assert_success(client.get(ME, headers=alice))["notifyMoneyReceived"] is False
    on = assert_success(client.patch(ME, json={"notifyMoneyReceived": True}, headers=alice))
    assert on["notifyMoneyReceived"] is True
    assert assert_success(client.get(ME, headers=alice))["notifyMoneyReceived"] is True
    changes = [e.data for e in events(app, "user.updated")]
    assert changes == [
        {"notifyMoneyReceived": {"from": True, "to": False}},
        {"notifyMoneyReceived": {"from": False, "to": True}},
    ]


def test_patch_with_the_name_and_the_setting_changes_both_in_one_event(app, client, alice):
    body = {"name": "Alice Renamed", "notifyMoneyReceived": False}
    me = assert_success(client.patch(ME, json=body, headers=alice))
    assert (me["name"], me["notifyMoneyReceived"]) == ("Alice Renamed", False)
    (event,) = events(app, "user.updated")
    assert set(event.data) == {"name", "notifyMoneyReceived"}


def test_patch_with_the_same_value_changes_nothing(app, client, alice):
    me = assert_success(client.patch(ME, json={"notifyMoneyReceived": True}, headers=alice))
    assert me["notifyMoneyReceived"] is True
    assert events(app, "user.updated") == []


@pytest.mark.parametrize("sent", ["true", "false", 1, 0, "", [True], {"on": True}])
def test_the_setting_must_be_a_json_boolean(app, client, alice, sent):
    response = client.patch(ME, json={"notifyMoneyReceived": sent}, headers=alice)
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert "notifyMoneyReceived" in error["details"]
    assert assert_success(client.get(ME, headers=alice))["notifyMoneyReceived"] is True
    assert events(app, "user.updated") == []


def test_the_setting_may_not_be_null(client, alice):
    response = client.patch(ME, json={"notifyMoneyReceived": None}, headers=alice)
    assert "notifyMoneyReceived" in assert_error(response, 422, "VALIDATION_ERROR")["details"]
    assert assert_success(client.get(ME, headers=alice))["notifyMoneyReceived"] is True


def test_a_refused_name_leaves_the_setting_as_it_was(client, alice):
    body = {"name": "", "notifyMoneyReceived": False}
    assert_error(client.patch(ME, json=body, headers=alice), 422, "VALIDATION_ERROR")
    assert assert_success(client.get(ME, headers=alice))["notifyMoneyReceived"] is True


# --- who is mailed ------------------------------------------------------------------------


def test_a_deposit_mails_the_member_the_amount_and_the_account(app, client, admin, bob):
    account = main_account(client, bob)
    deposit(client, admin, account, 12_50, memo="Welcome")
    (mail,) = money_mails(app)
    assert mail.to == [BOB]
    assert "Hello Bob," in mail.body
    assert 'A deposit of 12.50 USD was made to your account "Main".' in mail.body
    assert "Memo: Welcome" in mail.body
    assert f"/accounts/{account}" in mail.body
    assert queued_money_mails(app) == 1


def test_a_transfer_mails_the_receiver_once_and_never_the_sender(app, client, alice, funded):
    a, b = funded
    sent_before = len(money_mails(app, ALICE))
    assert_success(transfer(client, alice, a, b, 12_50, memo="Lunch"), 201)
    (mail,) = money_mails(app, BOB)
    assert "Alice (alice@example.com) sent you 12.50 USD" in mail.body
    assert 'to your account "Main"' in mail.body
    assert "Memo: Lunch" in mail.body
    assert len(money_mails(app, ALICE)) == sent_before  # her deposit's, nothing for sending


def test_each_received_transfer_is_one_mail(app, client, alice, funded):
    a, b = funded
    for amount in (1_00, 2_00, 3_00):
        assert_success(transfer(client, alice, a, b, amount), 201)
    texts = [m.body for m in money_mails(app, BOB)]
    assert len(texts) == 3
    assert [t for t in texts if "sent you 2.00 USD" in t]


def test_a_replayed_transfer_mails_once(app, client, alice, funded):
    a, b = funded
    key = {"Idempotency-Key": "a1b2c3d4-pay-bob-once"}
    assert_success(transfer(client, alice, a, b, 5_00, **key), 201)
    assert_success(transfer(client, alice, a, b, 5_00, **key), 201)
    assert len(money_mails(app, BOB)) == 1


def test_a_member_who_turned_it_off_gets_no_mail(app, client, admin, alice, bob, funded):
    a, b = funded
    assert_success(client.patch(ME, json={"notifyMoneyReceived": False}, headers=bob))
    assert_success(transfer(client, alice, a, b, 5_00), 201)
    deposit(client, admin, b, 7_00)
    assert money_mails(app, BOB) == []
    assert balance(client, bob, b) == 12_00  # the money still arrived
    assert_success(client.patch(ME, json={"notifyMoneyReceived": True}, headers=bob))
    deposit(client, admin, b, 1_00)
    assert len(money_mails(app, BOB)) == 1


def test_a_refused_transfer_mails_nobody(app, client, alice, bob, funded):
    a, b = funded
    mails_before, queued_before = len(sent_mails(app)), queued_money_mails(app)
    refused = transfer(client, alice, a, b, 100_01)
    assert_error(refused, 422, "INSUFFICIENT_FUNDS")
    assert len(sent_mails(app)) == mails_before
    assert queued_money_mails(app) == queued_before
    assert balance(client, bob, b) == 0


def test_a_transfer_between_ones_own_accounts_mails_nobody(app, client, alice, funded):
    a, _ = funded
    savings = assert_success(
        client.post("/api/v1/accounts", json={"name": "Savings"}, headers=alice), 201
    )["id"]
    mails_before = len(sent_mails(app))
    assert_success(transfer(client, alice, a, savings, 10_00), 201)
    assert balance(client, alice, savings) == 10_00
    assert len(sent_mails(app)) == mails_before


def test_an_admins_deposit_into_their_own_account_mails_nobody(app, client, admin):
    account = main_account(client, admin)
    deposit(client, admin, account, 3_00)
    assert money_mails(app) == []


class Boom(Exception):
    pass


def test_a_transfer_that_rolls_back_leaves_no_mail(app, client, alice, bob, funded):
    a, b = funded
    alice_id = int(assert_success(client.get(ME, headers=alice))["id"])
    mails_before, queued_before = len(sent_mails(app)), queued_money_mails(app)

    seen_in_transaction = []

    def fail(_sender, *, uow, **_kwargs):
        seen_in_transaction.append(uow.session.scalar(MONEY_MAILS))  # the mail is written…
        raise Boom  # …and then something later in the transfer's transaction fails

    in_transaction.connect(fail, sender="transfer.completed")
    try:
        with app.app_context():
            sender = AuthService().acting_as(alice_id)
            with pytest.raises(Boom):
                LedgerService().transfer(
                    sender, from_account_id=int(a), to_account_id=int(b), amount=5_00
                )
    finally:
        in_transaction.disconnect(fail, sender="transfer.completed")
    assert seen_in_transaction == [queued_before + 1]
    assert len(sent_mails(app)) == mails_before
    assert queued_money_mails(app) == queued_before
    assert balance(client, bob, b) == 0


# --- through a real SMTP server -----------------------------------------------------------


def test_the_mails_arrive_through_smtp_naming_amount_sender_and_account(
    smtp_app, smtp_server, make_admin
):
    client = smtp_app.test_client()

    def join(email: str, name: str) -> dict[str, str]:
        if name:
            body = {"email": email, "password": PASSWORD, "name": name}
            assert client.post("/api/v1/auth/register", json=body).status_code == 201
        login = {"email": email, "password": PASSWORD}
        return bearer(client.post("/api/v1/auth/login", json=login).get_json()["data"])

    alice, bob = join(ALICE, "Alice Sender"), join(BOB, "Bob Receiver")
    make_admin("admin@example.com")
    admin = join("admin@example.com", "")
    a, b = main_account(client, alice), main_account(client, bob)
    deposit(client, admin, a, 50_00)
    assert_success(transfer(client, alice, a, b, 12_50, memo="Rent share"), 201)

    (deposit_mail,) = smtp_server.wait_for(1, to=ALICE, subject=SUBJECT)
    assert "A deposit of 50.00 USD was made" in text_of(deposit_mail)
    (mail,) = smtp_server.wait_for(1, to=BOB, subject=SUBJECT)
    text = text_of(mail)
    assert "Alice Sender (alice@example.com) sent you 12.50 USD" in text
    assert 'to your account "Main"' in text
    assert "Memo: Rent share" in text
    assert links(mail) == [f"/accounts/{b}", "/settings"]
    html = html_of(mail)
    assert "<strong>12.50 USD</strong>" in html and "alice@example.com" in html
    assert f'href="{PUBLIC_URL}/accounts/{b}"' in html
    assert len(smtp_server.received(to=ALICE, subject=SUBJECT)) == 1  # never for sending
