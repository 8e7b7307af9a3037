"""An account's history written straight into the ledger, line by line, on chosen days: what
the history filter tests (API, pages, the property test) search through.

Each line balances against the other member's account (a transfer: its owner is the line's
counterparty) or against a system account (every other type), so the ledger stays sound;
the other member is first given, by a deposit, what their transfers in the lines send. Keep
the account's own balance from going below zero (its first line a deposit, say).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from tests.support.ledger_data import system_account
from webapp.infra.extensions import db
from webapp.models import Account, LedgerEntry, LedgerTransaction, User
from webapp.models.ledger import TX_DEPOSIT, TX_ORDER_PAYMENT, TX_TRANSFER


@dataclass(frozen=True)
class Line:
    type: str
    day: date
    amount: int  # signed for the account whose history this is
    memo: str | None = None
    seconds: int = 43_200  # when on its day (noon by default)


@dataclass(frozen=True)
class Written:
    """A written line: its entry's id on the account, and its counterparty's email if any."""

    line: Line
    entry_id: int
    counterparty: str | None

    def matches(
        self,
        type: str | None = None,
        since: date | None = None,
        until: date | None = None,
        q: str | None = None,
    ) -> bool:
        """The contract's rule, spelled apart from the query that runs it (text is searched
        for without its surrounding blanks; blank text searches for nothing)."""
        line = self.line
        q = q.strip() if q else None
        texts = [line.memo or "", self.counterparty or ""]
        return (
            (type is None or line.type == type)
            and (since is None or line.day >= since)
            and (until is None or line.day <= until)
            and (not q or any(q.lower() in text.lower() for text in texts))
        )


# A small history to filter (both surfaces' tests read it): the transfers are with the
# other member; a line at the first and one at the last second of a day; memos with % and _.
DAY = date(2026, 11, 10)

LINES = [
    Line(TX_DEPOSIT, DAY, 500_00, "Salary"),
    Line(TX_TRANSFER, DAY + timedelta(days=1), -80_00, "Rent for November", seconds=0),
    Line(TX_ORDER_PAYMENT, DAY + timedelta(days=2), -4_00, None),
    Line(TX_TRANSFER, DAY + timedelta(days=3), 12_50, "Lunch back", seconds=86_399),
    Line(TX_DEPOSIT, DAY + timedelta(days=5), 1_00, "100% bonus_pay"),
    Line(TX_DEPOSIT, DAY + timedelta(days=6), 2_00, "1000 bonusXpay"),
]


def write_lines(account_id: int, other_account_id: int, lines: Sequence[Line]) -> list[Written]:
    """Write `lines` on `account_id` in this order (ids ascend with it), committed."""
    session = db.session
    account = session.get(Account, account_id)
    other = session.get(Account, other_account_id)
    other_email = session.scalar(select(User.email).where(User.id == other.user_id))
    system = system_account("History lines", account.currency)
    received = sum(line.amount for line in lines if line.type == TX_TRANSFER and line.amount > 0)
    if received:  # the other member is given what they send first (off this history)
        funding = LedgerTransaction(type=TX_DEPOSIT, amount=received, currency=other.currency)
        other.balance += received
        system.balance -= received
        funding.entries += [
            LedgerEntry(account=other, amount=received, balance_after=other.balance),
            LedgerEntry(account=system, amount=-received, balance_after=system.balance),
        ]
        session.add(funding)
    written = []
    for line in lines:
        at = datetime.combine(line.day, time.min, tzinfo=UTC) + timedelta(seconds=line.seconds)
        side = other if line.type == TX_TRANSFER else system
        transaction = LedgerTransaction(
            type=line.type,
            amount=abs(line.amount),
            currency=account.currency,
            memo=line.memo,
            created_at=at,
        )
        session.add(transaction)
        entries = []
        for moved, signed in ((account, line.amount), (side, -line.amount)):
            moved.balance += signed
            entry = LedgerEntry(
                account=moved, amount=signed, balance_after=moved.balance, created_at=at
            )
            transaction.entries.append(entry)
            entries.append(entry)
        session.flush()
        counterparty = other_email if line.type == TX_TRANSFER else None
        written.append(Written(line, entries[0].id, counterparty))
    session.commit()
    return written
