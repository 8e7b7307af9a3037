"""Money movements: deposits and transfers, through the double-entry ledger.

Every movement runs in one transaction that first locks the accounts it touches, in
ascending id order (`SELECT … FOR UPDATE` on PostgreSQL; `BEGIN IMMEDIATE` takes the
database's write lock on SQLite), so concurrent movements neither deadlock nor lose an
update; a serialization failure or deadlock is retried by `transaction()`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace

from webapp.core.email_address import email_key
from webapp.core.errors import (
    CurrencyMismatch,
    InsufficientFunds,
    NotFound,
    ValidationError,
)
from webapp.core.ids import ID_PATTERN
from webapp.core.money import AMOUNT_OUT_OF_RANGE, format_money, is_amount_in_range
from webapp.models import Account, LedgerTransaction
from webapp.models.account import KIND_MEMBER, MAIN_ACCOUNT_NAME
from webapp.models.ledger import TRANSACTION_TYPES, TX_DEPOSIT, TX_TRANSFER
from webapp.repositories.keyset import Page
from webapp.repositories.ledger import HistoryFilter
from webapp.services.email_verification import require_verified_email
from webapp.services.events import DomainEvent, subject
from webapp.services.idempotency import IdempotencyService
from webapp.services.mail import public_link, queue_mail
from webapp.services.principal import Principal
from webapp.services.unit_of_work import UnitOfWork, transaction
from webapp.services.wallet.accounts import visible_to
from webapp.services.wallet.lines import Counterparty, MoneyLine, money_lines

MAX_MEMO_LENGTH = 255
MAX_HISTORY_TEXT_LENGTH = 100  # the `q` a history is searched for
FROM_AFTER_TO = "The first day must not be after the last day."
DEPOSITS_ACCOUNT = "Deposits"  # the system account money enters Tally from
# Where a money-received mail points: the account, and the setting that turns it off.
ACCOUNT_PATH = "/accounts/{account_id}"
SETTINGS_PATH = "/settings"
NO_MEMBER_ACCOUNT = "No member has an account with this number."


def check_amount(amount: int, field: str = "amount") -> int:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise ValidationError(details={field: "Enter a whole number of minor units."})
    if not is_amount_in_range(amount):
        raise ValidationError(details={field: AMOUNT_OUT_OF_RANGE})
    return amount


def check_memo(memo: str | None) -> str | None:
    if memo is None:
        return None
    memo = memo.strip()
    if len(memo) > MAX_MEMO_LENGTH:
        raise ValidationError(
            details={"memo": f"The memo must be at most {MAX_MEMO_LENGTH} characters."}
        )
    return memo or None


def check_history_filter(filters: HistoryFilter) -> HistoryFilter:
    """A history filter the ledger can run, its errors named by the filters' wire names
    (type, from, to, q); blank text searches for nothing."""
    if filters.type is not None and filters.type not in TRANSACTION_TYPES:
        raise ValidationError(details={"type": f"Choose one of {', '.join(TRANSACTION_TYPES)}."})
    if filters.since is not None and filters.until is not None and filters.since > filters.until:
        raise ValidationError(details={"from": FROM_AFTER_TO})
    text = filters.text
    if text is not None and len(text) > MAX_HISTORY_TEXT_LENGTH:
        raise ValidationError(
            details={"q": f"The text must be at most {MAX_HISTORY_TEXT_LENGTH} characters."}
        )
    return replace(filters, text=text.strip() if text and text.strip() else None)


def check_transfer_request(
    sender: Principal, from_account_id: int, to_account_id: int, amount: int, memo: str | None
) -> str | None:
    """What a transfer's request must be before any account is looked at; the memo as kept."""
    require_verified_email(sender)
    check_amount(amount)
    memo = check_memo(memo)
    if from_account_id == to_account_id:
        raise ValidationError(
            details={"to_account_id": "Send to another account than the one you send from."}
        )
    return memo


def not_the_senders_account() -> NotFound:
    return NotFound(
        "No such account.", details={"from_account_id": "You have no account with this number."}
    )


