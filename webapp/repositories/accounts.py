"""Queries over wallet accounts."""

from __future__ import annotations

from webapp.models import Account
from webapp.repositories.base import Repository


class AccountRepository(Repository[Account]):
    model = Account

    def list_for_user(self, user_id: int) -> list[Account]:
        return self.find_many(where=[Account.user_id == user_id], order_by=[Account.id])
