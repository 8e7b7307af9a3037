"""Queries over wallet accounts."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from webapp.models import Account
from webapp.models.account import KIND_MEMBER, KIND_SYSTEM
from webapp.repositories.base import Repository
from webapp.repositories.keyset import KeysetOrder, Page


class AccountRepository(Repository[Account]):
    model = Account

    @property
    def default_order(self) -> KeysetOrder:
        """Oldest first: "Main" leads the list."""
        return KeysetOrder((Account.id,), descending=False)

    def find_member_account(self, account_id: int) -> Account | None:
        """A member's account by id; system accounts are never addressable from outside."""
        account = self.find_by_id(account_id)
        return account if account is not None and account.kind == KIND_MEMBER else None

    def list_for_user(self, user_id: int) -> list[Account]:
        return self.find_many(where=[Account.user_id == user_id])

    def export_chunk(self, user_id: int, *, after_id: int, limit: int) -> list[Account]:
        """A keyset step over the user's accounts, oldest first."""
        return self.find_after(after_id, limit=limit, where=[Account.user_id == user_id])

    def page_for_owner(self, owner_id: int, *, limit: int, cursor: str | None) -> Page[Account]:
        """One page of a user's accounts, oldest first."""
        return self.find_page(limit=limit, cursor=cursor, where=[Account.user_id == owner_id])

    def member_holdings(self) -> dict[str, tuple[int, int]]:
        """Per currency: (member accounts, the sum of their balances); system accounts left out."""
        statement = (
            select(
                Account.currency,
                func.count(Account.id),
                func.coalesce(func.sum(Account.balance), 0),
            )
            .where(Account.kind == KIND_MEMBER)
            .group_by(Account.currency)
        )
        return {
            currency: (int(count), int(total))
            for currency, count, total in self.session.execute(statement)
        }

    def find_by_owner_and_name(self, user_id: int, name: str) -> Account | None:
        return self.session.scalar(
            select(Account).where(Account.user_id == user_id, Account.name == name)
        )

    def system_account(self, name: str, currency: str) -> Account:
        """The system account for this purpose and currency, created on first use."""
        statement = select(Account).where(
            Account.kind == KIND_SYSTEM, Account.name == name, Account.currency == currency
        )
        account = self.session.scalar(statement)
        if account is not None:
            return account
        try:
            with self.session.begin_nested():
                account = self.create(kind=KIND_SYSTEM, name=name, currency=currency)
        except IntegrityError:  # another transaction created it first
            account = self.session.scalar(statement)
            assert account is not None
        return account