def check_transfer_accounts(
    sender: Principal, source: Account | None, target: Account | None, amount: int
) -> tuple[Account, Account]:
    """The sender's own account pays a member's account in its currency, from its balance."""
    if source is None or source.kind != KIND_MEMBER or source.user_id != sender.user_id:
        raise not_the_senders_account()
    if target is None or target.kind != KIND_MEMBER:
        raise NotFound("No such account.", details={"to_account_id": NO_MEMBER_ACCOUNT})
    if source.currency != target.currency:
        raise CurrencyMismatch(f"Cannot send {source.currency} to an account in {target.currency}.")
    if source.balance < amount:
        raise InsufficientFunds(
            details={
                "amount": f"The amount is more than the balance of {source.balance} minor units."
            }
        )
    return source, target


def require_open_owner(uow: UnitOfWork, account: Account, field: str | None = None) -> None:
    """Money never goes into a closed member's account: no one could ever take it out. Read
    under the account's lock, which closing holds too, so a payment and a close never cross.
    Refused as an account no member has (404), on `field` when given."""
    owner = uow.users.find_by_id(account.user_id) if account.user_id else None
    if owner is not None and owner.is_closed:
        details = {field: NO_MEMBER_ACCOUNT} if field else None
        raise NotFound("No such account.", details=details)


def transfer_fingerprint(
    from_account_id: int, to_account_id: int, amount: int, memo: str | None
) -> str:
    """What "the same confirmed transfer" means for a one-time key."""
    text = f"transfer\n{from_account_id}\n{to_account_id}\n{amount}\n{memo or ''}"
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class History:
    account: Account
    page: Page[MoneyLine]


@dataclass(frozen=True)
class RecentActivity:
    """The latest lines across a member's accounts, and whether older ones exist."""

    lines: list[MoneyLine]
    has_more: bool


@dataclass(frozen=True)
class TransferRequest:
    """A transfer as a member asks for it, before it is checked."""

    from_account_id: int
    to_account_id: int
    amount: int
    memo: str | None = None


@dataclass(frozen=True)
class TransferPreview:
    """What a transfer would do, for the member to confirm before money moves."""

    source: Account
    target: Account
    recipient: Counterparty
    amount: int
    memo: str | None


@dataclass(frozen=True)
class SentTransfer:
    transaction: LedgerTransaction
    recipient: Counterparty
    replayed: bool


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


