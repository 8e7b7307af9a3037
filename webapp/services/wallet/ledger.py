"""Money movements: deposits and transfers, through the double-entry ledger.

Every movement runs in one transaction that first locks the accounts it touches, in
ascending id order (`SELECT … FOR UPDATE` on PostgreSQL; `BEGIN IMMEDIATE` takes the
database's write lock on SQLite), so concurrent movements neither deadlock nor lose an
update; a serialization failure or deadlock is retried by `transaction()`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from webapp.core.email_address import email_key
from webapp.core.errors import (
    CurrencyMismatch,
    InsufficientFunds,
    NotFound,
    ValidationError,
)
from webapp.core.ids import ID_PATTERN
from webapp.core.money import AMOUNT_OUT_OF_RANGE, is_amount_in_range
from webapp.models import Account, LedgerEntry, LedgerTransaction
from webapp.models.account import KIND_MEMBER, MAIN_ACCOUNT_NAME
from webapp.models.ledger import TX_DEPOSIT, TX_TRANSFER
from webapp.repositories.keyset import Page
from webapp.services.email_verification import require_verified_email
from webapp.services.events import DomainEvent, subject
from webapp.services.principal import Principal
from webapp.services.unit_of_work import UnitOfWork, transaction
from webapp.services.wallet.accounts import visible_to

MAX_MEMO_LENGTH = 255
DEPOSITS_ACCOUNT = "Deposits"  # the system account money enters Tally from


def check_amount(amount: int, field: str = "amount") -> int:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise ValidationError(details={field: "must be an integer number of minor units"})
    if not is_amount_in_range(amount):
        raise ValidationError(details={field: AMOUNT_OUT_OF_RANGE})
    return amount


def check_memo(memo: str | None) -> str | None:
    if memo is None:
        return None
    memo = memo.strip()
    if len(memo) > MAX_MEMO_LENGTH:
        raise ValidationError(details={"memo": f"must be at most {MAX_MEMO_LENGTH} characters"})
    return memo or None


@dataclass(frozen=True)
class History:
    account: Account
    page: Page[LedgerEntry]


@dataclass(frozen=True)
class LedgerReport:
    """What `flask verify-ledger` found; `ok` when every check holds."""

    accounts: int
    transactions: int
    balance_mismatches: list[tuple[int, int, int]]  # (account, balance, sum of entries)
    unbalanced_transactions: list[tuple[int, int]]  # (transaction, sum of its entries)
    last_entry_mismatches: list[tuple[int, int, int]]  # (account, balance, last balanceAfter)

    @property
    def ok(self) -> bool:
        return not (
            self.balance_mismatches or self.unbalanced_transactions or self.last_entry_mismatches
        )


class LedgerService:
    def deposit(
        self, actor: Principal, account_id: int, *, amount: int, memo: str | None = None
    ) -> LedgerTransaction:
        """Credit a member's account with money from outside (admins only)."""
        actor.require_admin()
        check_amount(amount)
        memo = check_memo(memo)

        def work(uow: UnitOfWork) -> LedgerTransaction:
            account = uow.accounts.find_member_account(account_id)
            if account is None:
                raise NotFound("No such account.")
            source = uow.accounts.system_account(DEPOSITS_ACCOUNT, account.currency)
            locked = uow.accounts.lock_for_update([account.id, source.id])
            record = uow.ledger.record(
                transaction_type=TX_DEPOSIT,
                amount=amount,
                currency=account.currency,
                memo=memo,
                actor_id=actor.user_id,
                movements=[(locked[source.id], -amount), (locked[account.id], amount)],
            )
            uow.emit(
                DomainEvent(
                    "deposit.completed",
                    subject("transaction", record.id),
                    {"accountId": str(account.id), "amount": amount, "currency": account.currency},
                    actor_id=actor.user_id,
                )
            )
            return record

        return transaction(work)

    def transfer(
        self,
        sender: Principal,
        *,
        from_account_id: int,
        to_account_id: int,
        amount: int,
        memo: str | None = None,
    ) -> LedgerTransaction:
        """Move money from one of the sender's accounts to any member's account, atomically."""
        require_verified_email(sender)
        check_amount(amount)
        memo = check_memo(memo)
        if from_account_id == to_account_id:
            raise ValidationError(details={"to_account_id": "must differ from fromAccountId"})

        def work(uow: UnitOfWork) -> LedgerTransaction:
            locked = uow.accounts.lock_for_update([from_account_id, to_account_id])
            source, target = locked.get(from_account_id), locked.get(to_account_id)
            if source is None or source.kind != KIND_MEMBER or source.user_id != sender.user_id:
                raise NotFound("No such account.", details={"from_account_id": "not found"})
            if target is None or target.kind != KIND_MEMBER:
                raise NotFound("No such account.", details={"to_account_id": "not found"})
            if source.currency != target.currency:
                raise CurrencyMismatch(
                    f"Cannot send {source.currency} to an account in {target.currency}."
                )
            if source.balance < amount:
                raise InsufficientFunds(
                    details={"amount": f"exceeds the balance of {source.balance}"}
                )
            record = uow.ledger.record(
                transaction_type=TX_TRANSFER,
                amount=amount,
                currency=source.currency,
                memo=memo,
                actor_id=sender.user_id,
                movements=[(source, -amount), (target, amount)],
            )
            uow.emit(
                DomainEvent(
                    "transfer.completed",
                    subject("transaction", record.id),
                    {
                        "fromAccountId": str(source.id),
                        "toAccountId": str(target.id),
                        "amount": amount,
                        "currency": source.currency,
                    },
                    actor_id=sender.user_id,
                )
            )
            return record

        return transaction(work)

    def resolve_recipient(self, recipient: str) -> int:
        """The account a transfer `to` means: an account id typed as digits (whether it is a
        member's account, transfer() checks), or a member's email meaning their "Main"."""
        recipient = recipient.strip()
        if re.fullmatch(ID_PATTERN, recipient):
            return int(recipient)
        if "@" in recipient:
            with UnitOfWork() as uow:
                user = uow.users.find_by_email(email_key(recipient))
                main = (
                    uow.accounts.find_by_owner_and_name(user.id, MAIN_ACCOUNT_NAME)
                    if user
                    else None
                )
            if main is not None:
                return main.id
        raise NotFound("No such recipient.", details={"to": "no account or member by that name"})

    def history(
        self, viewer: Principal, account_id: int, *, limit: int, cursor: str | None = None
    ) -> History:
        with UnitOfWork() as uow:
            account = visible_to(viewer, uow.accounts.find_member_account(account_id))
            page = uow.ledger.history(account.id, limit=limit, cursor=cursor)
        return History(account=account, page=page)

    def verify(self) -> LedgerReport:
        """Check every balance against its entries, and every transaction's lines cancel."""
        with UnitOfWork() as uow:
            return LedgerReport(
                accounts=uow.accounts.count(),
                transactions=uow.ledger.count(),
                balance_mismatches=uow.ledger.balance_mismatches(),
                unbalanced_transactions=uow.ledger.unbalanced_transactions(),
                last_entry_mismatches=uow.ledger.last_entry_mismatches(),
            )

    def recent_activity(self, accounts: list[Account], limit: int = 10) -> list[LedgerEntry]:
        with UnitOfWork() as uow:
            return uow.ledger.recent_for_accounts([a.id for a in accounts], limit)
