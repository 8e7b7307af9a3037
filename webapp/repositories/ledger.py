"""Queries over the ledger: transactions, their entries, and an account's history."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased, joinedload
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import String

from webapp.models import Account, LedgerEntry, LedgerTransaction, User
from webapp.repositories.base import Repository
from webapp.repositories.keyset import KeysetOrder, Page


class UtcDay(FunctionElement[str]):
    """The UTC day of a stored timestamp as 'YYYY-MM-DD', on both backends."""

    type = String()
    inherit_cache = True


@compiles(UtcDay, "sqlite")
def _utc_day_sqlite(element: UtcDay, compiler: Any, **kw: Any) -> str:
    # SQLite holds the UTC time as naive text ("2024-03-01 23:59:59.000000").
    return f"date({compiler.process(element.clauses, **kw)})"


@compiles(UtcDay, "postgresql")
def _utc_day_postgresql(element: UtcDay, compiler: Any, **kw: Any) -> str:
    # A timestamptz's day depends on the session's time zone unless it is read in UTC.
    column = compiler.process(element.clauses, **kw)
    return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD')"


@dataclass(frozen=True)
class HistoryFilter:
    """Which lines of an account's history to read; a field left None filters nothing."""

    type: str | None = None
    since: date | None = None  # the first UTC day, inclusive
    until: date | None = None  # the last UTC day, inclusive
    text: str | None = None  # in the memo or the counterparty's email, in any case

    def conditions(self) -> list[ColumnElement[bool]]:
        """The filter as conditions on LedgerEntry rows (no join: one row per entry)."""
        conditions: list[ColumnElement[bool]] = []
        if self.type is not None:
            conditions.append(LedgerEntry.transaction.has(LedgerTransaction.type == self.type))
        if self.since is not None:
            conditions.append(LedgerEntry.created_at >= start_of(self.since))
        if self.until is not None and self.until < date.max:
            conditions.append(LedgerEntry.created_at < start_of(self.until + timedelta(days=1)))
        if self.text:
            pattern = like_pattern(self.text)
            memo_matches = LedgerTransaction.memo.ilike(pattern, escape=LIKE_ESCAPE)
            conditions.append(
                or_(LedgerEntry.transaction.has(memo_matches), other_member_email_matches(pattern))
            )
        return conditions


LIKE_ESCAPE = "\\"


def start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def like_pattern(text: str) -> str:
    """`text` anywhere, its own % and _ (and the escape character) taken literally."""
    for special in (LIKE_ESCAPE, "%", "_"):
        text = text.replace(special, LIKE_ESCAPE + special)
    return f"%{text}%"


def member_owners(entry: type[LedgerEntry], *columns: object) -> Select[tuple[object, ...]]:
    """`columns` of the entries on a member's account with their owners: the join both the
    counterparty lookup and the counterparty search read."""
    return (
        select(*columns)
        .select_from(entry)
        .join(Account, Account.id == entry.account_id)
        .join(User, User.id == Account.user_id)
    )


def other_member_email_matches(pattern: str) -> ColumnElement[bool]:
    """The entry's transaction has another entry, on a member's account, whose owner's
    email is like `pattern`: the counterparty `member_sides` reads."""
    other = aliased(LedgerEntry)
    return (
        member_owners(other, other.id)
        .where(
            other.transaction_id == LedgerEntry.transaction_id,
            other.id != LedgerEntry.id,
            User.email.ilike(pattern, escape=LIKE_ESCAPE),
        )
        .exists()
    )