def mail_money_received(
    uow: UnitOfWork,
    record: LedgerTransaction,
    account: Account,
    *,
    actor: Principal,
    sender: Counterparty | None = None,
) -> None:
    """Queue, in the movement's transaction, the mail telling `account`'s owner that
    `record` brought money in: from `sender` (a transfer) or from outside (a deposit).
    Nobody is mailed about money they moved themselves, nor once they turned it off."""
    if account.user_id is None or account.user_id == actor.user_id:
        return
    owner = uow.users.find_by_id(account.user_id)
    if owner is None or not owner.notify_money_received:
        return
    queue_mail(
        uow,
        kind="money_received",
        to=owner.email,
        user_id=owner.id,
        name=owner.name,
        amount=format_money(record.amount, record.currency),
        sender=sender,
        account_name=account.name,
        memo=record.memo,
        account_link=public_link(ACCOUNT_PATH.format(account_id=account.id)),
        settings_link=public_link(SETTINGS_PATH),
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
            require_open_owner(uow, locked[account.id])
            record = uow.ledger.record(
                transaction_type=TX_DEPOSIT,
                amount=amount,
                currency=account.currency,
                memo=memo,
                actor_id=actor.user_id,
                movements=[(locked[source.id], -amount), (locked[account.id], amount)],
            )
            mail_money_received(uow, record, locked[account.id], actor=actor)
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
        memo = check_transfer_request(sender, from_account_id, to_account_id, amount, memo)

        def work(uow: UnitOfWork) -> LedgerTransaction:
            locked = uow.accounts.lock_for_update([from_account_id, to_account_id])
            source, target = check_transfer_accounts(
                sender, locked.get(from_account_id), locked.get(to_account_id), amount
            )
            require_open_owner(uow, target, "to_account_id")
            record = uow.ledger.record(
                transaction_type=TX_TRANSFER,
                amount=amount,
                currency=source.currency,
                memo=memo,
                actor_id=sender.user_id,
                movements=[(source, -amount), (target, amount)],
            )
            mail_money_received(
                uow,
                record,
                target,
                actor=sender,
                sender=Counterparty(sender.record.name, sender.record.email),
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

    def preview_transfer(self, sender: Principal, wanted: TransferRequest) -> TransferPreview:
        """What transfer() would do, refused by the same rules, without moving any money: the
        recipient's name and email for the member to confirm."""
        amount = wanted.amount
        memo = check_transfer_request(
            sender, wanted.from_account_id, wanted.to_account_id, amount, wanted.memo
        )
        with UnitOfWork() as uow:
            source, target = check_transfer_accounts(
                sender,
                uow.accounts.find_by_id(wanted.from_account_id),
                uow.accounts.find_by_id(wanted.to_account_id),
                amount,
            )
            require_open_owner(uow, target, "to_account_id")
            owner = uow.users.find_by_id(target.user_id) if target.user_id else None
        if owner is None:
            raise NotFound("No such account.", details={"to_account_id": NO_MEMBER_ACCOUNT})
        return TransferPreview(
            source=source,
            target=target,
            recipient=Counterparty(owner.name, owner.email),
            amount=amount,
            memo=memo,
        )

    def transfer_once(
        self, sender: Principal, *, key: str, wanted: TransferRequest
    ) -> SentTransfer:
        """transfer(), once per one-time `key`: the same confirmation sent again gets the
        transfer its first send made; the key with another transfer is IdempotencyKeyReused."""
        memo = check_memo(wanted.memo)

        def produce() -> tuple[int, dict[str, str]]:
            record = self.transfer(
                sender,
                from_account_id=wanted.from_account_id,
                to_account_id=wanted.to_account_id,
                amount=wanted.amount,
                memo=memo,
            )
            return 201, {"transactionId": str(record.id)}

        fingerprint = transfer_fingerprint(
            wanted.from_account_id, wanted.to_account_id, wanted.amount, memo
        )
        outcome = IdempotencyService().run(sender.user_id, key, fingerprint, produce)
        with UnitOfWork() as uow:
            record = uow.ledger.find_by_id(int(outcome.data["transactionId"]))
            assert record is not None  # stored with the transfer it names
            # The other side of the sender's line is the recipient.
            debit = next(entry for entry in record.entries if entry.amount < 0)
            recipient = money_lines(uow, [debit])[0].counterparty
        assert recipient is not None  # a transfer pays a member's account
        return SentTransfer(record, recipient, outcome.replayed)

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
        raise NotFound(
            "No such recipient.",
            details={"to": "No account has this number and no member has this email."},
        )

    def history(
        self,
        viewer: Principal,
        account_id: int,
        *,
        limit: int,
        cursor: str | None = None,
        filters: HistoryFilter | None = None,
    ) -> History:
        """The account's lines that pass `filters`, newest first; a cursor continues the walk
        it came from only when it is sent with the same filters."""
        filters = check_history_filter(filters or HistoryFilter())
        with UnitOfWork() as uow:
            account = visible_to(viewer, uow.accounts.find_member_account(account_id))
            page = uow.ledger.history(account.id, limit=limit, cursor=cursor, filters=filters)
            lines = money_lines(uow, page.items)
        return History(account=account, page=Page(lines, page.next_cursor, page.has_more))

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

    def recent_activity(self, accounts: list[Account], limit: int = 10) -> RecentActivity:
        """The `limit` latest lines on these accounts, newest first; one more is read to tell
        whether the full history holds older ones."""
        with UnitOfWork() as uow:
            entries = uow.ledger.recent_for_accounts([a.id for a in accounts], limit + 1)
            lines = money_lines(uow, entries[:limit])
        return RecentActivity(lines, has_more=len(entries) > limit)
