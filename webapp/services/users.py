"""Users: registration, profiles, passwords, and what admins do to users."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from email_validator import EmailNotValidError, validate_email

from webapp.errors import Conflict, NotFound, ValidationError
from webapp.models import AuthSession, User
from webapp.models.base import utcnow
from webapp.models.user import ROLE_ADMIN, ROLE_USER, ROLES, UserRole
from webapp.repositories.keyset import Page
from webapp.security import load_common_passwords, passwords
from webapp.services.auth import AuthService
from webapp.services.events import DomainEvent, subject
from webapp.services.principal import Principal
from webapp.services.unit_of_work import UnitOfWork, unique_violation_as

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128
MAX_NAME_LENGTH = 100
EMAIL_TAKEN = "is already registered"


@cache
def common_passwords() -> frozenset[str]:
    return load_common_passwords()


def normalize_email(email: str) -> str:
    """The stored form of an email: syntax-checked and lowercased; ValidationError otherwise."""
    try:
        checked = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationError(details={"email": str(exc)}) from exc
    return checked.normalized.lower()


def check_name(name: str, field: str = "name") -> str:
    name = name.strip()
    if not 1 <= len(name) <= MAX_NAME_LENGTH:
        raise ValidationError(details={field: f"must be 1 to {MAX_NAME_LENGTH} characters"})
    return name


def check_password_rules(password: str, field: str = "password") -> None:
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise ValidationError(
            details={field: f"must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters"}
        )
    if password.lower() in common_passwords():
        raise ValidationError(details={field: "is too common; choose another"})


def check_roles(roles: list[str]) -> list[str]:
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise ValidationError(details={"roles": f"unknown role: {', '.join(unknown)}"})
    if ROLE_USER not in roles:
        raise ValidationError(details={"roles": f"must include {ROLE_USER!r}"})
    return sorted(set(roles))


@dataclass(frozen=True)
class AdminOutcome:
    user: User
    created: bool
    promoted: bool


class UserService:
    def register(self, *, email: str, password: str, name: str) -> User:
        """Create a member (and, through `user.created`, their "Main" account)."""
        email = normalize_email(email)
        name = check_name(name)
        check_password_rules(password)
        password_hash = passwords.hash(password)
        taken = Conflict("This email is already registered.", details={"email": EMAIL_TAKEN})
        with unique_violation_as(taken), UnitOfWork(write_lock=True) as uow:
            if uow.users.find_by_email(email) is not None:
                raise taken
            user = uow.users.create(
                email=email,
                name=name,
                password_hash=password_hash,
                role_rows=[UserRole(role=ROLE_USER)],
            )
            uow.emit(
                DomainEvent(
                    "user.created", subject("user", user.id), {"email": email}, actor_id=user.id
                )
            )
            uow.commit()
        return user

    def get(self, user_id: int) -> User:
        with UnitOfWork() as uow:
            user = uow.users.find_by_id(user_id)
        if user is None:
            raise NotFound("No such user.")
        return user

    def get_for(self, viewer: Principal, user_id: int) -> User:
        """A user as `viewer` may see them: themselves, or anyone for an admin (404 otherwise)."""
        if not viewer.may_act_for(user_id):
            raise NotFound("No such user.")
        return self.get(user_id)

    def update_self(
        self,
        caller: Principal,
        *,
        name: str | None = None,
        current_password: str | None = None,
        new_password: str | None = None,
    ) -> User:
        """Rename and/or change password (which ends every other session of the caller)."""
        if new_password is not None:
            self.change_password(
                caller.user_id,
                current_password=current_password or "",
                new_password=new_password,
                keep_session_id=caller.session_id,
            )
        if name is not None:
            return self.rename(caller.user_id, name)
        return self.get(caller.user_id)

    def find_by_email(self, email: str) -> User | None:
        with UnitOfWork() as uow:
            return uow.users.find_by_email(email.strip().lower())

    def list_users(
        self,
        *,
        limit: int,
        cursor: str | None = None,
        q: str | None = None,
        role: str | None = None,
    ) -> Page[User]:
        with UnitOfWork() as uow:
            filters = uow.users.search_filters(q=q, role=role)
            return uow.users.find_page(limit=limit, cursor=cursor, where=filters)

    def sessions_of(self, user_id: int) -> list[AuthSession]:
        with UnitOfWork() as uow:
            return uow.sessions.list_active_for(user_id)

    def rename(self, user_id: int, name: str) -> User:
        name = check_name(name)
        with UnitOfWork(write_lock=True) as uow:
            user = self._load(uow, user_id)
            if user.name != name:
                uow.users.update(user, name=name)
                uow.emit(
                    DomainEvent(
                        "user.updated", subject("user", user.id), {"name": name}, actor_id=user_id
                    )
                )
            uow.commit()
        return user

    def change_password(
        self, user_id: int, *, current_password: str, new_password: str, keep_session_id: int
    ) -> None:
        """Set a new password; every other session of the user ends, the caller's stays."""
        check_password_rules(new_password, field="newPassword")
        with UnitOfWork(write_lock=True) as uow:
            user = self._load(uow, user_id)
            if not passwords.verify(user.password_hash, current_password):
                raise ValidationError(details={"currentPassword": "is incorrect"})
            user.password_hash = passwords.hash(new_password)
            ended = uow.sessions.revoke_all_for(user_id, utcnow(), keep=keep_session_id)
            uow.emit(
                DomainEvent(
                    "user.password_changed",
                    subject("user", user_id),
                    {"sessionsEnded": len(ended)},
                    actor_id=user_id,
                )
            )
            uow.commit()

    def update_by_admin(
        self,
        actor_id: int,
        user_id: int,
        *,
        roles: list[str] | None = None,
        is_active: bool | None = None,
        name: str | None = None,
    ) -> User:
        """Change roles, activation or name. Deactivation ends every session at once."""
        if roles is not None:
            roles = check_roles(roles)
        if name is not None:
            name = check_name(name)
        if actor_id == user_id and (is_active is False or (roles and ROLE_ADMIN not in roles)):
            raise ValidationError(
                details={"roles" if roles else "isActive": "you cannot lock yourself out"}
            )
        # Two admins granting the same role at once: the second insert hits the primary key.
        raced = Conflict("This user was changed at the same moment; try again.")
        with unique_violation_as(raced), UnitOfWork(write_lock=True) as uow:
            user = self._load(uow, user_id)
            changes: dict[str, object] = {}
            if roles is not None and roles != user.roles:
                uow.users.set_roles(user, roles)
                changes["roles"] = roles
            if name is not None and name != user.name:
                uow.users.update(user, name=name)
                changes["name"] = name
            if is_active is not None and is_active != user.is_active:
                uow.users.update(user, is_active=is_active)
                changes["isActive"] = is_active
                if not is_active:
                    uow.sessions.revoke_all_for(user_id, utcnow())
            if changes:
                uow.users.update(user, updated_at=utcnow())
                uow.emit(
                    DomainEvent(
                        "user.updated", subject("user", user_id), changes, actor_id=actor_id
                    )
                )
            uow.commit()
        return user

    def revoke_sessions(self, actor_id: int, user_id: int) -> None:
        self.get(user_id)
        AuthService().logout_everywhere(user_id, actor_id=actor_id)

    def create_or_promote_admin(self, *, email: str, password: str, name: str) -> AdminOutcome:
        """Idempotent: an existing user is promoted (password untouched), else one is created."""
        existing = self.find_by_email(email)
        if existing is None:
            user = self.register(email=email, password=password, name=name)
            created = True
        else:
            user, created = existing, False
        if user.has_role(ROLE_ADMIN):
            return AdminOutcome(user=user, created=created, promoted=False)
        with UnitOfWork(write_lock=True) as uow:
            user = self._load(uow, user.id)
            uow.users.add_role(user, ROLE_ADMIN)
            uow.emit(DomainEvent("user.updated", subject("user", user.id), {"roles": user.roles}))
            uow.commit()
        return AdminOutcome(user=user, created=created, promoted=True)

    @staticmethod
    def _load(uow: UnitOfWork, user_id: int) -> User:
        user = uow.users.find_by_id(user_id)
        if user is None:
            raise NotFound("No such user.")
        return user
