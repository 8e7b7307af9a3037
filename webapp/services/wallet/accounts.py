"""Wallet accounts: opening them, and who may see which."""

from __future__ import annotations

from webapp.core.errors import Conflict, Forbidden, NotFound, ValidationError
from webapp.core.money import SUPPORTED_CURRENCIES
from webapp.models import Account
from webapp.models.account import DEFAULT_CURRENCY, KIND_MEMBER, MAIN_ACCOUNT_NAME
from webapp.repositories.keyset import Page
from webapp.services.events import DomainEvent, subject
from webapp.services.principal import Principal
from webapp.services.unit_of_work import UnitOfWork, transaction, unique_violation_as

MAX_ACCOUNT_NAME_LENGTH = 64
NAME_TAKEN = "You already have an account with this name."


def open_main_account(_sender: str, *, event: DomainEvent, uow: UnitOfWork) -> None:
    """`user.created`, in the registration's transaction: no member is ever without "Main"."""
    uow.accounts.create(
        user_id=event.subject_id,
        kind=KIND_MEMBER,
        name=MAIN_ACCOUNT_NAME,
        currency=DEFAULT_CURRENCY,
    )


def check_currency(currency: str) -> str:
    if currency not in SUPPORTED_CURRENCIES:
        raise ValidationError(
            details={"currency": f"The currency must be one of {', '.join(SUPPORTED_CURRENCIES)}."}
        )
    return currency


def visible_to(viewer: Principal, account: Account | None) -> Account:
    """The account if `viewer` owns it or is an admin; NotFound otherwise (no existence leak)."""
    if account is None or not viewer.may_act_for(account.user_id):
        raise NotFound("No such account.")
    return account


class AccountService:
    def open(self, owner: Principal, *, name: str, currency: str = DEFAULT_CURRENCY) -> Account:
        name = name.strip()
        if not 1 <= len(name) <= MAX_ACCOUNT_NAME_LENGTH:
            raise ValidationError(
                details={"name": f"The name must be 1 to {MAX_ACCOUNT_NAME_LENGTH} characters."}
            )
        check_currency(currency)
        taken = Conflict(
            "You already have an account with this name.", details={"name": NAME_TAKEN}
        )

        def work(uow: UnitOfWork) -> Account:
            if uow.accounts.find_by_owner_and_name(owner.user_id, name) is not None:
                raise taken
            account = uow.accounts.create(
                user_id=owner.user_id, kind=KIND_MEMBER, name=name, currency=currency
            )
            uow.emit(
                DomainEvent(
                    "account.opened",
                    subject("account", account.id),
                    {"name": name, "currency": currency},
                    actor_id=owner.user_id,
                )
            )
            return account

        with unique_violation_as(taken):
            return transaction(work)

    def get(self, viewer: Principal, account_id: int) -> Account:
        with UnitOfWork() as uow:
            return visible_to(viewer, uow.accounts.find_member_account(account_id))

    def list_for(
        self, viewer: Principal, *, user_id: int | None, limit: int, cursor: str | None
    ) -> Page[Account]:
        """The viewer's accounts; an admin may name another user."""
        owner_id = viewer.user_id if user_id is None else user_id
        if not viewer.may_act_for(owner_id):
            raise Forbidden("Only an admin may list another user's accounts.")
        with UnitOfWork() as uow:
            return uow.accounts.page_for_owner(owner_id, limit=limit, cursor=cursor)

    def all_of(self, user_id: int) -> list[Account]:
        with UnitOfWork() as uow:
            return uow.accounts.list_for_user(user_id)
