"""A member's own profile: their name, whether money arriving is mailed to them, and their
password with them, in one transaction."""

from __future__ import annotations

from webapp.core.errors import ValidationError
from webapp.models import User
from webapp.services.events import DomainEvent, subject
from webapp.services.principal import Principal
from webapp.services.unit_of_work import UnitOfWork, transaction
from webapp.services.user_rows import load_user
from webapp.services.users.directory import UserDirectory
from webapp.services.users.passwords import check_current_password, set_password
from webapp.services.users.rules import change, check_name, name_problem, password_problem


class ProfileService:
    def update_self(
        self,
        caller: Principal,
        *,
        name: str | None = None,
        notify_money_received: bool | None = None,
        current_password: str | None = None,
        new_password: str | None = None,
    ) -> User:
        """Rename, turn the money-received mail on or off, and/or change password (which
        ends every other session of the caller).

        All or nothing: every field is checked, the current password included, before
        anything is written, and both changes commit in one transaction.
        """
        if new_password is not None or current_password is not None:
            caller.require_login_session()
        problems: dict[str, str] = {}
        if name is not None and (problem := name_problem(name)) is not None:
            problems["name"] = problem
        if new_password is not None and (problem := password_problem(new_password)) is not None:
            problems["new_password"] = problem
        if problems:
            raise ValidationError(details=problems)
        if name is None and notify_money_received is None and new_password is None:
            return UserDirectory().get(caller.user_id)

        def work(uow: UnitOfWork) -> User:
            user = load_user(uow, caller.user_id)
            if new_password is not None:
                check_current_password(user, current_password or "")
                set_password(uow, user, new_password, keep_session_id=caller.session_id)
            self._update(
                uow,
                user,
                name=None if name is None else name.strip(),
                notify_money_received=notify_money_received,
            )
            return user

        return transaction(work)

    def set_money_received_mail(self, user_id: int, on: bool) -> User:
        """Mail the member for each transfer received and each deposit (`on`), or stop."""

        def work(uow: UnitOfWork) -> User:
            user = load_user(uow, user_id)
            self._update(uow, user, notify_money_received=on)
            return user

        return transaction(work)

    def rename(self, user_id: int, name: str) -> User:
        name = check_name(name)

        def work(uow: UnitOfWork) -> User:
            user = load_user(uow, user_id)
            self._update(uow, user, name=name)
            return user

        return transaction(work)

    # --- inside a unit of work ------------------------------------------------------------

    @staticmethod
    def _update(
        uow: UnitOfWork,
        user: User,
        *,
        name: str | None = None,
        notify_money_received: bool | None = None,
    ) -> None:
        """The fields that differ, written, and one `user.updated` naming them (which also
        drops the cached user record)."""
        changes: dict[str, object] = {}
        if name is not None and user.name != name:
            changes["name"] = change(user.name, name)
            uow.users.update(user, name=name)
        if (
            notify_money_received is not None
            and user.notify_money_received != notify_money_received
        ):
            changes["notifyMoneyReceived"] = change(
                user.notify_money_received, notify_money_received
            )
            uow.users.update(user, notify_money_received=notify_money_received)
        if changes:
            uow.emit(
                DomainEvent("user.updated", subject("user", user.id), changes, actor_id=user.id)
            )
