"""A keyed transfer whose transaction is retried answers with what was committed.

The idempotency service stores the answer in the transaction that applies the request,
so a database conflict reruns the view: the answer sent must be the last run's, the one
whose rows exist, and the one a replay gives back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from tests.support.clients import bearer
from tests.support.envelopes import assert_success
from webapp.infra.extensions import db
from webapp.models import LedgerTransaction
from webapp.services import unit_of_work as uow_module


class SerializationFailure(Exception):
    sqlstate = "40001"


PENDING = "test.ledger_transaction_pending"


@dataclass
class OneFailedTransferCommit:
    """Once armed, the next commit that carries a ledger transaction fails as a
    serialization failure would; the unit of work retries it."""

    armed: bool = False
    fired: int = 0

    def after_flush(self, session: Session, _context: Any) -> None:
        if any(isinstance(row, LedgerTransaction) for row in session.new):
            session.info[PENDING] = True

    def before_commit(self, session: Session) -> None:
        if session.info.pop(PENDING, False) and self.armed:
            self.armed = False
            self.fired += 1
            raise OperationalError("COMMIT", {}, SerializationFailure())


@pytest.fixture
def failure(monkeypatch):
    monkeypatch.setattr(uow_module.time, "sleep", lambda _seconds: None)
    injected = OneFailedTransferCommit()
    event.listen(Session, "after_flush", injected.after_flush)
    event.listen(Session, "before_commit", injected.before_commit)
    yield injected
    event.remove(Session, "after_flush", injected.after_flush)
    event.remove(Session, "before_commit", injected.before_commit)


def test_a_retried_keyed_transfer_answers_with_the_committed_transaction(
    app, client, admin, register, login, failure
):
    register("alice@example.com", "Alice")
    register("bob@example.com", "Bob")
    alice, bob = bearer(login("alice@example.com")), bearer(login("bob@example.com"))
    a = assert_success(client.get("/api/v1/accounts", headers=alice))[0]["id"]
    b = assert_success(client.get("/api/v1/accounts", headers=bob))[0]["id"]
    deposit = {"amount": 100_00}
    assert_success(client.post(f"/api/v1/accounts/{a}/deposits", json=deposit, headers=admin), 201)
    failure.armed = True

    body = {"fromAccountId": a, "toAccountId": b, "amount": 10_00}
    headers = {**alice, "Idempotency-Key": "retried-once"}
    answered = assert_success(client.post("/api/v1/transfers", json=body, headers=headers), 201)
    assert failure.fired == 1  # the transfer's first commit did fail

    with app.app_context():
        committed = db.session.scalars(select(LedgerTransaction.id)).all()
    assert answered["id"] in {str(i) for i in committed}
    replayed = client.post("/api/v1/transfers", json=body, headers=headers)
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert assert_success(replayed, 201) == answered
