"""Two requests with one Idempotency-Key at the same moment: the second never applies it
again. On PostgreSQL it finds the key locked and gets 409 at once; on SQLite, whose writer
holds the whole file, it waits for the first to commit and gets the first one's answer."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import func, select

from tests.support.clients import PASSWORD
from webapp.core.errors import Conflict
from webapp.infra.extensions import db
from webapp.models import Account, IdempotencyKey, LedgerTransaction
from webapp.services.auth import AuthService
from webapp.services.idempotency import IdempotencyService
from webapp.services.users.registration import RegistrationService
from webapp.services.wallet.ledger import LedgerService


def test_a_duplicate_during_the_first_never_applies_twice(app):
    with app.app_context():
        admin = (
            RegistrationService()
            .create_or_promote_admin(email="admin@example.com", password=PASSWORD, name="Admin")
            .user
        )
        member = RegistrationService().register(email="m@example.com", password=PASSWORD, name="M")
        account_id = db.session.scalar(select(Account.id).where(Account.user_id == member.id))
        dialect = db.engine.dialect.name
        admin_id = admin.id

    inside, release = threading.Event(), threading.Event()
    outcomes: dict[str, Any] = {}

    def keyed(name: str, wait: bool) -> None:
        with app.app_context():
            acting = AuthService().acting_as(admin_id)

            def produce() -> tuple[int, Any]:
                record = LedgerService().deposit(acting, account_id, amount=5_00)
                if wait:
                    inside.set()
                    assert release.wait(10)
                return 201, {"id": str(record.id)}

            try:
                outcomes[name] = IdempotencyService().run(admin_id, "once", "same", produce)
            except Conflict as error:
                outcomes[name] = error

    first = threading.Thread(target=keyed, args=("first", True))
    first.start()
    assert inside.wait(10)
    second = threading.Thread(target=keyed, args=("second", False))
    second.start()
    if dialect == "postgresql":
        second.join(10)
        assert isinstance(outcomes["second"], Conflict)  # answered while the first still runs
    release.set()
    first.join(10)
    second.join(15)
    assert outcomes["first"].replayed is False
    if dialect != "postgresql":
        assert outcomes["second"].replayed is True
        assert outcomes["second"].data == outcomes["first"].data
    with app.app_context():
        assert db.session.scalar(select(func.count(LedgerTransaction.id))) == 1
        assert db.session.scalar(select(func.count(IdempotencyKey.id))) == 1
