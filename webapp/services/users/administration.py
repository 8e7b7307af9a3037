"""What an admin does to a user: roles, activation, name, and ending their sessions; never
leaving no active admin."""

from __future__ import annotations

from webapp.core.errors import Conflict, ValidationError
from webapp.models import User
from webapp.models.base import utcnow
from webapp.models.user import ROLE_ADMIN
from webapp.services.access_tokens import revoke_all_personal_tokens
from webapp.services.auth import AuthService
from webapp.services.events import DomainEvent, subject
from webapp.services.unit_of_work import UnitOfWork, transaction, unique_violation_as
from webapp.services.user_rows import load_user
from webapp.services.users.directory import UserDirectory
from webapp.services.users.rules import change, check_name, check_roles

LAST_ADMIN = "At least one active admin must remain."
CLOSED = "This account was closed by its member, so it cannot be reactivated or changed."


class UserAdminService:
    def update_by_admin(
        self,
        actor_id: int,
        user_id: int,
        *,
        roles: list[str] | None = None,
        is_active: bool | None = None,
        name: str | None = None,
    ) -> User:
        """Change roles, activation or name. Deactivation ends every session and every
        personal access token at once. A change that would leave no active admin is refused
        (409), however many admins make such changes at the same moment; so is any change to
        a closed account."""
        if roles is not None:
            roles = check_roles(roles)
        if name is not None:
            name = check_name(name)
        if actor_id == user_id and (is_active is False or (roles and ROLE_ADMIN not in roles)):
            raise ValidationError(
                details={"roles" if roles else "is_active": "You cannot lock yourself out."}
            )
        removal = "is_active" if is_active is False else "roles"
        sent = "is_active" if is_active is not None else "roles" if roles is not None else "name"
        may_remove_an_admin = is_active is False or (roles is not None and ROLE_ADMIN not in roles)
        # Two admins granting the same role at once: the second insert hits the primary key.
        raced = Conflict("This user was changed at the same moment; try again.")

        def work(uow: UnitOfWork) -> User:
            if may_remove_an_admin:
                ensure_another_active_admin(uow, user_id, field=removal)
            user = load_user(uow, user_id)
            if user.is_closed:
                raise Conflict(CLOSED, details={sent: "A closed account stays closed."})
            changes: dict[str, object] = {}
            if roles is not None and roles != user.roles:
                changes["roles"] = change(user.roles, roles)
                uow.users.set_roles(user, roles)
            if name is not None and name != user.name:
                changes["name"] = change(user.name, name)
                uow.users.update(user, name=name)
            if is_active is not None and is_active != user.is_active:
                changes["isActive"] = change(user.is_active, is_active)
                uow.users.update(user, is_active=is_active)
                if not is_active:
                    changes["sessionsEnded"] = len(uow.sessions.revoke_all_for(user_id, utcnow()))
                    changes["tokensRevoked"] = revoke_all_personal_tokens(uow, user_id)
            if changes:
                uow.users.update(user, updated_at=utcnow())
                uow.emit(
                    DomainEvent(
                        "user.updated", subject("user", user_id), changes, actor_id=actor_id
                    )
                )
            return user

        with unique_violation_as(raced):
            return transaction(work)

    def revoke_sessions(self, actor_id: int, user_id: int) -> None:
        UserDirectory().get(user_id)
        AuthService().logout_everywhere(user_id, actor_id=actor_id)


def ensure_another_active_admin(uow: UnitOfWork, user_id: int, *, field: str | None) -> None:
    """Refuse to remove the last active admin: counted in turn with every other change that
    may remove one (a deactivation, a role taken away, an account closed), so two admins
    removing each other at once leave one. `field` names the request's field to blame."""
    uow.users.wait_for_admin_changes_turn()
    if uow.users.active_admin_ids() == {user_id}:
        details = {field: "This would leave no active admin."} if field else None
        raise Conflict(LAST_ADMIN, details=details)
