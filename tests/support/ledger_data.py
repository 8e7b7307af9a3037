"""Bulk ledger history for pagination tests and the benchmark: one account, N entries.

Written with bulk INSERTs rather than through the services (the services would take
minutes for 100,000 movements); every transaction still balances against a system
account, so `verify-ledger` passes afterwards.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select, update

from webapp.infra.extensions import db
from webapp.models import Account, LedgerEntry, LedgerTransaction
from webapp.models.account import KIND_SYSTEM

BATCH = 5_000


def system_account(name: str, currency: str) -> Account:
    """The system account of this name, opened if there is none yet."""
    session = db.session
    account = session.scalar(
        select(Account).where(Account.kind == KIND_SYSTEM, Account.name == name)
    )
    if account is None:
        account = Account(kind=KIND_SYSTEM, name=name, currency=currency)
        session.add(account)
        session.flush()
    return account


def build_history(account_id: int, entries: int, amount: int = 1) -> None:
    """Give `account_id` `entries` deposits of `amount`, oldest first, committed."""
    session = db.session
    account = session.get(Account, account_id)
    source = system_account("Bench", account.currency)
    start = datetime.now(UTC) - timedelta(days=1)
    first_tx = (
        session.scalar(select(LedgerTransaction.id).order_by(LedgerTransaction.id.desc()).limit(1))
        or 0
    ) + 1
    balance, source_balance = account.balance, source.balance
    for offset in range(0, entries, BATCH):
        count = min(BATCH, entries - offset)
        ids = range(first_tx + offset, first_tx + offset + count)
        when = [start + timedelta(milliseconds=offset + n) for n in range(count)]
        session.execute(
            insert(LedgerTransaction),
            [
                {
                    "id": tx_id,
                    "type": "deposit",
                    "amount": amount,
                    "currency": account.currency,
                    "memo": None,
                    "actor_id": None,
                    "created_at": at,
                }
                for tx_id, at in zip(ids, when, strict=True)
            ],
        )
        rows = []
        for tx_id, at in zip(ids, when, strict=True):
            balance += amount
            source_balance -= amount
            rows.append(
                {
                    "transaction_id": tx_id,
                    "account_id": source.id,
                    "amount": -amount,
                    "balance_after": source_balance,
                    "created_at": at,
                }
            )
            rows.append(
                {
                    "transaction_id": tx_id,
                    "account_id": account.id,
                    "amount": amount,
                    "balance_after": balance,
                    "created_at": at,
                }
            )
        session.execute(insert(LedgerEntry), rows)
    session.execute(update(Account).where(Account.id == account.id).values(balance=balance))
    session.execute(update(Account).where(Account.id == source.id).values(balance=source_balance))
    session.commit()
    if db.engine.dialect.name == "postgresql":
        # The ids above were given explicitly: move the sequence past them.
        session.execute(
            db.text(
                "SELECT setval(pg_get_serial_sequence('ledger_transactions', 'id'), "
                "(SELECT max(id) FROM ledger_transactions))"
            )
        )
        session.commit()
