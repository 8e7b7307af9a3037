"""Closing an account under concurrency, with threads against the database (SQLite here, and
PostgreSQL when the suite runs on it): money sent to a member at the moment they close
either arrives first, and the close is refused, or is refused itself, never stranded in a
closed account; and the last two admins closing at once leave one."""

from __future__ import annotations

import threading

from sqlalchemy import select

from tests.support.clients import PASSWORD, bearer
from tests.support.concurrency import run_in_threads
from webapp.infra.extensions import db
from webapp.models import Account, User
from webapp.models.user import ROLE_ADMIN, UserRole

CLOSE = "/api/v1/users/me/close"
SENDS = 5


def test_money_sent_during_a_close_is_never_stranded(app, client, register, login, admin, runner):
    register("alice@example.com", "Alice")
    register("bob@example.com", "Bob")
    alice, bob = bearer(login("alice@example.com")), bearer(login("bob@example.com"))
    (alice_main,) = client.get("/api/v1/accounts", headers=alice).get_json()["data"]
    (bob_main,) = client.get("/api/v1/accounts", headers=bob).get_json()["data"]
    funded = client.post(
        f"/api/v1/accounts/{bob_main['id']}/deposits", json={"amount": 100_00}, headers=admin
    )
    assert funded.status_code == 201
    send = {"fromAccountId": bob_main["id"], "toAccountId": alice_main["id"], "amount": 1_00}
    closes: list[int] = []
    sends: list[int] = []
    lock = threading.Lock()

    def act(index: int) -> None:
        caller = app.test_client()
        if index == 0:
            response = caller.post(CLOSE, json={"password": PASSWORD}, headers=alice)
            with lock:
                closes.append(response.status_code)
            return
        response = caller.post("/api/v1/transfers", json=send, headers=bob)
        with lock:
            sends.append(response.status_code)

    run_in_threads(1 + SENDS, act)

    with app.app_context():
        balance = db.session.get(Account, int(alice_main["id"])).balance
        closed = db.session.scalar(select(User.closed_at).where(User.name == "Closed account"))
    arrived = sends.count(201)
    assert set(sends) <= {201, 404}, sends
    if closes == [204]:
        assert (arrived, balance, closed is not None) == (0, 0, True)
    else:
        assert closes == [409] and arrived >= 1 and closed is None
    assert balance == arrived * 1_00
    verified = runner.invoke(args=["verify-ledger"])
    assert verified.exit_code == 0, verified.output


def test_the_last_two_admins_closing_at_once_leave_one(app, make_admin, login):
    emails = ("a@example.com", "b@example.com")
    for email in emails:
        make_admin(email)
    admins = [bearer(login(email)) for email in emails]
    statuses: list[int] = []
    lock = threading.Lock()

    def close(index: int) -> None:
        response = app.test_client().post(CLOSE, json={"password": PASSWORD}, headers=admins[index])
        with lock:
            statuses.append(response.status_code)

    run_in_threads(2, close)

    assert sorted(statuses) == [204, 409]
    with app.app_context():
        active_admins = db.session.scalars(
            select(User.id).join(UserRole).where(UserRole.role == ROLE_ADMIN, User.is_active)
        ).all()
    assert len(active_admins) == 1