class LedgerRepository(Repository[LedgerTransaction]):
    model = LedgerTransaction

    def record(
        self,
        *,
        transaction_type: str,
        amount: int,
        currency: str,
        memo: str | None,
        actor_id: int | None,
        movements: list[tuple[Account, int]],
    ) -> LedgerTransaction:
        """One transaction and an entry per (account, signed amount); the accounts' balances
        move with it. The movements must sum to zero: that is what double entry means."""
        if sum(signed for _, signed in movements) != 0:
            raise ValueError("a ledger transaction must balance")
        transaction = LedgerTransaction(
            type=transaction_type, amount=amount, currency=currency, memo=memo, actor_id=actor_id
        )
        self.session.add(transaction)
        for account, signed in movements:
            account.balance += signed
            transaction.entries.append(
                LedgerEntry(account=account, amount=signed, balance_after=account.balance)
            )
        self.session.flush()
        return transaction

    def history(
        self,
        account_id: int,
        *,
        limit: int,
        cursor: str | None,
        filters: HistoryFilter | None = None,
    ) -> Page[LedgerEntry]:
        """An account's entries that pass `filters`, newest first, each with its transaction
        (one query, filtered or not)."""
        entries = EntryRepository(self.session)
        return entries.find_page(
            limit=limit,
            cursor=cursor,
            where=[
                LedgerEntry.account_id == account_id,
                *(filters.conditions() if filters is not None else ()),
            ],
            order=KeysetOrder((LedgerEntry.id,), descending=True),
            options=[joinedload(LedgerEntry.transaction)],
        )

    def balance_before(self, account_id: int, moment: datetime) -> int:
        """The account's balance just before `moment`: the balanceAfter of its last line
        created earlier, 0 when it had none (one query)."""
        statement = (
            select(LedgerEntry.balance_after)
            .where(LedgerEntry.account_id == account_id, LedgerEntry.created_at < moment)
            .order_by(LedgerEntry.id.desc())
            .limit(1)
        )
        return self.session.scalar(statement) or 0

    def closing_balances(self, account_id: int, start: datetime, end: datetime) -> dict[date, int]:
        """The balanceAfter of the account's last line on each UTC day from `start` to before
        `end` that has one (one query, whatever the number of days)."""
        day = UtcDay(LedgerEntry.created_at)
        last_of_day = (
            select(func.max(LedgerEntry.id).label("id"))
            .where(
                LedgerEntry.account_id == account_id,
                LedgerEntry.created_at >= start,
                LedgerEntry.created_at < end,
            )
            .group_by(day)
            .subquery()
        )
        statement = select(day, LedgerEntry.balance_after).join(
            last_of_day, last_of_day.c.id == LedgerEntry.id
        )
        return {date.fromisoformat(row[0]): row[1] for row in self.session.execute(statement)}

    def statement_chunk(
        self, account_id: int, *, since: datetime, until: datetime, after_id: int, limit: int
    ) -> list[StatementLine]:
        """Up to `limit` of the account's entries created in [since, until] with an id above
        `after_id`, oldest first, as plain rows (no objects kept in the session): one keyset
        step of a statement, walking the (account_id, id) index."""
        statement = (
            select(
                LedgerEntry.id,
                LedgerEntry.created_at,
                LedgerEntry.transaction_id,
                LedgerTransaction.type,
                LedgerTransaction.memo,
                LedgerEntry.amount,
                LedgerEntry.balance_after,
                LedgerTransaction.currency,
            )
            .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
            .where(
                LedgerEntry.account_id == account_id,
                LedgerEntry.id > after_id,
                LedgerEntry.created_at >= since,
                LedgerEntry.created_at <= until,
            )
            .order_by(LedgerEntry.id)
            .limit(limit)
        )
        return [StatementLine(*row) for row in self.session.execute(statement)]

    def recent_for_accounts(self, account_ids: list[int], limit: int) -> list[LedgerEntry]:
        if not account_ids:
            return []
        return EntryRepository(self.session).find_many(
            where=[LedgerEntry.account_id.in_(account_ids)],
            order_by=[LedgerEntry.id.desc()],
            limit=limit,
            options=[joinedload(LedgerEntry.transaction), joinedload(LedgerEntry.account)],
        )

    def export_chunk(self, user_id: int, *, after_id: int, limit: int) -> list[LedgerEntry]:
        """A keyset step over the entries of every account the user owns, oldest first,
        each with its transaction (one query)."""
        owned = select(Account.id).where(Account.user_id == user_id)
        return EntryRepository(self.session).find_after(
            after_id,
            limit=limit,
            where=[LedgerEntry.account_id.in_(owned)],
            options=[joinedload(LedgerEntry.transaction)],
        )

    def member_sides(self, transaction_ids: Collection[int]) -> list[tuple[int, int, str, str]]:
        """(transaction id, entry id, owner's name, owner's email) of every entry on a member's
        account in these transactions, in one query whatever their number."""
        if not transaction_ids:
            return []
        statement = member_owners(
            LedgerEntry, LedgerEntry.transaction_id, LedgerEntry.id, User.name, User.email
        ).where(LedgerEntry.transaction_id.in_(transaction_ids))
        return [(row[0], row[1], row[2], row[3]) for row in self.session.execute(statement)]

    def count_of_type_since(self, transaction_type: str, since: datetime) -> int:
        """Transactions of this type created at or after `since`."""
        return self.count(
            where=[
                LedgerTransaction.type == transaction_type,
                LedgerTransaction.created_at >= since,
            ]
        )

    def count_of_type_per_period(
        self, transaction_type: str, bounds: Sequence[datetime]
    ) -> list[int]:
        """Transactions of this type in each period between consecutive `bounds` (one query)."""
        return self.count_per_period(bounds, where=[LedgerTransaction.type == transaction_type])

    def balance_mismatches(self) -> list[tuple[int, int, int]]:
        """(account id, stored balance, sum of entries) for every account that disagrees."""
        sums = (
            select(LedgerEntry.account_id, func.sum(LedgerEntry.amount).label("total"))
            .group_by(LedgerEntry.account_id)
            .subquery()
        )
        total = func.coalesce(sums.c.total, 0)
        statement = (
            select(Account.id, Account.balance, total)
            .outerjoin(sums, sums.c.account_id == Account.id)
            .where(Account.balance != total)
            .order_by(Account.id)
        )
        return [(row[0], row[1], int(row[2])) for row in self.session.execute(statement)]

    def unbalanced_transactions(self) -> list[tuple[int, int]]:
        """(transaction id, sum of its entries) for every transaction whose lines don't cancel."""
        statement = (
            select(LedgerEntry.transaction_id, func.sum(LedgerEntry.amount))
            .group_by(LedgerEntry.transaction_id)
            .having(func.sum(LedgerEntry.amount) != 0)
            .order_by(LedgerEntry.transaction_id)
        )
        return [(row[0], int(row[1])) for row in self.session.execute(statement)]

    def last_entry_mismatches(self) -> list[tuple[int, int, int]]:
        """(account id, balance, balanceAfter of its newest entry) where they disagree."""
        newest = select(func.max(LedgerEntry.id)).group_by(LedgerEntry.account_id).scalar_subquery()
        statement = (
            select(Account.id, Account.balance, LedgerEntry.balance_after)
            .join(LedgerEntry, LedgerEntry.account_id == Account.id)
            .where(LedgerEntry.id.in_(newest), LedgerEntry.balance_after != Account.balance)
            .order_by(Account.id)
        )
        return [(row[0], row[1], row[2]) for row in self.session.execute(statement)]


class StatementLine(NamedTuple):
    """One entry of an account as a statement reads it."""

    entry_id: int
    created_at: datetime
    transaction_id: int
    type: str
    memo: str | None
    amount: int
    balance_after: int
    currency: str


class EntryRepository(Repository[LedgerEntry]):
    model = LedgerEntry
