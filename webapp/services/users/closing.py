"""Closing an account: a member leaves for good.

Refused while any of their wallet accounts holds money (409 ACCOUNT_NOT_EMPTY, naming them),
and for the last active admin (409). Otherwise one transaction ends every session, refresh
token and personal access token, erases the personal data (email, name, password hash,
second factor, recovery codes), empties the cart, settles the member's pending payment
requests (theirs cancelled, those asked of them declined) and deactivates the user for good.
The ledger, the orders and the audit log stay: money history is never rewritten. Once it
commits, `user.closed` makes every worker forget the cached user record.
"""

from __future__ import annotations

from datetime import datetime

from webapp.core.errors import AccountNotEmpty
from webapp.models import Account, User
from webapp.models.base import utcnow
from webapp.models.payment_request import REQUEST_CANCELLED, REQUEST_DECLINED
from webapp.models.security import LINK_PURPOSES
from webapp.models.user import ROLE_ADMIN
from webapp.repositories.payment_requests import INCOMING, OUTGOING
from webapp.services.access_tokens import revoke_all_personal_tokens
from webapp.services.events import DomainEvent, subject
from webapp.services.principal import Principal
from webapp.services.shop.cart_quantity import cart_changed
from webapp.services.step_up import require_recent_login
from webapp.services.unit_of_work import UnitOfWork, transaction
from webapp.services.user_rows import load_user
from webapp.services.users.administration import ensure_another_active_admin
from webapp.services.users.passwords import check_current_password

CLOSED_NAME = "Closed account"
# Not an argon2 hash: no password ever verifies against it (webapp.core.passwords).
NO_PASSWORD = "!closed"
PASSWORD_FIELD = "password"


def closed_email(user_id: int) -> str:
    """The address a closed account keeps: unique, and one no one can register or receive."""
    return f"closed-{user_id}@closed.invalid"


def holding_money(accounts: list[Account]) -> list[Account]:
    return [account for account in accounts if account.balance != 0]


def account_ids(accounts: list[Account]) -> str:
    """The ids as `details.accounts` names them: "3, 7"."""
    return ", ".join(str(account.id) for account in accounts)


class ClosingService:
    def accounts_holding_money(self, user_id: int) -> list[Account]:
        """The member's accounts that must be emptied before the account may close."""
        with UnitOfWork() as uow:
            return holding_money(uow.accounts.list_for_user(user_id))

    def close(self, principal: Principal, password: str) -> None:
        """Close the caller's account (see the module). Needs a recent login (a personal
        access token: 403) and the password (422 on `password`)."""
        require_recent_login(principal)
        user_id = principal.user_id
        with UnitOfWork() as uow:
            # Checked before any lock is taken: a password hash costs time on purpose.
            check_current_password(load_user(uow, user_id), password, field=PASSWORD_FIELD)

        def work(uow: UnitOfWork) -> None:
            # Locks are taken in the order other writers take them: the admins' turn before
            # a user row, a payment request before the accounts it pays into.
            if principal.has_role(ROLE_ADMIN):
                ensure_another_active_admin(uow, user_id, field=None)
            user = load_user(uow, user_id, lock=True)
            now = utcnow()
            settled = self._settle_payment_requests(uow, user_id, now)
            owned = [account.id for account in uow.accounts.list_for_user(user_id)]
            # Held until the commit: no transfer in or out slips between the check and it.
            full = holding_money(list(uow.accounts.lock_for_update(owned).values()))
            if full:
                raise AccountNotEmpty(details={"accounts": account_ids(full)})
            erased = self._erase(uow, user, now)
            uow.emit(
                DomainEvent(
                    "user.closed", subject("user", user_id), settled | erased, actor_id=user_id
                )
            )
            uow.on_commit(lambda: cart_changed(user_id))

        transaction(work)

    @staticmethod
    def _settle_payment_requests(uow: UnitOfWork, user_id: int, now: datetime) -> dict[str, int]:
        """The member's pending requests are cancelled, those asked of them declined."""
        return {
            "requestsCancelled": uow.payment_requests.resolve_pending_of(
                user_id, OUTGOING, REQUEST_CANCELLED, now
            ),
            "requestsDeclined": uow.payment_requests.resolve_pending_of(
                user_id, INCOMING, REQUEST_DECLINED, now
            ),
        }

    @staticmethod
    def _erase(uow: UnitOfWork, user: User, now: datetime) -> dict[str, int]:
        """Every credential ends and the personal data goes; the money history stays."""
        sessions_ended = len(uow.sessions.revoke_all_for(user.id, now))
        tokens_revoked = revoke_all_personal_tokens(uow, user.id)
        for purpose in LINK_PURPOSES:
            uow.link_tokens.void_open(user.id, purpose, now)
        uow.recovery_codes.delete_for(user.id)
        uow.cart_items.empty(user.id)
        uow.users.update(
            user,
            email=closed_email(user.id),
            name=CLOSED_NAME,
            password_hash=NO_PASSWORD,
            is_active=False,
            closed_at=now,
            email_verified_at=None,
            totp_secret=None,
            totp_enabled_at=None,
            totp_last_step=None,
            notify_money_received=False,
            updated_at=now,
        )
        return {"sessionsEnded": sessions_ended, "tokensRevoked": tokens_revoked}
