"""Payment requests under concurrency, with threads against the database (SQLite here, and
PostgreSQL when the suite runs on it): twenty clicks on "Pay" at once pay once, and the
limit of pending requests holds when twenty-five are made at once."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from tests.support.clients import bearer
from tests.support.concurrency import run_in_threads
from webapp.infra.extensions import db
from webapp.models import LedgerTransaction, PaymentRequest
from webapp.models.ledger import TX_TRANSFER
from webapp.services.payment_requests import MAX_PENDING

REQUESTS = "/api/v1/payment-requests"


def count(app, statement) -> int:
    with app.app_context():
        return db.session.scalar(statement)


def test_twenty_payers_clicks_at_once_pay_once(app, client, register, login, admin, runner):
    register("alice@example.com", "Alice")
    register("bob@example.com", "Bob")
    alice, bob = bearer(login("alice@example.com")), bearer(login("bob@example.com"))
    (bob_main,) = client.get("/api/v1/accounts", headers=bob).get_json()["data"]
    deposit = client.post(
        f"/api/v1/accounts/{bob_main['id']}/deposits", json={"amount": 100_00}, headers=admin
    )
    assert deposit.status_code == 201
    body = {"payerEmail": "bob@example.com", "amount": 30_00}
    request = client.post(REQUESTS, json=body, headers=alice).get_json()["data"]
    statuses: list[int] = []
    lock = threading.Lock()

    def pay(_: int) -> None:
        response = app.test_client().post(
            f"{REQUESTS}/{request['id']}/pay", json={"fromAccountId": bob_main["id"]}, headers=bob
        )
        with lock:
            statuses.append(response.status_code)

    run_in_threads(20, pay)

    assert sorted(statuses) == [201] + [409] * 19
    transfers = select(func.count()).where(LedgerTransaction.type == TX_TRANSFER)
    assert count(app, transfers) == 1
    account = client.get(f"/api/v1/accounts/{bob_main['id']}", headers=bob).get_json()["data"]
    assert account["balance"] == 70_00
    (listed,) = client.get(REQUESTS, headers=alice).get_json()["data"]
    assert listed["status"] == "paid"
    assert runner.invoke(args=["verify-ledger"]).exit_code == 0


def test_the_pending_limit_holds_when_requests_are_made_at_once(app, register, login):
    register("alice@example.com", "Alice")
    register("bob@example.com", "Bob")
    alice = bearer(login("alice@example.com"))
    statuses: list[int] = []
    lock = threading.Lock()

    def ask(n: int) -> None:
        body = {"payerEmail": "bob@example.com", "amount": 100 + n}
        response = app.test_client().post(REQUESTS, json=body, headers=alice)
        with lock:
            statuses.append(response.status_code)

    run_in_threads(MAX_PENDING + 5, ask)

    assert sorted(statuses) == [201] * MAX_PENDING + [409] * 5
    assert count(app, select(func.count()).select_from(PaymentRequest)) == MAX_PENDING
