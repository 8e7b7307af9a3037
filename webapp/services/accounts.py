"""Wallet accounts."""

from __future__ import annotations

from webapp.models.account import DEFAULT_CURRENCY, KIND_MEMBER, MAIN_ACCOUNT_NAME
from webapp.services.events import DomainEvent
from webapp.services.unit_of_work import UnitOfWork


def open_main_account(_sender: str, *, event: DomainEvent, uow: UnitOfWork) -> None:
    """`user.created`, in the registration's transaction: no member is ever without "Main"."""
    uow.accounts.create(
        user_id=event.subject_id,
        kind=KIND_MEMBER,
        name=MAIN_ACCOUNT_NAME,
        currency=DEFAULT_CURRENCY,
    )
